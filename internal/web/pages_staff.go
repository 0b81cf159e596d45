package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/providerportal/portal/internal/twostep"
)

// staffView is the account managers' page: every center and its beta.
type staffView struct{ Centers []twostep.Center }

func (s *Server) staffData(r *http.Request, a *twostep.Auth) (pageData, error) {
	list, err := s.svc.ListCenters(r.Context(), a.User)
	if err != nil {
		return pageData{}, err
	}
	d := s.page(r, a, "staff.title")
	d.D = staffView{Centers: list}
	d.Flash = flashFrom(r, d, nil)
	// "The beta is off for X": only for a center that exists and whose beta
	// is in that state, so a crafted link cannot make the page say anything
	// else, nor something untrue about a security setting.
	if done := r.URL.Query().Get("done"); done == "beta-on" || done == "beta-off" {
		on := done == "beta-on"
		if who := r.URL.Query().Get("who"); slices.ContainsFunc(list, func(c twostep.Center) bool { return c.Name == who && c.TwoStepAvailable == on }) {
			d.Flash = d.T("flash."+done, who)
		}
	}
	return d, nil
}

func (s *Server) pageStaff(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	d, err := s.staffData(r, a)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "staff", d)
	return nil
}

func (s *Server) pageStaffCreateCenter(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	form := map[string]string{"name": r.PostFormValue("name"), "username": r.PostFormValue("username"), "email": r.PostFormValue("email")}
	_, _, err := s.svc.CreateCenterWithAdmin(r.Context(), a.User, form["name"], twostep.NewUser{Username: form["username"], Email: form["email"],
		Password: r.PostFormValue("password")}, clientOf(r))
	if err != nil {
		d, derr := s.staffData(r, a)
		if derr != nil {
			return derr
		}
		d.Form = form
		s.formError(w, r, "staff", d, err)
		return nil
	}
	http.Redirect(w, r, "/staff?done=center", http.StatusSeeOther)
	return nil
}

// betaView is the page that asks before the beta of a center changes.
type betaView struct {
	Center *twostep.Center
	On     bool // the change asked for: true turns the beta on
}

// pageStaffBetaForm asks before the beta changes: turning it off stops every
// second step at the center, so it is never one careless press (it works
// without JavaScript; the button on the centers page leads here).
func (s *Server) pageStaffBetaForm(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctr, err := s.svc.Center(r.Context(), a.User, id)
	if err != nil {
		return err
	}
	on := !ctr.TwoStepAvailable
	key := "staff.confirm.off"
	if on {
		key = "staff.confirm.on"
	}
	d := s.page(r, a, key, ctr.Name)
	d.D = betaView{Center: ctr, On: on}
	s.render(w, r, http.StatusOK, "staff_beta", d)
	return nil
}

func (s *Server) pageStaffBeta(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	on, err := strconv.ParseBool(r.PostFormValue("on"))
	if err != nil {
		return twostep.Errorf(twostep.EInvalid, "Choose on or off.")
	}
	ctr, err := s.svc.SetTwoStepAvailable(r.Context(), a.User, id, on, clientOf(r))
	if err != nil {
		return err
	}
	done := "beta-off"
	if on {
		done = "beta-on"
	}
	http.Redirect(w, r, "/staff?done="+done+"&who="+url.QueryEscape(ctr.Name), http.StatusSeeOther)
	return nil
}
