package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// axeSource finds axe-core (npm package axe-core): PORTAL_AXE_JS, or the copy
// .ci/run installs under .cache/axe. Without it the checks skip locally and
// fail in CI.
func axeSource(t *testing.T) string {
	if p := os.Getenv("PORTAL_AXE_JS"); p != "" {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("PORTAL_AXE_JS names %s, which cannot be read: %v", p, err)
		}
		return string(raw)
	}
	paths := []string{os.Getenv("PORTAL_AXE_JS"), filepath.Join("..", "..", ".cache", "axe", "node_modules", "axe-core", "axe.min.js")}
	for _, p := range paths {
		if p == "" {
			continue
		}
		if raw, err := os.ReadFile(p); err == nil {
			return string(raw)
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("axe-core is not installed; CI must install it")
	}
	return ""
}

type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any `json:"target"`
	} `json:"nodes"`
}

// axe runs axe-core on the current page and fails on serious or critical
// violations (WCAG 2 A/AA rules and best practices).
func (b *browser) axe(name string) {
	b.t.Helper()
	if b.axeJS == "" {
		return
	}
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](b.axeJS+";true")); err != nil {
		b.t.Fatalf("load axe: %v", err)
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}}).then(r => JSON.stringify(r.violations))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("axe on %s: %v", name, err)
	}
	var vs []axeViolation
	json.Unmarshal([]byte(raw), &vs)
	var bad []string
	for _, v := range vs {
		if v.Impact == "serious" || v.Impact == "critical" {
			var where []string
			for _, n := range v.Nodes {
				where = append(where, strings.Trim(strings.ReplaceAll(func() string { s, _ := json.Marshal(n.Target); return string(s) }(), `"`, ""), "[]"))
			}
			bad = append(bad, v.Impact+" "+v.ID+": "+v.Help+" at "+strings.Join(where, "; "))
		} else {
			b.t.Logf("axe (%s), %s: %s %s", name, v.Impact, v.ID, v.Help)
		}
	}
	b.axeRuns++
	if len(bad) > 0 {
		b.shot("axe-" + name)
		b.t.Errorf("accessibility (%s):\n  %s", name, strings.Join(bad, "\n  "))
	}
}
