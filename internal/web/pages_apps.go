package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/providerportal/portal/internal/twostep"
)

// appsView is the staff page of apps.
type appsView struct {
	Apps    []twostep.App
	Centers []twostep.Center
	Names   map[int64]string
	Roles   []twostep.Role
	Issuer  string
	// Form state (refilled after a mistake).
	Kind         string
	CheckedRoles []string
	CheckedCtrs  []string
	TwoStep      bool
	Public       bool
}

func (v appsView) RoleChecked(r twostep.Role) bool { return slices.Contains(v.CheckedRoles, string(r)) }
func (v appsView) CenterChecked(id int64) bool {
	return slices.Contains(v.CheckedCtrs, strconv.FormatInt(id, 10))
}

// CenterList names an app's centers ("" for every center).
func (v appsView) CenterList(a twostep.App) string {
	names := make([]string, len(a.Centers))
	for i, id := range a.Centers {
		names[i] = v.Names[id]
	}
	return strings.Join(names, ", ")
}

func (s *Server) appsData(r *http.Request, a *twostep.Auth) (pageData, appsView, error) {
	apps, err := s.svc.ListApps(r.Context(), a.User)
	if err != nil {
		return pageData{}, appsView{}, err
	}
	centers, err := s.svc.ListCenters(r.Context(), a.User)
	if err != nil {
		return pageData{}, appsView{}, err
	}
	v := appsView{Apps: apps, Centers: centers, Names: map[int64]string{}, Roles: twostep.AllRoles, Issuer: s.svc.Settings().PublicURL,
		Kind: "oidc", TwoStep: true}
	for _, c := range centers {
		v.Names[c.ID] = c.Name
	}
	for _, r := range twostep.AllRoles {
		v.CheckedRoles = append(v.CheckedRoles, string(r))
	}
	d := s.page(r, a, "apps.title")
	if r.URL.Query().Get("done") == "deleted" {
		d.Flash = d.T("apps.deleted")
	}
	return d, v, nil
}

func (s *Server) pageApps(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	d, v, err := s.appsData(r, a)
	if err != nil {
		return err
	}
	d.D = v
	s.render(w, r, http.StatusOK, "apps", d)
	return nil
}

// lines splits a text area into its non-empty lines.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// pageCreateApp registers an app from the form; the result page shows a
// confidential client's secret this once.
func (s *Server) pageCreateApp(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	if err := r.ParseForm(); err != nil {
		return twostep.Errorf(twostep.EInvalid, "The form could not be read.")
	}
	f := r.PostForm
	in := appIn{Name: f.Get("name"), Roles: f["roles"], Public: f.Get("public") == "on"}
	if in.Roles == nil {
		in.Roles = []string{}
	}
	twoStep := f.Get("require_two_step") == "on"
	in.RequireTwoStep = &twoStep
	centerIDs := f["centers"]
	d, v, err := s.appsData(r, a)
	if err != nil {
		return err
	}
	for _, id := range centerIDs {
		n, _ := strconv.ParseInt(id, 10, 64)
		if name, ok := v.Names[n]; ok {
			in.Centers = append(in.Centers, name)
		}
	}
	if f.Get("kind") == "forward_auth" {
		in.Hosts = lines(f.Get("hosts"))
	} else {
		in.RedirectURIs, in.PostLogoutURIs = lines(f.Get("redirect_uris")), lines(f.Get("post_logout_uris"))
	}
	app, secret, err := s.svc.CreateApp(r.Context(), a.User, in.newApp(), clientOf(r))
	if err != nil {
		v.Kind, v.CheckedRoles, v.CheckedCtrs, v.TwoStep, v.Public = f.Get("kind"), in.Roles, centerIDs, twoStep, in.Public
		d.D = v
		d.Form = map[string]string{"name": in.Name, "redirect_uris": f.Get("redirect_uris"), "post_logout_uris": f.Get("post_logout_uris"), "hosts": f.Get("hosts")}
		s.formError(w, r, "apps", d, err)
		return nil
	}
	p := s.page(r, a, "apps.created.title", app.Name)
	p.D = struct {
		App    *twostep.App
		Secret string
		Issuer string
	}{app, secret, v.Issuer}
	s.render(w, r, http.StatusCreated, "app_created", p)
	return nil
}

func (s *Server) pageDeleteApp(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	if err := s.svc.DeleteApp(r.Context(), a.User, r.PostFormValue("name"), clientOf(r)); err != nil {
		return err
	}
	http.Redirect(w, r, "/staff/apps?done=deleted", http.StatusSeeOther)
	return nil
}
