package twostep

import (
	"context"
	"strings"
	"time"
)

// ParseTimeZone checks an IANA time zone name such as America/Chicago ("" and
// "UTC" are UTC). Errors: invalid_request tied to the time_zone field.
func ParseTimeZone(name string) (*time.Location, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return time.UTC, nil
	}
	if name == "Local" || len(name) > 64 {
		return nil, FieldError(EInvalid, "time_zone", "Enter a time zone name such as America/Chicago or Europe/Madrid.")
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, FieldError(EInvalid, "time_zone", "Enter a time zone name such as America/Chicago or Europe/Madrid.")
	}
	return loc, nil
}

// Location is the time zone times are shown in for the people of c: the
// center's own, else the portal's default.
func (s *Service) Location(c *Center) *time.Location {
	name := s.set.TimeZone
	if c != nil && c.TimeZone != "" {
		name = c.TimeZone
	}
	loc, err := ParseTimeZone(name)
	if err != nil {
		return time.UTC
	}
	return loc
}

// userLocation is the time zone of u's center (one read; notices are rare).
func (s *Service) userLocation(ctx context.Context, u *User) *time.Location {
	if u.CenterID == 0 {
		return s.Location(nil)
	}
	c, err := s.store.CenterByID(ctx, u.CenterID)
	if err != nil {
		return s.Location(nil)
	}
	return s.Location(c)
}
