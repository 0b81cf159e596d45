package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/providerportal/portal/internal/twostep"
)

type typeChoice struct {
	Type    twostep.MethodType
	Allowed bool
}

type adminView struct {
	Center *twostep.Center
	Grace  string // what the grace-logins field shows: the saved count, or what was submitted
	// Required is what the requirement box shows.
	Required bool
	Types    []typeChoice
	Users    []twostep.UserState
	Zone     string   // the center's time zone, or what was submitted
	Zones    []string // suggestions
	Trusted  string   // what the trusted-browser days field shows (B23)
	// Invitations are the pending ones (B22); InviteTTL how long their links work.
	Invitations []twostep.Invitation
	InviteTTL   time.Duration
}

// commonZones are suggested in the time zone field (any IANA name is accepted).
var commonZones = []string{"America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
	"America/Anchorage", "Pacific/Honolulu", "America/Puerto_Rico", "America/Toronto", "America/Vancouver", "America/Mexico_City", "Europe/Madrid", "UTC"}

func (s *Server) adminData(r *http.Request, a *twostep.Auth) (pageData, error) {
	ctr, users, err := s.svc.CenterUsers(r.Context(), a.User, 0)
	if err != nil {
		return pageData{}, err
	}
	invs, err := s.svc.Invitations(r.Context(), a.User, 0)
	if err != nil {
		return pageData{}, err
	}
	grace := ctr.GraceLogins
	if grace < 0 {
		grace = s.svc.Settings().GraceLogins
	}
	v := adminView{Center: ctr, Users: users, Grace: strconv.Itoa(grace), Required: ctr.TwoStepRequired, Zone: ctr.TimeZone, Zones: commonZones,
		Trusted: strconv.Itoa(ctr.TrustedBrowserDays), Invitations: invs, InviteTTL: s.svc.Settings().InviteTTL}
	for _, t := range twostep.AllMethodTypes {
		v.Types = append(v.Types, typeChoice{Type: t, Allowed: ctr.Allows(t)})
	}
	d := pageData{Lang: pickLanguage(r), Auth: a, Title: ctr.Name, D: &v}
	d.Flash = flashFrom(r, d, func(name string) bool {
		return slices.ContainsFunc(users, func(u twostep.UserState) bool { return u.Username == name }) ||
			slices.ContainsFunc(invs, func(i twostep.Invitation) bool { return i.Username == name })
	})
	return d, nil
}

func requireAdmin(a *twostep.Auth) error {
	if a.User.Role != twostep.RoleAdmin {
		return twostep.Errorf(twostep.EForbidden, "Only center administrators may see this page.")
	}
	return nil
}

func (s *Server) pageAdmin(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	if err := requireAdmin(a); err != nil {
		return err
	}
	d, err := s.adminData(r, a)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "admin", d)
	return nil
}

func (s *Server) pageAdminPolicy(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	if err := requireAdmin(a); err != nil {
		return err
	}
	r.ParseForm()
	required := r.PostForm.Get("two_step_required") == "true"
	p := twostep.Policy{TwoStepRequired: &required, AllowedMethods: []twostep.MethodType{}}
	for _, t := range r.PostForm["allowed_methods"] {
		p.AllowedMethods = append(p.AllowedMethods, twostep.MethodType(t))
	}
	grace, err := strconv.Atoi(r.PostForm.Get("grace_logins"))
	if err != nil {
		grace = -1 // refused by the domain with a message tied to the field
	}
	p.GraceLogins = &grace
	if v := r.PostForm.Get("trusted_browser_days"); v != "" {
		days, err := strconv.Atoi(v)
		if err != nil {
			days = -1 // refused by the domain with a message tied to the field
		}
		p.TrustedBrowserDays = &days
	}
	if _, err := s.svc.SetPolicy(r.Context(), a.User, 0, p, clientOf(r)); err != nil {
		d, derr := s.adminData(r, a)
		if derr != nil {
			return derr
		}
		v := d.D.(*adminView) // show what was submitted, not what is saved
		v.Grace, v.Required, v.Trusted = r.PostForm.Get("grace_logins"), required, r.PostForm.Get("trusted_browser_days")
		for i := range v.Types {
			v.Types[i].Allowed = slices.Contains(p.AllowedMethods, v.Types[i].Type)
		}
		s.formError(w, r, "admin", d, err)
		return nil
	}
	http.Redirect(w, r, "/admin?done=policy", http.StatusSeeOther)
	return nil
}

func (s *Server) pageAdminTimeZone(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	if err := requireAdmin(a); err != nil {
		return err
	}
	zone := r.PostFormValue("time_zone")
	if _, err := s.svc.SetPolicy(r.Context(), a.User, 0, twostep.Policy{TimeZone: &zone}, clientOf(r)); err != nil {
		d, derr := s.adminData(r, a)
		if derr != nil {
			return derr
		}
		d.D.(*adminView).Zone = zone
		s.formError(w, r, "admin", d, err)
		return nil
	}
	http.Redirect(w, r, "/admin?done=zone", http.StatusSeeOther)
	return nil
}

func (s *Server) pageAdminCSV(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	if err := requireAdmin(a); err != nil {
		return err
	}
	ctr, users, err := s.svc.CenterUsers(r.Context(), a.User, 0)
	if err != nil {
		return err
	}
	writeUsersCSV(w, ctr.Name, users)
	return nil
}

// resetPage asks the admin's password before resetting u's 2SV. The form's
// address is built from the stored username, escaped, never from the request.
func (s *Server) resetPage(r *http.Request, a *twostep.Auth, u *twostep.User) pageData {
	d := s.page(r, a, "reset.title")
	d.D = confirmView{Action: "/admin/users/" + url.PathEscape(u.Username) + "/reset", Explain: d.T("reset.explain", u.Username), Button: d.T("reset.title"), Danger: true, Cancel: "/admin"}
	return d
}

func (s *Server) pageAdminResetForm(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	if err := requireAdmin(a); err != nil {
		return err
	}
	u, err := s.svc.ResetTarget(r.Context(), a.User, r.PathValue("username"))
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "password_confirm", s.resetPage(r, a, u))
	return nil
}

func (s *Server) pageAdminReset(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	if err := requireAdmin(a); err != nil {
		return err
	}
	u, err := s.svc.ResetTarget(r.Context(), a.User, r.PathValue("username"))
	if err != nil {
		return err
	}
	if err := s.svc.ResetTwoStepConfirmed(r.Context(), a, u.Username, r.PostFormValue("password"), true, clientOf(r)); err != nil {
		s.formError(w, r, "password_confirm", s.resetPage(r, a, u), err)
		return nil
	}
	s.queued()
	http.Redirect(w, r, "/admin?done=reset&who="+url.QueryEscape(u.Username), http.StatusSeeOther)
	return nil
}
