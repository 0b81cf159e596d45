package web_test

import (
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/providerportal/portal/internal/twostep"
	"github.com/providerportal/portal/internal/twostep/passkeytest"
)

// origin is the tests' public URL: passkeys need a name, not an IP address.
const origin = "http://localhost:8080"

// addPasskey registers a passkey of dev through the API and returns its id.
func (c *client) addPasskey(dev *passkeytest.Authenticator, name string) string {
	c.p.t.Helper()
	opts := c.do("POST", "/api/v1/account/methods/passkey", map[string]string{"name": name})
	if opts.status != 200 {
		c.p.t.Fatalf("start passkey: %d %s", opts.status, opts.raw)
	}
	resp, _, err := dev.Create(opts.raw)
	if err != nil {
		c.p.t.Fatal(err)
	}
	a := c.do("POST", "/api/v1/account/methods/passkey/verify", resp)
	if a.status != 201 || a.body["type"] != "passkey" || a.body["label"] != name {
		c.p.t.Fatalf("verify passkey: %d %s", a.status, a.raw)
	}
	return a.body["id"].(string)
}

// passkeySignIn signs in with dev alone.
func (c *client) passkeySignIn(dev *passkeytest.Authenticator) answer {
	c.p.t.Helper()
	opts := c.do("POST", "/api/v1/login/passkey", nil)
	if opts.status != 200 {
		c.p.t.Fatalf("begin: %d %s", opts.status, opts.raw)
	}
	resp, err := dev.Get(opts.raw)
	if err != nil {
		c.p.t.Fatal(err)
	}
	return c.do("POST", "/api/v1/login/passkey/verify", resp)
}

func TestPasskeyAPI(t *testing.T) {
	each(t, opts{}, func(t *testing.T, p *portal) {
		p.beta(true)
		p.user("jdoe", twostep.RoleProvider)
		c := p.client()
		c.login("jdoe")
		c.do("POST", "/api/v1/account/two-step/on", nil)
		dev := passkeytest.New(origin)
		opts := c.do("POST", "/api/v1/account/methods/passkey", map[string]string{"name": "Laptop"})
		var creation struct {
			PublicKey struct {
				RP   map[string]string `json:"rp"`
				User struct {
					ID   string `json:"id"`
					Name string `json:"name"`
				} `json:"user"`
				Challenge string `json:"challenge"`
				Selection struct {
					ResidentKey      string `json:"residentKey"`
					UserVerification string `json:"userVerification"`
				} `json:"authenticatorSelection"`
				Attestation string `json:"attestation"`
			} `json:"publicKey"`
		}
		if err := json.Unmarshal(opts.raw, &creation); err != nil || opts.status != 200 {
			t.Fatalf("creation options: %d %s", opts.status, opts.raw)
		}
		pk := creation.PublicKey
		if pk.RP["id"] != "localhost" || pk.User.Name != "jdoe" || len(pk.Challenge) < 22 || strings.ContainsAny(pk.Challenge+pk.User.ID, "+/=") ||
			pk.Selection.ResidentKey != "required" || pk.Selection.UserVerification != "required" || pk.Attestation != "none" {
			t.Fatalf("creation options: %s", opts.raw)
		}
		resp, _, _ := dev.Create(opts.raw)
		a := c.do("POST", "/api/v1/account/methods/passkey/verify", resp)
		if a.status != 201 || a.body["type"] != "passkey" || a.body["label"] != "Laptop" || a.body["id"] == "" {
			t.Fatalf("verify: %d %s", a.status, a.raw)
		}
		id := a.body["id"].(string)
		acct := c.do("GET", "/api/v1/account", nil)
		ts := acct.body["two_step"].(map[string]any)
		methods := ts["methods"].([]any)
		m := methods[0].(map[string]any)
		if len(methods) != 1 || m["type"] != "passkey" || m["id"] != id || m["label"] != "Laptop" || m["last_used_at"] != nil || m["verified_at"] == nil {
			t.Fatalf("account methods: %s", acct.raw)
		}
		if ts["passkeys"].(map[string]any)["offered"] != true || !strings.Contains(string(acct.raw), `"passkey"]`) {
			t.Fatalf("account: %s", acct.raw)
		}
		c.do("POST", "/api/v1/logout", nil)

		// Alone: both factors.
		in := p.client().passkeySignIn(dev)
		if in.status != 200 || in.body["state"] != "signed_in" {
			t.Fatalf("passkey sign-in: %d %s", in.status, in.raw)
		}

		// As the second step: chosen automatically, options, then verify.
		c = p.client()
		l := c.login("jdoe")
		ms, _ := l.body["methods"].([]any)
		if l.body["state"] != "two_step" || l.body["selected"] != "passkey" || len(ms) != 1 || ms[0].(map[string]any)["label"] != "" { // passkey names are not shown before the second step
			t.Fatalf("login: %s", l.raw)
		}
		step := c.do("POST", "/api/v1/login/send-code", `{"method":"passkey"}`)
		if step.status != 200 || !strings.Contains(string(step.raw), `"allowCredentials":[{"type":"public-key","id":"`) ||
			!strings.Contains(string(step.raw), `"userVerification":"required"`) {
			t.Fatalf("step options: %d %s", step.status, step.raw)
		}
		expect(t, c.do("GET", "/api/v1/account", nil), 403, "two_step_pending")
		cred, _ := dev.Get(step.raw)
		v := c.do("POST", "/api/v1/login/verify", `{"method":"passkey","credential":`+string(cred)+`}`)
		if v.status != 200 || v.body["state"] != "signed_in" {
			t.Fatalf("second step: %d %s", v.status, v.raw)
		}
		acct = c.do("GET", "/api/v1/account", nil)
		if m := acct.body["two_step"].(map[string]any)["methods"].([]any)[0].(map[string]any); m["last_used_at"] == nil {
			t.Fatalf("last use not recorded: %s", acct.raw)
		}

		// The admin's list and CSV show it.
		p.user("boss", twostep.RoleAdmin)
		admin := p.client()
		admin.login("boss")
		if users := admin.do("GET", "/api/v1/admin/users", nil); !strings.Contains(string(users.raw), `"methods":["passkey"]`) {
			t.Fatalf("admin users: %s", users.raw)
		}
		if csv := admin.do("GET", "/api/v1/admin/users", nil, "Accept", "text/csv"); !strings.Contains(string(csv.raw), "jdoe,provider,true,passkey,") {
			t.Fatalf("csv: %s", csv.raw)
		}

		// Deleted with the trashcan (password), then it signs nobody in.
		expect(t, c.do("DELETE", "/api/v1/account/methods/passkey/"+id, `{"password":"wrong password here"}`), 401, "invalid_credentials")
		expect(t, c.do("DELETE", "/api/v1/account/methods/passkey/999", `{"password":"`+pw+`"}`), 404, "no_such_method")
		expect(t, c.do("DELETE", "/api/v1/account/methods/passkey/x", `{"password":"`+pw+`"}`), 404, "no_such_method")
		expect(t, c.do("DELETE", "/api/v1/account/methods/passkey", `{"password":"`+pw+`"}`), 404, "no_such_method")
		if d := c.do("DELETE", "/api/v1/account/methods/passkey/"+id, `{"password":"`+pw+`"}`); d.status != 204 {
			t.Fatalf("delete: %d %s", d.status, d.raw)
		}
		expect(t, p.client().passkeySignIn(dev), 401, "invalid_passkey")
	})
}

// Bad answers are invalid_passkey (400 at registration, 401 at sign-in),
// never a 500.
func TestPasskeyAPIBadInput(t *testing.T) {
	each(t, opts{}, func(t *testing.T, p *portal) {
		p.beta(true)
		p.user("jdoe", twostep.RoleProvider)
		c := p.client()
		c.login("jdoe")
		c.do("POST", "/api/v1/account/two-step/on", nil)
		dev := passkeytest.New(origin)
		for _, body := range []string{`{"id":`, `[]`, ``, `{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"clientDataJSON":"e30","attestationObject":"oA"}}`} {
			expect(t, c.do("POST", "/api/v1/account/methods/passkey/verify", body), 400, "invalid_passkey")
		}
		opts := c.do("POST", "/api/v1/account/methods/passkey", nil)
		phish := passkeytest.New("http://localhost:8081")
		resp, _, _ := phish.Create(opts.raw)
		expect(t, c.do("POST", "/api/v1/account/methods/passkey/verify", resp), 400, "invalid_passkey")
		expect(t, c.do("POST", "/api/v1/account/methods/passkey", `{"name":5}`), 400, "invalid_request")
		c.addPasskey(dev, "Laptop")
		cred := dev.Credentials()[0]

		signIn := func(answer func(opts []byte) []byte) answer {
			b := p.client()
			o := b.do("POST", "/api/v1/login/passkey", nil)
			return b.do("POST", "/api/v1/login/passkey/verify", answer(o.raw))
		}
		for name, answer := range map[string]func([]byte) []byte{
			"malformed":  func([]byte) []byte { return []byte(`{"id":`) },
			"empty":      func([]byte) []byte { return nil },
			"wrong type": func([]byte) []byte { return []byte(`{"id":5}`) },
			"bad base64": func([]byte) []byte { return []byte(`{"id":"!!","rawId":"!!","type":"public-key","response":{}}`) },
			"wrong origin": func(o []byte) []byte {
				d := passkeytest.New("https://evil.example")
				d.Adopt(cred)
				r, _ := d.Get(o)
				return r
			},
			"wrong rp id": func(o []byte) []byte {
				d := passkeytest.New(origin)
				d.RPID = "example.org"
				d.Adopt(cred)
				r, _ := d.Get(o)
				return r
			},
			"unknown credential": func(o []byte) []byte {
				ch, _ := passkeytest.Challenge(o)
				r, _ := dev.Assert(dev.Stranger("localhost"), ch)
				return r
			},
		} {
			if a := signIn(answer); a.status != 401 || a.errCode() != "invalid_passkey" {
				t.Errorf("%s: %d %s", name, a.status, a.raw)
			}
		}
		// Without the begin's cookie, a good answer is refused too.
		o := p.client().do("POST", "/api/v1/login/passkey", nil)
		good, _ := dev.Get(o.raw)
		expect(t, p.client().do("POST", "/api/v1/login/passkey/verify", good), 401, "invalid_passkey")

		// Replayed, and a counter going backwards.
		b := p.client()
		o = b.do("POST", "/api/v1/login/passkey", nil)
		good, _ = dev.Get(o.raw)
		if a := b.do("POST", "/api/v1/login/passkey/verify", good); a.status != 200 {
			t.Fatalf("good answer: %s", a.raw)
		}
		expect(t, b.do("POST", "/api/v1/login/passkey/verify", good), 401, "invalid_passkey")
		clone := passkeytest.New(origin)
		copied := *cred
		copied.Count = 0
		clone.Adopt(&copied)
		expect(t, p.client().passkeySignIn(clone), 401, "invalid_passkey")

		// As the second step: malformed credentials cost a try.
		s := p.client()
		s.login("jdoe")
		s.do("POST", "/api/v1/login/send-code", `{"method":"passkey"}`)
		a := s.do("POST", "/api/v1/login/verify", `{"method":"passkey","credential":{"id":"x"}}`)
		if a.status != 401 || a.errCode() != "invalid_passkey" || a.errField("attempts_left") == nil {
			t.Fatalf("malformed second step: %d %s", a.status, a.raw)
		}
		expect(t, s.do("POST", "/api/v1/login/verify", `{"method":"passkey"}`), 401, "invalid_passkey")
		expect(t, s.do("POST", "/api/v1/login/verify", `{"method":"passkey","credential":"text"}`), 401, "invalid_passkey")
		expect(t, s.do("POST", "/api/v1/login/verify", `{"method":"passkey","credential":`), 400, "invalid_request")
	})
}

// Where the public URL is an IP address, passkeys are not offered and My
// Account says why; everything else works.
func TestPasskeysNotOfferedAPI(t *testing.T) {
	each(t, opts{set: func(s *twostep.Settings) { s.PublicURL = "http://127.0.0.1:8080" }}, func(t *testing.T, p *portal) {
		p.beta(true)
		p.user("jdoe", twostep.RoleProvider)
		c := p.client()
		c.login("jdoe")
		acct := c.do("GET", "/api/v1/account", nil)
		pk := acct.body["two_step"].(map[string]any)["passkeys"].(map[string]any)
		if pk["offered"] != false || !strings.Contains(pk["reason"].(string), "IP address") || strings.Contains(string(acct.raw), `"passkey"]`) {
			t.Fatalf("account: %s", acct.raw)
		}
		c.do("POST", "/api/v1/account/two-step/on", nil)
		expect(t, c.do("POST", "/api/v1/account/methods/passkey", nil), 404, "passkeys_not_offered")
		expect(t, p.client().do("POST", "/api/v1/login/passkey", nil), 404, "passkeys_not_offered")
		expect(t, p.client().do("POST", "/api/v1/login/passkey/verify", `{}`), 404, "passkeys_not_offered")
	})
}

// B10: one passkey answer sent at once through two instances signs in once;
// a challenge issued by one instance is answered on the other.
func TestPasskeyTwoInstancesRace(t *testing.T) {
	a, b := twoInstances(t, opts{})
	a.beta(true)
	a.user("jdoe", twostep.RoleProvider)
	ca := a.client()
	ca.login("jdoe")
	ca.do("POST", "/api/v1/account/two-step/on", nil)
	dev := passkeytest.New(origin)
	// Registration begun on A, finished on B.
	opts := ca.do("POST", "/api/v1/account/methods/passkey", nil)
	resp, _, _ := dev.Create(opts.raw)
	if r := ca.on(b).do("POST", "/api/v1/account/methods/passkey/verify", resp); r.status != 201 {
		t.Fatalf("finish on B: %d %s", r.status, r.raw)
	}
	for round := range 3 {
		c := a.client()
		o := c.do("POST", "/api/v1/login/passkey", nil)
		answer, _ := dev.Get(o.raw)
		var wins atomic.Int32
		var wg sync.WaitGroup
		for i := range 10 {
			sender := c
			if i%2 == 1 {
				sender = c.on(b)
			}
			wg.Go(func() {
				r := sender.do("POST", "/api/v1/login/passkey/verify", answer)
				switch {
				case r.status == 200:
					wins.Add(1)
				case r.errCode() != "invalid_passkey":
					t.Errorf("racing answer: %d %s", r.status, r.raw)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("round %d: %d sign-ins from one answer across two instances", round, wins.Load())
		}
	}
}

// B21 and B23 with a passkey: a passkey is the second step of a password
// reset like any method, and "don't ask again on this browser" works after it.
func TestPasskeyResetAndTrustedBrowser(t *testing.T) {
	each(t, opts{}, func(t *testing.T, p *portal) {
		p.beta(true)
		p.user("jdoe", twostep.RoleProvider)
		c := p.client()
		c.login("jdoe")
		c.do("POST", "/api/v1/account/two-step/on", nil)
		dev := passkeytest.New(origin)
		c.addPasskey(dev, "Laptop")

		r := p.client()
		if a := r.do("POST", "/api/v1/password-reset", map[string]string{"login": "jdoe"}); a.status != 202 {
			t.Fatalf("reset: %d %s", a.status, a.raw)
		}
		if a := r.do("POST", "/api/v1/password-reset/start", map[string]string{"token": p.linkToken("jdoe@example.org")}); a.body["state"] != "two_step" || a.body["selected"] != "passkey" {
			t.Fatalf("start: %s", a.raw)
		}
		o := r.do("POST", "/api/v1/login/send-code", `{"method":"passkey"}`)
		cred, err := dev.Get(o.raw)
		if err != nil {
			t.Fatalf("%v: %s", err, o.raw)
		}
		if a := r.do("POST", "/api/v1/login/verify", `{"method":"passkey","credential":`+string(cred)+`}`); a.body["state"] != "choose_password" {
			t.Fatalf("reset second step: %s", a.raw)
		}
		if a := r.do("POST", "/api/v1/password-reset/finish", map[string]string{"new_password": newPW}); a.status != 204 {
			t.Fatalf("finish: %d %s", a.status, a.raw)
		}

		b := p.client()
		b.do("POST", "/api/v1/login", map[string]string{"username": "jdoe", "password": newPW})
		o = b.do("POST", "/api/v1/login/send-code", `{"method":"passkey"}`)
		cred, _ = dev.Get(o.raw)
		if a := b.do("POST", "/api/v1/login/verify", `{"method":"passkey","trust_browser":true,"credential":`+string(cred)+`}`); a.body["state"] != "signed_in" {
			t.Fatalf("verify: %s", a.raw)
		}
		if a := b.do("POST", "/api/v1/login", map[string]string{"username": "jdoe", "password": newPW}); a.body["state"] != "signed_in" {
			t.Fatalf("trusted browser after a passkey: %s", a.raw)
		}
	})
}
