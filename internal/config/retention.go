package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseRetention reads how long to keep rows: a Go duration ("168h"), a
// number of days ("7d"), or 0 for forever.
func ParseRetention(v string) (time.Duration, error) {
	if v == "0" {
		return 0, nil
	}
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(days)
		if err == nil && n > 0 && n <= 100*366 {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	} else if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return d, nil
	}
	return 0, fmt.Errorf("want days such as 7d, a duration such as 168h, or 0 for forever, got %q", v)
}

func retention(dst func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := ParseRetention(v)
		*dst(c) = d
		return err
	}
}
