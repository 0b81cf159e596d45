package store

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/providerportal/portal/internal/twostep"
)

const qAddAudit = `INSERT INTO audit_events (at, center_id, actor, action, target, ip, user_agent, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`

// AddAudit appends an event to the audit log. In a transaction e.ID is set
// by the time it commits.
func (s *Store) AddAudit(ctx context.Context, e *twostep.AuditEvent) error {
	err := s.later(ctx, qAddAudit, []any{ms(e.At), e.CenterID, e.Actor, e.Action, e.Target, e.IP, e.UserAgent, e.Detail}, &e.ID)
	if err != nil {
		return fmt.Errorf("add audit event: %w", err)
	}
	return nil
}

// auditQuery is the listing f asks for. The statement holds only the
// conditions asked for, so each filter uses its index (center_id with id,
// actor, target or action); id < ? is always there (the newest page too), so
// even the unfiltered listing reads a range of the primary key.
func auditQuery(f twostep.AuditFilter) (string, []any) {
	var where []string
	var args []any
	if f.CenterID != 0 {
		where, args = append(where, "center_id = ?"), append(args, f.CenterID)
	}
	if f.Person != "" {
		where, args = append(where, "(actor = ? OR target = ?)"), append(args, f.Person, f.Person)
	}
	if len(f.Actions) > 0 {
		where = append(where, "action IN (?"+strings.Repeat(", ?", len(f.Actions)-1)+")")
		for _, a := range f.Actions {
			args = append(args, a)
		}
	}
	before := f.BeforeID
	if before <= 0 {
		before = math.MaxInt64
	}
	where, args = append(where, "id < ?"), append(args, before)
	q := "SELECT id, at, center_id, actor, action, target, ip, user_agent, detail FROM audit_events WHERE " +
		strings.Join(where, " AND ") + " ORDER BY id DESC LIMIT ?"
	return q, append(args, f.Limit)
}

// ListAudit returns the events f selects, newest first.
func (s *Store) ListAudit(ctx context.Context, f twostep.AuditFilter) ([]twostep.AuditEvent, error) {
	q, args := auditQuery(f)
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	defer rows.Close()
	out := []twostep.AuditEvent{}
	for rows.Next() {
		var e twostep.AuditEvent
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.CenterID, &e.Actor, &e.Action, &e.Target, &e.IP, &e.UserAgent, &e.Detail); err != nil {
			return nil, err
		}
		e.At = fromMS(at)
		out = append(out, e)
	}
	return out, rows.Err()
}
