package store_test

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/storetest"
)

// TestStatementsUseIndexes plans every registered hot and periodic statement
// (the constants the store runs) and fails when one reads a whole table that
// grows: such a statement's cost grows with the history.
func TestStatementsUseIndexes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		leading, err := leadingKeys(s)
		if err != nil {
			t.Fatal(err)
		}
		list := store.HotStatements(s.Kind())
		if len(list) < 40 {
			t.Fatalf("only %d statements registered", len(list))
		}
		seen := map[string]bool{}
		for _, st := range list {
			if seen[st.Name] {
				t.Errorf("statement name %q registered twice", st.Name)
			}
			seen[st.Name] = true
			plan, err := s.Explain(ctx, st.SQL)
			if err != nil {
				t.Errorf("%s: explain: %v\n%s", st.Name, err, st.SQL)
				continue
			}
			var scans []string
			if s.Kind() == "sqlite" {
				scans = sqliteFullScans(plan, st.SQL)
			} else {
				scans, err = postgresFullScans(plan, leading)
				if err != nil {
					t.Fatalf("%s: %v", st.Name, err)
				}
			}
			for _, table := range scans {
				if !store.SmallTable(table) {
					t.Errorf("%s reads all of %s:\n%s\nplan:\n%s", st.Name, table, st.SQL, plan)
				}
			}
		}
	})
}

// TestPlanReadersSeeFullScans keeps the test above from passing by reading
// plans wrong: statements that cannot use an index must be caught.
func TestPlanReadersSeeFullScans(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		leading, err := leadingKeys(s)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct{ sql, table string }{
			{"UPDATE outbox SET body = '' WHERE last_error = ?", "outbox"},
			{"SELECT a.id FROM audit_events a WHERE a.actor = ?", "audit_events"},
			{"SELECT s.id_hash FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = ?", "users"},
			{"SELECT COUNT(*) FROM throttle", "throttle"},
		} {
			plan, err := s.Explain(context.Background(), tc.sql)
			if err != nil {
				t.Fatal(err)
			}
			scans := sqliteFullScans(plan, tc.sql)
			if s.Kind() == "postgres" {
				if scans, err = postgresFullScans(plan, leading); err != nil {
					t.Fatal(err)
				}
			}
			if !strings.Contains(" "+strings.Join(scans, " ")+" ", " "+tc.table+" ") {
				t.Errorf("full scan of %s not seen in %q: %v\n%s", tc.table, tc.sql, scans, plan)
			}
		}
	})
}

var (
	sqliteScan = regexp.MustCompile(`^SCAN ([A-Za-z_]\w*)\b`)
	// tableRef finds "FROM t", "JOIN t x", "UPDATE t", "INTO t AS x" to map aliases to tables.
	tableRef = regexp.MustCompile(`(?i)\b(?:FROM|JOIN|UPDATE|INTO)\s+(\w+)(?:\s+(?:AS\s+)?(\w+))?`)
)

// sqliteFullScans returns the tables an EXPLAIN QUERY PLAN reads whole:
// "SCAN t" (the table) and "SCAN t USING [COVERING] INDEX i" (all of an index)
// are full scans; "SEARCH t USING …" reads a range.
func sqliteFullScans(plan, sql string) []string {
	alias := map[string]string{}
	for _, m := range tableRef.FindAllStringSubmatch(sql, -1) {
		alias[m[1]] = m[1]
		if a := m[2]; a != "" && !isKeyword(a) {
			alias[a] = m[1]
		}
	}
	var out []string
	for _, line := range strings.Split(plan, "\n") {
		m := sqliteScan.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil || m[1] == "CONSTANT" {
			continue
		}
		name := m[1]
		if t, ok := alias[name]; ok {
			name = t
		}
		out = append(out, name)
	}
	return out
}

func isKeyword(w string) bool {
	switch strings.ToUpper(w) {
	case "SET", "WHERE", "VALUES", "ON", "LEFT", "JOIN", "SELECT", "DEFAULT", "ORDER", "GROUP", "LIMIT", "USING", "INNER":
		return true
	}
	return false
}

// leadingKeys maps PostgreSQL's indexes to their first key (nil on SQLite).
func leadingKeys(s *store.Store) (map[string]string, error) {
	if s.Kind() != "postgres" {
		return nil, nil
	}
	return s.IndexLeadingKeys(context.Background())
}

// postgresFullScans returns the relations a JSON plan reads whole: sequential
// scans, and index scans whose condition does not bound the index's first key
// (a walk of all the index, which the planner picks for a table it may not
// scan, with or without a condition on a later key).
func postgresFullScans(plan string, leading map[string]string) ([]string, error) {
	var doc []struct{ Plan planNode }
	if err := json.Unmarshal([]byte(plan), &doc); err != nil {
		return nil, err
	}
	var out []string
	var walk func(n planNode, rel string)
	walk = func(n planNode, rel string) {
		if n.Relation != "" {
			rel = n.Relation // a Bitmap Index Scan reads for its Bitmap Heap Scan's relation
		}
		switch n.NodeType {
		case "Seq Scan":
			out = append(out, rel)
		case "Index Scan", "Index Only Scan", "Bitmap Index Scan":
			key, ok := leading[n.IndexName]
			if n.IndexCond == "" || (ok && !regexp.MustCompile(`(^|[^\w.])`+regexp.QuoteMeta(key)+`([^\w]|$)`).MatchString(n.IndexCond)) {
				out = append(out, rel)
			}
		}
		for _, c := range n.Plans {
			walk(c, rel)
		}
	}
	for _, d := range doc {
		walk(d.Plan, "")
	}
	return out, nil
}

type planNode struct {
	NodeType  string     `json:"Node Type"`
	Relation  string     `json:"Relation Name"`
	IndexCond string     `json:"Index Cond"`
	IndexName string     `json:"Index Name"`
	Plans     []planNode `json:"Plans"`
}
