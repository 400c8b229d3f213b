package okta

import "time"

// dateResolution is the resolution of the Date header: HTTP dates name
// whole seconds, truncated.
const dateResolution = time.Second

// ClockOffset is an estimate of how far Okta's clock is ahead of the
// local clock (negative when it is behind): Okta's time is the local
// time plus an offset somewhere in [Low, High].
type ClockOffset struct {
	Low, High time.Duration

	// Known reports whether any response carried a usable Date; when it
	// is false, Low and High are zero and Okta's clock is taken to be the
	// local one, with a margin.
	Known bool

	// Samples counts the responses the current estimate rests on, and
	// Restarts how often the estimate was started afresh because a
	// response contradicted it (the skew changed).
	Samples  int
	Restarts int

	// MinRTT is the shortest round trip seen, below which the estimate
	// cannot narrow.
	MinRTT time.Duration
}

// Mid returns the middle of the interval, the best single guess.
func (o ClockOffset) Mid() time.Duration { return o.Low + (o.High-o.Low)/2 }

// Width returns how uncertain the estimate is.
func (o ClockOffset) Width() time.Duration { return o.High - o.Low }

// observe narrows the estimate with one response whose Date header names
// the second date, for a request sent at the local instant sent whose
// response arrived at recv.
//
// Okta stamped Date at some instant g of its clock between sending and
// receiving, and truncated it to the second: date <= g < date+1s. The
// same instant on the local clock lies in [sent, recv], so the offset
// g - local lies in [date-recv, date+1s-sent]. Every response gives
// such an interval and the true offset lies in all of them, so their
// intersection narrows quickly to about the round-trip time once
// responses have been stamped at different phases of Okta's second.
//
// An empty intersection means the offset moved (a clock was set, or a
// response came through another server): the estimate restarts from
// this response alone.
func (o *ClockOffset) observe(date, sent, recv time.Time) {
	if recv.Before(sent) {
		sent, recv = recv, sent
	}
	lo := date.Sub(recv)
	hi := date.Add(dateResolution).Sub(sent)
	rtt := recv.Sub(sent)
	if o.Known {
		rtt = min(rtt, o.MinRTT)
	}
	switch {
	case !o.Known:
		*o = ClockOffset{Low: lo, High: hi, Known: true, Samples: 1, Restarts: o.Restarts}
	case max(o.Low, lo) > min(o.High, hi):
		*o = ClockOffset{Low: lo, High: hi, Known: true, Samples: 1, Restarts: o.Restarts + 1}
	default:
		o.Low, o.High = max(o.Low, lo), min(o.High, hi)
		o.Samples++
	}
	o.MinRTT = rtt
}

// narrowable reports whether the estimate is still much wider than the
// round trip, so that a response stamped near one of Okta's second
// ticks would narrow it.
func (o ClockOffset) narrowable() bool {
	return o.Known && o.Width() > 2*o.MinRTT+narrowSlack
}

// narrowSlack is the width beyond twice the round trip below which the
// estimate is not worth narrowing further.
const narrowSlack = 5 * time.Millisecond

// localLatest returns the latest local instant at which Okta's clock
// may read okta, given the estimate: okta minus the lowest offset. When
// no Date was ever seen, Okta's clock is taken to be the local clock
// and noDateMargin is added instead.
func (o ClockOffset) localLatest(okta time.Time, noDateMargin time.Duration) time.Time {
	if !o.Known {
		return okta.Add(noDateMargin)
	}
	return okta.Add(-o.Low)
}

// localMid returns the local instant at which Okta's clock most likely
// reads okta.
func (o ClockOffset) localMid(okta time.Time) time.Time {
	if !o.Known {
		return okta
	}
	return okta.Add(-o.Mid())
}

// oktaNow returns Okta's most likely time at the local instant local.
func (o ClockOffset) oktaNow(local time.Time) time.Time {
	if !o.Known {
		return local
	}
	return local.Add(o.Mid())
}
