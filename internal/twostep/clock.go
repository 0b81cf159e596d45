package twostep

import "time"

// Clock tells the time. Domain code never calls time.Now directly.
type Clock interface{ Now() time.Time }

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns the current time.
func (SystemClock) Now() time.Time { return time.Now() }
