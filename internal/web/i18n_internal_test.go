package web

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

// Every key a template or handler uses exists in English, and every English
// key has its Spanish text.
func TestCatalogues(t *testing.T) {
	for k := range catalogEN {
		if _, ok := catalogES[k]; !ok {
			t.Errorf("Spanish lacks %q", k)
		}
	}
	for k := range catalogES {
		if _, ok := catalogEN[k]; !ok && !strings.HasPrefix(k, "err.") {
			t.Errorf("Spanish has %q that English lacks", k)
		}
	}
	used := regexp.MustCompile(`\.(?:T|N) "([a-z.]+)"`)
	names, _ := fs.Glob(templateFiles, "templates/*.html")
	for _, n := range names {
		raw, _ := templateFiles.ReadFile(n)
		for _, m := range used.FindAllStringSubmatch(string(raw), -1) {
			key := m[1]
			if _, ok := catalogEN[key]; !ok {
				if _, ok := catalogEN[key+".one"]; !ok {
					t.Errorf("%s uses %q, which no catalogue has", n, key)
				}
			}
		}
	}
}
