package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/providerportal/portal/internal/twostep"
)

// AddAudit appends an event to the audit log.
func (s *Store) AddAudit(ctx context.Context, e *twostep.AuditEvent) error {
	err := s.writeRow(ctx, `INSERT INTO audit_events (at, center_id, actor, action, target, ip, user_agent, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		ms(e.At), e.CenterID, e.Actor, e.Action, e.Target, e.IP, e.UserAgent, e.Detail).Scan(&e.ID)
	if err != nil {
		return fmt.Errorf("add audit event: %w", err)
	}
	return nil
}

// ListAudit returns the events f selects, newest first. The statement holds
// only the conditions asked for, so each filter uses its index
// (center_id with id, actor, target or action).
func (s *Store) ListAudit(ctx context.Context, f twostep.AuditFilter) ([]twostep.AuditEvent, error) {
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
	if f.BeforeID != 0 {
		where, args = append(where, "id < ?"), append(args, f.BeforeID)
	}
	q := "SELECT id, at, center_id, actor, action, target, ip, user_agent, detail FROM audit_events"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC LIMIT ?"
	rows, err := s.query(ctx, q, append(args, f.Limit)...)
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
