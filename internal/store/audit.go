package store

import (
	"context"
	"fmt"

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

// ListAudit returns events newest first, of one center (or all for 0), before beforeID (0: from the newest).
func (s *Store) ListAudit(ctx context.Context, centerID int64, limit int, beforeID int64) ([]twostep.AuditEvent, error) {
	q := "SELECT id, at, center_id, actor, action, target, ip, user_agent, detail FROM audit_events WHERE (? = 0 OR center_id = ?) AND (? = 0 OR id < ?) ORDER BY id DESC LIMIT ?"
	rows, err := s.query(ctx, q, centerID, centerID, beforeID, beforeID, limit)
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	defer rows.Close()
	var out []twostep.AuditEvent
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
