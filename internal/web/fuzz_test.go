package web_test

import (
	"testing"

	"github.com/providerportal/portal/internal/twostep"
	"github.com/providerportal/portal/internal/web"
)

func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"username":"a","password":"b"}`, `{}`, `[]`, `{"username":1}`, `{"x":1}`, `{"a":"b"}{}`, ``, `nul`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var v struct {
			Username string `json:"username"`
			Password string `json:"password"`
		}
		err := web.DecodeJSONBytes(raw, &v, false)
		if err != nil && twostep.ErrorCode(err) != twostep.EInvalid {
			t.Fatalf("%q: not an invalid_request: %v", raw, err)
		}
	})
}
