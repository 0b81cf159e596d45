package twostep

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// ParsePhone validates a mobile number and returns it in E.164. Numbers without
// a country code are read as US numbers; the country calling code must be one of
// allowed and the number must be able to receive SMS (mobile, or a region where
// mobile and fixed lines cannot be told apart).
func ParsePhone(in string, allowed []int) (string, error) {
	bad := FieldError(EInvalidPhone, "phone", "Enter a valid mobile phone number, such as (201) 555-0123.")
	in = strings.TrimSpace(in)
	if in == "" || len(in) > 32 {
		return "", bad
	}
	num, err := phonenumbers.Parse(in, "US")
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return "", bad
	}
	if !slices.Contains(allowed, int(num.GetCountryCode())) {
		codes := make([]string, len(allowed))
		for i, cc := range allowed {
			codes[i] = "+" + strconv.Itoa(cc)
		}
		list := strings.Join(codes, ", ")
		e := FieldError(EInvalidPhone, "phone", fmt.Sprintf("Text messages can be sent only to numbers with the country code %s. Enter a mobile number from there.", list))
		e.Variant, e.Arg = "country", list
		return "", e
	}
	switch phonenumbers.GetNumberType(num) {
	case phonenumbers.MOBILE, phonenumbers.FIXED_LINE_OR_MOBILE:
	default:
		return "", FieldError(EInvalidPhone, "phone", "That number cannot receive text messages. Enter a mobile number.")
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

// maskLabel hides most of a method's label for the sign-in page.
func maskLabel(m Method) string {
	switch m.Type {
	case MethodPhone:
		return MaskPhone(m.Label)
	case MethodEmail:
		return MaskEmail(m.Label)
	case MethodPasskey:
		return "" // names people gave their passkeys are for My Account, not for whoever has the password
	}
	return m.Label
}

// MaskPhone shows only the last four digits: •••-•••-0123.
func MaskPhone(e164 string) string {
	if len(e164) < 4 {
		return "•••"
	}
	return "•••-•••-" + e164[len(e164)-4:]
}

// MaskEmail shows the first character and the domain: a•••@example.org.
func MaskEmail(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 1 {
		return "•••"
	}
	first := []rune(addr[:at])[0]
	return string(first) + "•••" + addr[at:]
}
