package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/providerportal/portal/internal/twostep"
)

const appCols = "id, name, COALESCE(client_id, ''), secret_hash, public, redirect_uris, post_logout_uris, centers, roles, require_two_step, created_at"

func scanApp(row scanner) (*twostep.App, error) {
	var a twostep.App
	var redirects, logouts, centers, roles string
	var created int64
	if err := row.Scan(&a.ID, &a.Name, &a.ClientID, &a.SecretHash, &a.Public, &redirects, &logouts, &centers, &roles, &a.RequireTwoStep, &created); err != nil {
		return nil, notFound(err)
	}
	a.RedirectURIs, a.PostLogoutURIs = splitLines(redirects), splitLines(logouts)
	for _, c := range strings.Split(centers, ",") {
		if id, err := strconv.ParseInt(c, 10, 64); err == nil {
			a.Centers = append(a.Centers, id)
		}
	}
	for _, r := range strings.Split(roles, ",") {
		if r != "" {
			a.Roles = append(a.Roles, twostep.Role(r))
		}
	}
	a.CreatedAt = fromMS(created)
	return &a, nil
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// CreateApp inserts an app and its hosts in one transaction and sets its ID.
func (s *Store) CreateApp(ctx context.Context, a *twostep.App) error {
	centers := make([]string, len(a.Centers))
	for i, id := range a.Centers {
		centers[i] = strconv.FormatInt(id, 10)
	}
	roles := make([]string, len(a.Roles))
	for i, r := range a.Roles {
		roles[i] = string(r)
	}
	var clientID any
	if a.ClientID != "" {
		clientID = a.ClientID
	}
	err := s.tx(ctx, func(tx *sqlTx) error {
		err := tx.queryRow(ctx, `INSERT INTO apps (name, name_key, client_id, secret_hash, public, redirect_uris, post_logout_uris, centers, roles, require_two_step, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			a.Name, strings.ToLower(a.Name), clientID, a.SecretHash, a.Public, strings.Join(a.RedirectURIs, "\n"), strings.Join(a.PostLogoutURIs, "\n"),
			strings.Join(centers, ","), strings.Join(roles, ","), a.RequireTwoStep, ms(a.CreatedAt)).Scan(&a.ID)
		if err != nil {
			return err
		}
		for _, h := range a.Hosts {
			if _, err := tx.exec(ctx, "INSERT INTO app_hosts (host, app_id) VALUES (?, ?)", h, a.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if isUnique(err) {
		return twostep.ErrDuplicate
	}
	if err != nil {
		return fmt.Errorf("create app: %w", err)
	}
	return nil
}

// appWhere returns the one app matching a condition, with its hosts.
func (s *Store) appWhere(ctx context.Context, cond string, arg any) (*twostep.App, error) {
	a, err := scanApp(s.queryRow(ctx, "SELECT "+appCols+" FROM apps WHERE "+cond, arg))
	if err != nil {
		return nil, err
	}
	hosts, err := s.appHosts(ctx, "WHERE app_id = ?", a.ID)
	if err != nil {
		return nil, err
	}
	a.Hosts = hosts[a.ID]
	return a, nil
}

// AppByID returns an app or twostep.ErrNotFound.
func (s *Store) AppByID(ctx context.Context, id int64) (*twostep.App, error) {
	return s.appWhere(ctx, "id = ?", id)
}

// AppByName returns an app by name, case-insensitively.
func (s *Store) AppByName(ctx context.Context, name string) (*twostep.App, error) {
	return s.appWhere(ctx, "name_key = ?", strings.ToLower(name))
}

// AppByClientID returns an OpenID Connect client.
func (s *Store) AppByClientID(ctx context.Context, clientID string) (*twostep.App, error) {
	return s.appWhere(ctx, "client_id = ?", clientID)
}

func (s *Store) appHosts(ctx context.Context, where string, args ...any) (map[int64][]string, error) {
	rows, err := s.query(ctx, "SELECT app_id, host FROM app_hosts "+where+" ORDER BY host", args...)
	if err != nil {
		return nil, fmt.Errorf("app hosts: %w", err)
	}
	defer rows.Close()
	out := map[int64][]string{}
	for rows.Next() {
		var id int64
		var h string
		if err := rows.Scan(&id, &h); err != nil {
			return nil, err
		}
		out[id] = append(out[id], h)
	}
	return out, rows.Err()
}

// ListApps returns every app by name, with their hosts.
func (s *Store) ListApps(ctx context.Context) ([]twostep.App, error) {
	rows, err := s.query(ctx, "SELECT "+appCols+" FROM apps ORDER BY name_key")
	if err != nil {
		return nil, fmt.Errorf("list apps: %w", err)
	}
	var out []twostep.App
	for rows.Next() {
		a, err := scanApp(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, *a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	hosts, err := s.appHosts(ctx, "")
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Hosts = hosts[out[i].ID]
	}
	return out, nil
}

// DeleteApp removes an app; its hosts, requests, grants and tokens go with it.
func (s *Store) DeleteApp(ctx context.Context, id int64) error {
	return s.tx(ctx, func(tx *sqlTx) error {
		// Tokens hang on grants: delete them first so no cascade depth matters.
		for _, q := range []string{
			"DELETE FROM app_tokens WHERE grant_id IN (SELECT id FROM app_grants WHERE app_id = ?)",
			"DELETE FROM app_grants WHERE app_id = ?",
			"DELETE FROM app_auth_requests WHERE app_id = ?",
			"DELETE FROM app_hosts WHERE app_id = ?",
		} {
			if _, err := tx.exec(ctx, q, id); err != nil {
				return fmt.Errorf("delete app: %w", err)
			}
		}
		res, err := tx.exec(ctx, "DELETE FROM apps WHERE id = ?", id)
		if err != nil {
			return fmt.Errorf("delete app: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return twostep.ErrNotFound
		}
		return nil
	})
}
