package store

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/providerportal/portal/internal/twostep"
)

const trustedCols = "id, user_id, token_hash, created_at, expires_at, last_used_at, ip, user_agent"

// The trusted browsers' statements: a sign-in with a trusted browser's cookie
// uses it (useTrustedSQL); expired ones are purged in batches.
const (
	qTrustedBrowsers     = "SELECT " + trustedCols + " FROM trusted_browsers WHERE user_id = ? AND expires_at > ? ORDER BY id DESC"
	qPurgeTrustedBrowser = "DELETE FROM trusted_browsers WHERE id IN (SELECT id FROM trusted_browsers WHERE expires_at <= ? LIMIT ?)"
)

// useTrustedSQL records the use of the user's live trusted browser among
// list, a placeholder list of token hashes.
func useTrustedSQL(list string) string {
	return `UPDATE trusted_browsers SET last_used_at = ?
		WHERE id = (SELECT id FROM trusted_browsers WHERE user_id = ? AND expires_at > ? AND token_hash IN (` + list + `) ORDER BY id DESC LIMIT 1)
		RETURNING ` + trustedCols
}

func scanTrusted(row scanner) (*twostep.TrustedBrowser, error) {
	var b twostep.TrustedBrowser
	var hashHex string
	var created, expires, used int64
	if err := row.Scan(&b.ID, &b.UserID, &hashHex, &created, &expires, &used, &b.IP, &b.UserAgent); err != nil {
		return nil, notFound(err)
	}
	b.Hash, _ = hex.DecodeString(hashHex)
	b.CreatedAt, b.ExpiresAt, b.LastUsedAt = fromMS(created), fromMS(expires), fromMS(used)
	return &b, nil
}

// hashList renders hashes as a placeholder list and its arguments.
func hashList(hashes [][]byte) (string, []any) {
	args := make([]any, len(hashes))
	for i, h := range hashes {
		args[i] = hex.EncodeToString(h)
	}
	return strings.TrimSuffix(strings.Repeat("?, ", len(hashes)), ", "), args
}

// AddTrustedBrowser stores a trusted browser and sets its ID.
func (s *Store) AddTrustedBrowser(ctx context.Context, b *twostep.TrustedBrowser) error {
	err := s.writeRow(ctx, `INSERT INTO trusted_browsers (user_id, token_hash, created_at, expires_at, last_used_at, ip, user_agent)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, b.UserID, hex.EncodeToString(b.Hash), ms(b.CreatedAt), ms(b.ExpiresAt), ms(b.LastUsedAt),
		b.IP, b.UserAgent).Scan(&b.ID)
	if err != nil {
		return fmt.Errorf("add trusted browser: %w", err)
	}
	return nil
}

// UseTrustedBrowser finds the user's live trusted browser among hashes and
// records its use, in one update.
func (s *Store) UseTrustedBrowser(ctx context.Context, userID int64, hashes [][]byte, now time.Time) (*twostep.TrustedBrowser, error) {
	if len(hashes) == 0 {
		return nil, twostep.ErrNotFound
	}
	list, args := hashList(hashes)
	args = append([]any{ms(now), userID, ms(now)}, args...)
	b, err := scanTrusted(s.writeRow(ctx, useTrustedSQL(list), args...))
	if err != nil && !errors.Is(err, twostep.ErrNotFound) {
		return nil, fmt.Errorf("use trusted browser: %w", err)
	}
	return b, err
}

// TrustedBrowsers lists the user's live trusted browsers, newest first.
func (s *Store) TrustedBrowsers(ctx context.Context, userID int64, now time.Time) ([]twostep.TrustedBrowser, error) {
	rows, err := s.query(ctx, qTrustedBrowsers, userID, ms(now))
	if err != nil {
		return nil, fmt.Errorf("list trusted browsers: %w", err)
	}
	defer rows.Close()
	var out []twostep.TrustedBrowser
	for rows.Next() {
		b, err := scanTrusted(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *b)
	}
	return out, rows.Err()
}

// DeleteTrustedBrowser removes one of the user's trusted browsers.
func (s *Store) DeleteTrustedBrowser(ctx context.Context, userID, id int64) error {
	res, err := s.exec(ctx, "DELETE FROM trusted_browsers WHERE id = ? AND user_id = ?", id, userID)
	if err != nil {
		return fmt.Errorf("delete trusted browser: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return twostep.ErrNotFound
	}
	return nil
}

// DeleteTrustedBrowsersOf removes the user's trusted browsers among hashes and
// returns the hashes removed.
func (s *Store) DeleteTrustedBrowsersOf(ctx context.Context, userID int64, hashes [][]byte) ([][]byte, error) {
	if len(hashes) == 0 {
		return nil, nil
	}
	list, args := hashList(hashes)
	var gone [][]byte
	err := s.tx(ctx, func(t *sqlTx) error {
		gone = gone[:0]
		rows, err := t.query(ctx, "DELETE FROM trusted_browsers WHERE user_id = ? AND token_hash IN ("+list+") RETURNING token_hash",
			append([]any{userID}, args...)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var h string
			if err := rows.Scan(&h); err != nil {
				return err
			}
			b, _ := hex.DecodeString(h)
			gone = append(gone, b)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("replace trusted browser: %w", err)
	}
	return gone, nil
}

// DeleteTrustedBrowsers removes every trusted browser of the user.
func (s *Store) DeleteTrustedBrowsers(ctx context.Context, userID int64) error {
	if _, err := s.exec(ctx, "DELETE FROM trusted_browsers WHERE user_id = ?", userID); err != nil {
		return fmt.Errorf("delete trusted browsers: %w", err)
	}
	return nil
}

// DeleteExpiredTrustedBrowsers removes trusted browsers that expired before
// before, in batches.
func (s *Store) DeleteExpiredTrustedBrowsers(ctx context.Context, before time.Time) (int64, error) {
	n, err := s.deleteBatches(ctx, qPurgeTrustedBrowser, PurgeOptions{}, ms(before))
	if err != nil {
		return n, fmt.Errorf("delete expired trusted browsers: %w", err)
	}
	return n, nil
}
