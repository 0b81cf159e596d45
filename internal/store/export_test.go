package store

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
)

// HotStatement is a registered statement, for the plan test.
type HotStatement = statement

// HotStatements returns the statements of kind that must use an index.
func HotStatements(kind string) []HotStatement { return hotStatements(kind) }

// SmallTable reports whether name may be read whole.
func SmallTable(name string) bool { return smallTable(name) }

var placeholder = regexp.MustCompile(`\$\d+`)

// Explain returns q's plan: SQLite's EXPLAIN QUERY PLAN lines, or
// PostgreSQL's generic plan as JSON, planned with sequential scans off so that
// it shows whether an index can serve the statement at all (on a small test
// table the planner rightly prefers reading it whole).
func (s *Store) Explain(ctx context.Context, q string) (string, error) {
	if s.kind == "sqlite" {
		args := make([]any, strings.Count(q, "?"))
		rows, err := s.r.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q, args...)
		if err != nil {
			return "", err
		}
		defer rows.Close()
		var b strings.Builder
		for rows.Next() {
			var id, parent, notUsed int
			var detail string
			if err := rows.Scan(&id, &parent, &notUsed, &detail); err != nil {
				return "", err
			}
			b.WriteString(detail + "\n")
		}
		return b.String(), rows.Err()
	}
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	pg := s.rebind(q)
	n := len(placeholder.FindAllString(pg, -1))
	params := strings.TrimSuffix(strings.Repeat("NULL, ", n), ", ")
	for _, stmt := range []string{"SET LOCAL enable_seqscan = off", "SET LOCAL plan_cache_mode = force_generic_plan", "PREPARE explained AS " + pg} {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return "", fmt.Errorf("%s: %w", stmt, err)
		}
	}
	explain := "EXPLAIN (FORMAT JSON) EXECUTE explained"
	if n > 0 {
		explain += "(" + params + ")"
	}
	var plan string
	err = tx.QueryRowContext(ctx, explain).Scan(&plan)
	tx.ExecContext(ctx, "DEALLOCATE explained")
	return plan, err
}

// OpenTraced is Open with tr counting what pgx sends to PostgreSQL.
func OpenTraced(ctx context.Context, kind, dsn string, tr *RoundTrips) (*Store, error) {
	return open(ctx, kind, dsn, tr)
}

// RoundTrips counts what pgx sends to PostgreSQL: statements (BEGIN and COMMIT
// included), round trips (a statement on its own, or a whole batch) and
// statements prepared (once per connection, then cached).
type RoundTrips struct {
	mu         sync.Mutex
	Statements int
	Trips      int
	Prepares   int
	SQL        []string
}

// Reset zeroes the counts.
func (r *RoundTrips) Reset() {
	r.mu.Lock()
	r.Statements, r.Trips, r.Prepares, r.SQL = 0, 0, 0, nil
	r.mu.Unlock()
}

// Counts returns statements, round trips and prepares so far.
func (r *RoundTrips) Counts() (statements, trips, prepares int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.Statements, r.Trips, r.Prepares
}

func (r *RoundTrips) add(statements, trips, prepares int, sql string) {
	r.mu.Lock()
	r.Statements += statements
	r.Trips += trips
	r.Prepares += prepares
	if sql != "" {
		r.SQL = append(r.SQL, sql)
	}
	r.mu.Unlock()
}

func (r *RoundTrips) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	r.add(1, 1, 0, d.SQL)
	return ctx
}

func (r *RoundTrips) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (r *RoundTrips) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	r.add(0, 1, 0, "")
	return ctx
}

func (r *RoundTrips) TraceBatchQuery(_ context.Context, _ *pgx.Conn, d pgx.TraceBatchQueryData) {
	r.add(1, 0, 0, d.SQL)
}

func (r *RoundTrips) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

func (r *RoundTrips) TracePrepareStart(ctx context.Context, _ *pgx.Conn, _ pgx.TracePrepareStartData) context.Context {
	r.add(0, 0, 1, "")
	return ctx
}

func (r *RoundTrips) TracePrepareEnd(context.Context, *pgx.Conn, pgx.TracePrepareEndData) {}

// Rebind is the statement as sent to PostgreSQL.
func (s *Store) Rebind(q string) string { return s.rebind(q) }

// IndexLeadingKeys maps each PostgreSQL index of the schema to its first key
// (a column, or an expression such as lower(email)).
func (s *Store) IndexLeadingKeys(ctx context.Context) (map[string]string, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			return nil, err
		}
		// "CREATE INDEX x ON s.t USING btree (center_id, actor, id) WHERE …"
		i := strings.Index(def, " USING ")
		j := strings.Index(def[i:], "(")
		keys, depth := def[i+j+1:], 0
		for k, r := range keys {
			switch r {
			case '(':
				depth++
			case ')', ',':
				if depth == 0 {
					out[name] = strings.TrimSpace(keys[:k])
					break
				}
				if r == ')' {
					depth--
				}
			}
			if _, ok := out[name]; ok {
				break
			}
		}
	}
	return out, rows.Err()
}
