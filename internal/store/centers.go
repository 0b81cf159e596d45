package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/providerportal/portal/internal/twostep"
)

const centerCols = "id, name, two_step_available, two_step_required, allowed_methods, grace_logins, created_at, time_zone, trusted_browser_days"

func scanCenter(row interface{ Scan(...any) error }) (*twostep.Center, error) {
	var c twostep.Center
	var allowed string
	var created int64
	if err := row.Scan(&c.ID, &c.Name, &c.TwoStepAvailable, &c.TwoStepRequired, &allowed, &c.GraceLogins, &created, &c.TimeZone, &c.TrustedBrowserDays); err != nil {
		return nil, notFound(err)
	}
	c.AllowedMethods = splitMethods(allowed)
	c.CreatedAt = fromMS(created)
	return &c, nil
}

func splitMethods(s string) []twostep.MethodType {
	var out []twostep.MethodType
	for _, p := range strings.Split(s, ",") {
		if p != "" {
			out = append(out, twostep.MethodType(p))
		}
	}
	return out
}

func joinMethods(ts []twostep.MethodType) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = string(t)
	}
	return strings.Join(parts, ",")
}

// CreateCenter inserts c and sets its ID.
func (s *Store) CreateCenter(ctx context.Context, c *twostep.Center) error {
	err := s.writeRow(ctx, `INSERT INTO centers (name, name_key, two_step_available, two_step_required, allowed_methods, grace_logins, created_at, trusted_browser_days)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		c.Name, strings.ToLower(c.Name), c.TwoStepAvailable, c.TwoStepRequired, joinMethods(c.AllowedMethods), c.GraceLogins, ms(c.CreatedAt), c.TrustedBrowserDays).Scan(&c.ID)
	if isUnique(err) {
		return twostep.ErrDuplicate
	}
	if err != nil {
		return fmt.Errorf("create center: %w", err)
	}
	return nil
}

// CenterByID returns a center or twostep.ErrNotFound.
func (s *Store) CenterByID(ctx context.Context, id int64) (*twostep.Center, error) {
	return scanCenter(s.queryRow(ctx, "SELECT "+centerCols+" FROM centers WHERE id = ?", id))
}

// CenterByName returns a center by name, case-insensitively.
func (s *Store) CenterByName(ctx context.Context, name string) (*twostep.Center, error) {
	return scanCenter(s.queryRow(ctx, "SELECT "+centerCols+" FROM centers WHERE name_key = ?", strings.ToLower(name)))
}

// ListCenters returns every center by name.
func (s *Store) ListCenters(ctx context.Context) ([]twostep.Center, error) {
	rows, err := s.query(ctx, "SELECT "+centerCols+" FROM centers ORDER BY name_key")
	if err != nil {
		return nil, fmt.Errorf("list centers: %w", err)
	}
	defer rows.Close()
	var out []twostep.Center
	for rows.Next() {
		c, err := scanCenter(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *c)
	}
	return out, rows.Err()
}

// UpdateCenter saves the center's settings.
func (s *Store) UpdateCenter(ctx context.Context, c *twostep.Center) error {
	res, err := s.exec(ctx, `UPDATE centers SET two_step_available = ?, two_step_required = ?, allowed_methods = ?, grace_logins = ?, time_zone = ?, trusted_browser_days = ? WHERE id = ?`,
		c.TwoStepAvailable, c.TwoStepRequired, joinMethods(c.AllowedMethods), c.GraceLogins, c.TimeZone, c.TrustedBrowserDays, c.ID)
	if err != nil {
		return fmt.Errorf("update center: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return twostep.ErrNotFound
	}
	return nil
}
