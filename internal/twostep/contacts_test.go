package twostep_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/providerportal/portal/internal/twostep"
)

// Issue 10: a number from a country that is not allowed says which are.
func TestPhoneFromAnotherCountryNamesTheAllowedOnes(t *testing.T) {
	_, err := twostep.ParsePhone("+44 7911 123456", []int{1, 52})
	var de *twostep.Error
	if !errors.As(err, &de) || de.Code != twostep.EInvalidPhone || !strings.Contains(de.Message, "+1, +52") || de.Arg != "+1, +52" {
		t.Fatalf("got %v", err)
	}
	if _, err := twostep.ParsePhone("+52 55 1234 5678", []int{1, 52}); err != nil {
		t.Fatalf("an allowed country: %v", err)
	}
}

// Issue 10: the confirmation of an email address compares the normalized forms.
func TestEmailConfirmationIgnoresCase(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		a := e.withTwoStepOn("jdoe")
		if _, err := e.svc.StartEmail(e.ctx, a, "Jane.Doe@Example.NET", "jane.doe@example.net", "", client); err != nil {
			t.Fatalf("same address in other case: %v", err)
		}
		_, err := e.svc.StartEmail(e.ctx, a, "jane.doe@example.net", "jane.roe@example.net", "", client)
		expectCode(t, err, twostep.EMismatch)
	})
}
