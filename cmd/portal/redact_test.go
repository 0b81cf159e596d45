package main

import "testing"

// Security review, finding 7: a database password never reaches the output,
// wherever in the URL it is.
func TestRedactDatabaseURL(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:secret@db:5432/p?sslmode=require":              "postgres://u:***@db:5432/p?sslmode=require",
		"postgres://u@db/p?sslmode=disable&password=TopSecretPW":     "postgres://u@db/p?sslmode=disable&password=***",
		"postgres://u@db/p?sslpassword=keypass&PASSWORD=x&connect=2": "postgres://u@db/p?sslpassword=***&PASSWORD=***&connect=2",
		"postgres://u:pw@db/p?password=again":                        "postgres://u:***@db/p?password=***",
		"sqlite:portal.db":                                           "sqlite:portal.db",
		"sqlite:/tmp/a?b.db":                                         "sqlite:/tmp/a?b.db",
	} {
		if got := redact(in); got != want {
			t.Errorf("redact(%q) = %q, want %q", in, got, want)
		}
	}
}
