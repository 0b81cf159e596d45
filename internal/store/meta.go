package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Meta returns a fact about the database, or "" when it was never recorded.
func (s *Store) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := s.queryRow(ctx, "SELECT value FROM meta WHERE key = ?", key).Scan(&v)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("read meta %s: %w", key, err)
	}
	return v, nil
}

// SetMetaOnce records value under key unless a value is there already, and
// returns the value that is kept: the first writer wins, also when two
// instances start at once.
func (s *Store) SetMetaOnce(ctx context.Context, key, value string) (string, error) {
	if _, err := s.exec(ctx, "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", key, value); err != nil {
		return "", fmt.Errorf("write meta %s: %w", key, err)
	}
	var kept string
	if err := s.queryRow(ctx, "SELECT value FROM meta WHERE key = ?", key).Scan(&kept); err != nil {
		return "", fmt.Errorf("read meta %s: %w", key, err)
	}
	return kept, nil
}
