package twostep_test

import (
	"strings"
	"testing"
	"unicode"

	"github.com/providerportal/portal/internal/twostep"
)

func FuzzNormalizeCode(f *testing.F) {
	for _, s := range []string{"123456", "123 456", "12-34-56", "", "１２３４５６", "1234567", "12\x0034"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, ok := twostep.NormalizeCode(in)
		if !ok {
			return
		}
		if len(out) != 6 || strings.IndexFunc(out, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
			t.Fatalf("%q normalised to %q", in, out)
		}
		// Only spaces, tabs and dashes may have been dropped.
		if stripped := strings.Map(func(r rune) rune {
			if r == ' ' || r == '-' || r == '\t' {
				return -1
			}
			return r
		}, in); stripped != out {
			t.Fatalf("%q: dropped more than separators: %q", in, out)
		}
	})
}

func FuzzParsePhone(f *testing.F) {
	for _, s := range []string{"(201) 555-0123", "+1 201 555 0123", "+44 7911 123456", "", "+", "++1", "0000000000000000000000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := twostep.ParsePhone(in, []int{1, 44})
		if err != nil {
			if twostep.ErrorCode(err) != twostep.EInvalidPhone {
				t.Fatalf("%q: %v", in, err)
			}
			return
		}
		if !strings.HasPrefix(out, "+") || len(out) > 16 || strings.IndexFunc(out[1:], func(r rune) bool { return !unicode.IsDigit(r) }) >= 0 {
			t.Fatalf("%q gave %q, not E.164", in, out)
		}
		again, err := twostep.ParsePhone(out, []int{1, 44})
		if err != nil || again != out {
			t.Fatalf("E.164 %q did not round-trip: %q %v", out, again, err)
		}
	})
}

func FuzzParseEmail(f *testing.F) {
	for _, s := range []string{"a@example.org", "A <a@example.org>", "a@b", "\"q\"@example.org", "a@example.org, b@example.org", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, ok := twostep.ParseEmail(in)
		if !ok {
			return
		}
		if strings.ContainsAny(out, "<>,\r\n") || strings.Count(out, "@") < 1 {
			t.Fatalf("%q accepted as %q", in, out)
		}
		if again, ok := twostep.ParseEmail(out); !ok || again != out {
			t.Fatalf("%q did not round-trip: %q", out, again)
		}
	})
}
