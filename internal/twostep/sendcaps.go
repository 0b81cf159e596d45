package twostep

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Cap is a limit on sends in an hour and in a day (B8); 0 means no limit.
type Cap struct {
	PerHour int
	PerDay  int
}

// ParseCap reads "N/h,M/d" (either part may be left out).
func ParseCap(v string) (Cap, error) {
	var c Cap
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		num, unit, ok := strings.Cut(part, "/")
		n, err := strconv.Atoi(num)
		if !ok || err != nil || n < 0 {
			return c, fmt.Errorf("want N/h,M/d such as 10/h,30/d, got %q", v)
		}
		switch unit {
		case "h":
			c.PerHour = n
		case "d":
			c.PerDay = n
		default:
			return c, fmt.Errorf("unit must be h or d, got %q", unit)
		}
	}
	return c, nil
}

// SendCaps are the B8 limits on emailed and texted codes.
type SendCaps struct {
	User        Cap
	Destination Cap
	Address     Cap
	Center      Cap
	Global      Cap
}

// DefaultSendCaps are generous for people and tight for abuse.
func DefaultSendCaps() SendCaps {
	return SendCaps{
		User:        Cap{PerHour: 10, PerDay: 30},
		Destination: Cap{PerHour: 10, PerDay: 30},
		Address:     Cap{PerHour: 30, PerDay: 200},
		Center:      Cap{PerHour: 1000, PerDay: 10000},
		Global:      Cap{PerHour: 5000, PerDay: 50000},
	}
}

// sendCap is one counted limit: the throttle key and its cap.
type sendCap struct {
	key string
	cap Cap
}

// Keys of the send caps (B8), shared by codes, reset links and invitations.
func capUser(id int64) string      { return "send:user:" + strconv.FormatInt(id, 10) }
func capDest(dest string) string   { return "send:dest:" + strings.ToLower(dest) }
func capAddr(ip string) string     { return "send:addr:" + ip }
func capCenter(id int64) string    { return "send:center:" + strconv.FormatInt(id, 10) }
func capLogin(login string) string { return "send:login:" + strings.ToLower(login) }

const capGlobal = "send:global"

// checkSendCaps counts one send against every cap and refuses past any of them
// (send_limit_reached with RetryAfter). The counts are the database's, shared by
// every instance. undo takes the counts back when the send does not happen.
func (s *Service) checkSendCaps(ctx context.Context, u *User, dest string, c Client) (undo func(), err error) {
	return s.countSends(ctx, u.ID, []sendCap{
		{capUser(u.ID), s.set.SendCaps.User},
		{capDest(dest), s.set.SendCaps.Destination},
		{capAddr(c.IP), s.set.SendCaps.Address},
		{capCenter(u.CenterID), s.set.SendCaps.Center},
		{capGlobal, s.set.SendCaps.Global},
	})
}

// countSends counts one send under each cap, hourly and daily, and refuses
// past any of them; userID only labels the log line.
func (s *Service) countSends(ctx context.Context, userID int64, caps []sendCap) (undo func(), err error) {
	now := s.clock.Now()
	var counted []string
	undo = func() {
		for _, k := range counted {
			s.store.UndoThrottleHit(context.WithoutCancel(ctx), k)
		}
	}
	for _, cp := range caps {
		for _, w := range []struct {
			suffix string
			limit  int
			window time.Duration
		}{{":h", cp.cap.PerHour, time.Hour}, {":d", cp.cap.PerDay, 24 * time.Hour}} {
			if w.limit <= 0 {
				continue
			}
			key := cp.key + w.suffix
			hits, start, err := s.store.HitThrottle(ctx, key, now, w.window)
			if err != nil {
				undo()
				return nil, err
			}
			counted = append(counted, key)
			if hits > w.limit {
				undo()
				wait := start.Add(w.window).Sub(now)
				s.log.WarnContext(ctx, "send refused by a cap", "cap", strings.SplitN(cp.key, ":", 3)[1]+w.suffix, "user_id", userID)
				return nil, &Error{Code: ESendLimit, RetryAfter: wait,
					Message: fmt.Sprintf("Too many codes were sent. You can ask for a new one in %s, or use another method.", humanDuration(wait))}
			}
		}
	}
	return undo, nil
}
