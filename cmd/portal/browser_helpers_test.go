package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath finds Debian's chromium. Without it browser tests skip locally
// and fail in CI (CI=true), which installs it.
func chromiumPath(t *testing.T) string {
	for _, p := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed; CI must install it")
	}
	t.Skip("chromium not installed")
	return ""
}

// artifactsDir is where screenshots go (not committed).
func artifactsDir(t *testing.T) string {
	dir := os.Getenv("PORTAL_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "artifacts", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// browser is one headless Chromium tab driven like a person would.
type browser struct {
	t     *testing.T
	ctx   context.Context
	base  string
	shots string
	width int64
	n     int
	// axeJS is axe-core's source; every screenshot also runs it on the page.
	axeJS   string
	axeRuns int
}

func newBrowser(t *testing.T, base string, width int64, js bool, extra ...chromedp.ExecAllocatorOption) *browser {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.Headless,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	opts = append(opts, extra...)
	if !js {
		opts = append(opts, chromedp.Flag("blink-settings", "scriptEnabled=false"))
	}
	axeJS := axeSource(t)
	if !js {
		axeJS = "" // axe needs timers, which a page without scripts does not run; the same pages are checked with JS on
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelC(); cancelA() })
	b := &browser{t: t, ctx: ctx, base: base, shots: artifactsDir(t), width: width, axeJS: axeJS}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 800)); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return b
}

func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.shot("failure")
		b.t.Fatalf("browser: %v\npage text:\n%s", err, b.bodyText())
	}
}

func (b *browser) open(path string) { b.t.Helper(); b.do(chromedp.Navigate(b.base + path)) }

// fill types value into the empty field with id, or replaces what a page
// refilled there.
func (b *browser) fill(id, value string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	current, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID(id)))
	if err != nil {
		b.t.Fatalf("field %s: %v", id, err)
	}
	if current != "" {
		b.do(chromedp.SetValue(chromedp.ID(id), value))
		return
	}
	b.do(chromedp.WaitVisible(chromedp.ID(id)), chromedp.SendKeys(chromedp.ID(id), value))
}

// click activates the visible element matching a CSS selector, as a press of
// the button or link does (the element's own activation, so the form sees which
// button submitted it).
func (b *browser) click(css string) {
	b.t.Helper()
	b.do(chromedp.WaitVisible(chromedp.CSS(css)))
	// Mark the current document; a click that navigates is done when a new,
	// fully loaded document replaces it.
	js := fmt.Sprintf(`(function(){var e=document.querySelector(%q); if(!e||e.disabled) return "unusable";
		document.documentElement.dataset.old = "1"; var nav = !(e.type === "radio" || e.type === "checkbox");
		e.click(); return nav ? "nav" : "stay"})()`, css)
	got := b.eval(js)
	switch got {
	case "stay":
		return
	case "nav":
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
			state, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.dataset.old === "1" ? "old" : document.readyState`))
			cancel()
			if err == nil && state == "complete" {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		b.shot("failure")
		b.t.Fatalf("pressing %s loaded no new page; it shows:\n%s", css, b.bodyText())
	default:
		b.shot("failure")
		b.t.Fatalf("cannot press %s: %s", css, got)
	}
}

func (b *browser) bodyText() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	return s
}

// see waits until the page shows text.
func (b *browser) see(text string) {
	b.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Contains(b.bodyText(), text) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.shot("failure")
	b.t.Fatalf("page never showed %q; it shows:\n%s", text, b.bodyText())
}

func (b *browser) text(css string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", css, err)
	}
	return s
}

func (b *browser) eval(js string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
	if err != nil {
		b.t.Fatalf("eval %s: %v", js, err)
	}
	return s
}

// shot saves a full-page screenshot named after the test and the page state,
// and checks the page's accessibility with axe-core.
func (b *browser) shot(name string) {
	if !strings.HasPrefix(name, "failure") && !strings.HasPrefix(name, "axe-") {
		b.axe(name)
	}
	b.n++
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	// A full-page capture can leave the page laid out at its full height; put
	// the phone- or desktop-sized viewport back so clicks land where they aim.
	chromedp.Do(ctx, chromedp.EmulateViewport(b.width, 800))
	file := filepath.Join(b.shots, fmt.Sprintf("%s-%dpx-%02d-%s.png", sanitize(b.t.Name()), b.width, b.n, name))
	os.WriteFile(file, png, 0o644)
}

func sanitize(s string) string { return regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(s, "_") }

// server is a running portal binary.
type server struct {
	url       string
	public    string // the public URL (http://localhost:PORT): passkeys work there
	passwords map[string]string
	cmd       *exec.Cmd
	dir, db   string
}

// startServer runs "portal serve --demo" on a random port with extra settings.
func startServer(t *testing.T, env ...string) *server {
	dir := t.TempDir()
	s := &server{passwords: map[string]string{}, dir: dir, db: "sqlite:" + filepath.Join(dir, "portal.db")}
	addr := "127.0.0.1:0"
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "PORTAL_ADDR="); ok {
			addr = v // a fixed address (the public URL must name it)
		}
	}
	cmd := exec.Command(binary, "serve", "--demo", "--addr", addr)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "PORTAL_DATABASE="+s.db, "PORTAL_ARGON2=m=64,t=1,p=1"), env...)
	out, _ := cmd.StdoutPipe()
	logFile, _ := os.Create(filepath.Join(dir, "server.log"))
	cmd.Stderr = logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.cmd = cmd
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
			t.Logf("server log:\n%s", log)
		}
	})
	sc := bufio.NewScanner(out)
	pwLine := regexp.MustCompile(`^\s+(\S+)\s+\S+\s+password: (\S+)`)
	for sc.Scan() {
		line := sc.Text()
		if m := pwLine.FindStringSubmatch(line); m != nil {
			s.passwords[m[1]] = m[2]
		}
		if m := regexp.MustCompile(`^\s+password: (\S+)`).FindStringSubmatch(line); m != nil {
			s.passwords["manager"] = m[1]
		}
		if m := regexp.MustCompile(`listening on (http://\S+) \(public URL (\S+),`).FindStringSubmatch(line); m != nil {
			s.url, s.public = m[1], m[2]
			break
		}
	}
	go func() {
		for sc.Scan() {
		}
	}()
	if s.url == "" {
		t.Fatal("server did not start")
	}
	return s
}

// fits fails unless the page fits the window's width and every header link
// sits on one line; then it takes the screenshot (and runs axe).
func (b *browser) fits(state string) {
	b.t.Helper()
	if got := b.eval(`document.documentElement.scrollWidth <= innerWidth ? "" : document.documentElement.scrollWidth + " > " + innerWidth`); got != "" {
		b.shot("failure-" + state)
		b.t.Fatalf("%s scrolls sideways: %s", state, got)
	}
	if broken := b.eval(`[...document.querySelectorAll("header nav a, header nav button")].filter(a => a.getClientRects().length != 1).map(a => a.textContent).join(", ")`); broken != "" {
		b.t.Errorf("%s: header links broken across lines: %s", state, broken)
	}
	b.shot(state)
}

// useLanguage switches the page language and opens next.
func (b *browser) useLanguage(lang, next string) {
	b.t.Helper()
	b.open("/lang?to=" + lang + "&next=" + next)
}

// eachWidthAndLanguage runs fn at phone and desktop width, in English and Spanish.
func eachWidthAndLanguage(t *testing.T, fn func(t *testing.T, width int64, lang string)) {
	for _, width := range []int64{375, 1280} {
		for _, lang := range []string{"en", "es"} {
			t.Run(fmt.Sprintf("%dpx-%s", width, lang), func(t *testing.T) { fn(t, width, lang) })
		}
	}
}
