package web

import (
	"encoding/csv"

	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/providerportal/portal/internal/twostep"
)

// auditQuery reads the audit filters of a request: person, kind, center
// (account managers), before (paging) and limit.
func auditQuery(r *http.Request) twostep.AuditQuery {
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	before, _ := strconv.ParseInt(q.Get("before"), 10, 64)
	center, _ := strconv.ParseInt(q.Get("center"), 10, 64)
	return twostep.AuditQuery{CenterID: center, Person: q.Get("person"), Kind: twostep.AuditKind(q.Get("kind")), Limit: limit, BeforeID: before}
}

// auditEventView is one audit event as people read it.
type auditEventView struct {
	Sentence string
	At       time.Time
	IP       string
	Browser  string
	Agent    string
}

// auditView is the audit page: events, the filters and what they offer.
type auditView struct {
	Events  []auditEventView
	Query   twostep.AuditQuery
	People  []string // admins choose a person from their center; account managers type one
	Kinds   []twostep.AuditKind
	Older   string // link to the next page, with the same filters
	CSV     string // link to the CSV of the filtered view
	Zone    string
	IsAdmin bool
}

// sentence says an audit event in words in the page's language: "Maria
// turned off 2-Step Verification".
func (p pageData) sentence(e twostep.AuditEvent) string {
	detail := e.Detail
	if t := twostep.MethodType(detail); t.Valid() || t == twostep.MethodRecovery {
		detail = p.Method(t)
	} else if r := twostep.Role(detail); r.Valid() {
		detail = p.Role(r)
	}
	key := "audit.s." + e.Action
	if _, ok := catalogEN[key]; !ok {
		key = "audit.s.other"
	}
	return p.T(key, e.Actor, e.Target, detail, e.Action)
}

// filterLink is path with the query's filters (and extra parameters).
func filterLink(path string, q twostep.AuditQuery, extra ...string) string {
	v := url.Values{}
	if q.Person != "" {
		v.Set("person", q.Person)
	}
	if q.Kind != "" {
		v.Set("kind", string(q.Kind))
	}
	if q.CenterID != 0 {
		v.Set("center", strconv.FormatInt(q.CenterID, 10))
	}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

func (s *Server) pageAudit(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	q := auditQuery(r)
	const page = 50
	q.Limit = page
	events, err := s.svc.AuditLog(r.Context(), a.User, q)
	if err != nil {
		return err
	}
	d := s.page(r, a, "audit.title")
	base := r.URL.Path
	v := auditView{Query: q, Kinds: twostep.AuditKinds, CSV: filterLink(base+".csv", q), IsAdmin: a.User.Role == twostep.RoleAdmin,
		Zone: s.svc.Location(a.Center).String()}
	if v.IsAdmin {
		_, users, err := s.svc.CenterUsers(r.Context(), a.User, 0)
		if err != nil {
			return err
		}
		for _, u := range users {
			v.People = append(v.People, u.Username)
		}
	}
	for _, e := range events {
		v.Events = append(v.Events, auditEventView{Sentence: d.sentence(e), At: e.At, IP: e.IP, Browser: d.Browser(e.UserAgent), Agent: e.UserAgent})
	}
	if len(events) == page {
		v.Older = filterLink(base, q, "before", strconv.FormatInt(events[len(events)-1].ID, 10))
	}
	d.D = v
	s.render(w, r, http.StatusOK, "audit", d)
	return nil
}

// pageAuditCSV exports every event the filters select (B6: the CSV is the way
// to keep events longer than the portal does), oldest last as on the page.
func (s *Server) pageAuditCSV(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	q := auditQuery(r)
	q.BeforeID, q.Limit = 0, 1000
	first, err := s.svc.AuditLog(r.Context(), a.User, q) // fails before anything is written
	if err != nil {
		return err
	}
	loc := s.svc.Location(a.Center)
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="audit-log.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	cw := csv.NewWriter(w)
	cw.Write([]string{"time", "actor", "action", "target", "detail", "ip", "user_agent"})
	for events := first; len(events) > 0; {
		for _, e := range events {
			cw.Write([]string{e.At.In(loc).Format(time.RFC3339), csvSafe(e.Actor), e.Action, csvSafe(e.Target), csvSafe(e.Detail), e.IP, csvSafe(e.UserAgent)})
		}
		if len(events) < q.Limit {
			break
		}
		q.BeforeID = events[len(events)-1].ID
		if events, err = s.svc.AuditLog(r.Context(), a.User, q); err != nil {
			s.log.ErrorContext(r.Context(), "audit export cut short", "err", err, "request_id", requestID(r))
			break
		}
	}
	cw.Flush()
	return nil
}

func (s *Server) apiAudit(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	events, err := s.svc.AuditLog(r.Context(), a.User, auditQuery(r))
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for _, e := range events {
		out = append(out, map[string]any{"id": e.ID, "at": rfc3339(e.At), "actor": e.Actor, "action": e.Action, "target": e.Target,
			"ip": e.IP, "user_agent": e.UserAgent, "detail": e.Detail, "kind": string(twostep.KindOf(e.Action))})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
