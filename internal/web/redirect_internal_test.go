package web

import "testing"

func TestLocalPath(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"/", true},
		{"/account", true},
		{"/account?done=on", true},
		{"/login/verify?choose=1#x", true},
		{"/a/b%2Fc", true},
		{"", false},
		{"account", false},
		{"//evil.example/x", false},
		{"/\t/evil.example/x", false},
		{"/%09/evil.example/x", true}, // still encoded: the browser sees a path segment "%09"
		{"/\n/evil.example", false},
		{"/\\evil.example", false},
		{"/%5cevil.example", false},
		{"/%5C%5Cevil.example", false},
		{"https://evil.example/", false},
		{"javascript:alert(1)", false},
		{"/\x7f/evil", false},
		{"/ok\x00", false},
	} {
		if got := localPath(tc.in) != ""; got != tc.want {
			t.Errorf("localPath(%q) accepted=%v, want %v", tc.in, got, tc.want)
		}
	}
}
