package web

import (
	"context"
	"net/http"
	"strings"

	"github.com/providerportal/portal/internal/twostep"
)

// appIn is an app's registration as the staff API and page take it.
type appIn struct {
	Name           string   `json:"name"`
	RedirectURIs   []string `json:"redirect_uris"`
	PostLogoutURIs []string `json:"post_logout_redirect_uris"`
	Public         bool     `json:"public"`
	Hosts          []string `json:"forward_auth_hosts"`
	Centers        []string `json:"centers"`
	Roles          []string `json:"roles"`
	RequireTwoStep *bool    `json:"require_two_step"`
}

func (in appIn) newApp() twostep.NewApp {
	var roles []twostep.Role
	if in.Roles != nil {
		roles = []twostep.Role{}
	}
	for _, r := range in.Roles {
		roles = append(roles, twostep.Role(strings.TrimSpace(r)))
	}
	return twostep.NewApp{Name: in.Name, RedirectURIs: in.RedirectURIs, PostLogoutURIs: in.PostLogoutURIs, Public: in.Public,
		Hosts: in.Hosts, Centers: in.Centers, Roles: roles, RequireTwoStep: in.RequireTwoStep}
}

// appJSON is an app as the staff API shows it (never its secret's hash).
func appJSON(a *twostep.App, centers map[int64]string) map[string]any {
	names := []string{}
	for _, id := range a.Centers {
		names = append(names, centers[id])
	}
	roles := []string{}
	for _, r := range a.Roles {
		roles = append(roles, string(r))
	}
	kind := "forward_auth"
	if a.IsOIDC() {
		kind = "oidc"
	}
	out := map[string]any{"name": a.Name, "kind": kind, "centers": names, "roles": roles, "require_two_step": a.RequireTwoStep,
		"created_at": a.CreatedAt.UTC().Format(timeJSON)}
	if a.IsOIDC() {
		out["client_id"], out["public"] = a.ClientID, a.Public
		out["redirect_uris"], out["post_logout_redirect_uris"] = orEmpty(a.RedirectURIs), orEmpty(a.PostLogoutURIs)
	} else {
		out["forward_auth_hosts"] = orEmpty(a.Hosts)
	}
	return out
}

const timeJSON = "2006-01-02T15:04:05Z07:00"

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (s *Server) centerNames(ctx context.Context, a *twostep.Auth) (map[int64]string, error) {
	return s.svc.CenterNames(ctx, a.User)
}

// apiStaffApps lists the registered apps.
func (s *Server) apiStaffApps(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	list, err := s.svc.ListApps(r.Context(), a.User)
	if err != nil {
		return err
	}
	names, err := s.centerNames(r.Context(), a)
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for i := range list {
		out = append(out, appJSON(&list[i], names))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// apiStaffCreateApp registers an app; a confidential client's secret is in
// this answer only.
func (s *Server) apiStaffCreateApp(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	var in appIn
	if err := decodeJSON(r, &in, false); err != nil {
		return err
	}
	app, secret, err := s.svc.CreateApp(r.Context(), a.User, in.newApp(), clientOf(r))
	if err != nil {
		return err
	}
	names, err := s.centerNames(r.Context(), a)
	if err != nil {
		return err
	}
	out := appJSON(app, names)
	if secret != "" {
		out["client_secret"] = secret
	}
	if app.IsOIDC() {
		out["issuer"] = s.svc.Settings().PublicURL
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

// apiStaffDeleteApp removes an app by name.
func (s *Server) apiStaffDeleteApp(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	if err := s.svc.DeleteApp(r.Context(), a.User, r.PathValue("name"), clientOf(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
