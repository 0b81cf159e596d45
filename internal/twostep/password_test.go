package twostep

import (
	"context"
	"strings"
	"testing"
	"time"
)

var cheap = Argon2Params{MemoryKiB: 64, Passes: 1, Lanes: 1}

func TestHashAndVerify(t *testing.T) {
	h := NewHasher(cheap)
	ctx := context.Background()
	enc, err := h.Hash(ctx, "pässwörd with ünïcode ✓")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("not PHC: %s", enc)
	}
	for _, tc := range []struct {
		pw   string
		want bool
	}{
		{"pässwörd with ünïcode ✓", true},
		{"pässwörd with ünïcode", false},
		{"", false},
	} {
		ok, err := h.Verify(ctx, tc.pw, enc)
		if err != nil || ok != tc.want {
			t.Errorf("Verify(%q) = %v, %v; want %v", tc.pw, ok, err, tc.want)
		}
	}
	// Hashes made with other parameters still verify (parameters live in the string).
	ok, err := NewHasher(Argon2Params{MemoryKiB: 128, Passes: 2, Lanes: 1}).Verify(ctx, "pässwörd with ünïcode ✓", enc)
	if err != nil || !ok {
		t.Fatal("verify with other current params failed")
	}
	if _, err := h.Verify(ctx, "x", "$bcrypt$nope"); err == nil {
		t.Fatal("malformed hash accepted")
	}
}

func TestNoTruncation(t *testing.T) {
	h := NewHasher(cheap)
	ctx := context.Background()
	long := strings.Repeat("correct horse battery staple ", 5)[:128]
	enc, _ := h.Hash(ctx, long)
	if ok, _ := h.Verify(ctx, long[:127]+"X", enc); ok {
		t.Fatal("a change in the 128th character was ignored")
	}
}

func TestDummyNeverMatches(t *testing.T) {
	h := NewHasher(cheap)
	if ok, err := h.Verify(context.Background(), "", ""); ok || err != nil {
		t.Fatalf("dummy verify: %v %v", ok, err)
	}
}

// The unknown-user path must cost the same as a known user's: both run argon2id
// once with the same parameters. A tolerant timing check guards that.
func TestUnknownUserCostsTheSame(t *testing.T) {
	h := NewHasher(Argon2Params{MemoryKiB: 4096, Passes: 2, Lanes: 1})
	ctx := context.Background()
	enc, _ := h.Hash(ctx, "a real password here")
	// Interleaved runs, keeping each side's fastest: noise from other work on the
	// machine only ever adds time, so the minimums compare the real costs.
	fastest := func(encoded string, best time.Duration) time.Duration {
		start := time.Now()
		h.Verify(ctx, "wrong password guess", encoded)
		return min(best, time.Since(start))
	}
	known, unknown := time.Hour, time.Hour
	for range 15 {
		known = fastest(enc, known)
		unknown = fastest("", unknown)
	}
	ratio := float64(unknown) / float64(known)
	if ratio < 0.5 || ratio > 2 {
		t.Fatalf("unknown user took %v vs known %v (ratio %.2f)", unknown, known, ratio)
	}
}

func TestPasswordRules(t *testing.T) {
	cases := []struct {
		pw   string
		weak bool
	}{
		{"short", true},
		{"elevenchars", true},
		{"password1234", true},
		{"qwertyuiopasdf", true},
		{"aaaaaaaaaaaaaaaa", true},
		{"jdoe-jdoe-jdoe-jdoe", true}, // built from the username
		{strings.Repeat("x", 129), true},
		{"violet kettle marsh tuba", false},
		{"ドラゴンと朝ごはんを食べる猫", false}, // any Unicode
		{strings.Repeat("plum ", 20) + "zebra-kite-791", false},
	}
	for _, tc := range cases {
		err := CheckPasswordRules(tc.pw, "jdoe", "jdoe@example.org")
		if (err != nil) != tc.weak {
			t.Errorf("%q: err=%v, want weak=%v", tc.pw, err, tc.weak)
		}
		if err != nil && ErrorCode(err) != EWeakPassword {
			t.Errorf("%q: code %s", tc.pw, ErrorCode(err))
		}
	}
}

func BenchmarkHashDefault(b *testing.B) {
	h := NewHasher(Argon2Params{MemoryKiB: 19456, Passes: 2, Lanes: 1})
	ctx := context.Background()
	for b.Loop() {
		h.Hash(ctx, "violet kettle marsh tuba")
	}
}
