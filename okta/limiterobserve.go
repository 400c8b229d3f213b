package okta

import (
	"net/http"
	"time"
)

// observeLocked updates the state from the outcome of one request of
// bucket name and returns the events it begins. l.mu must be held.
func (l *Limiter) observeLocked(name Bucket, obs Observation) []LimiterEvent {
	b := l.bucket(name)
	inflight := l.conc.inflight // the tenant's requests in flight, this one included
	l.releaseLocked(b)
	rl := obs.RateLimit
	if !rl.Date.IsZero() && obs.Status != 0 {
		l.offset.observe(rl.Date, obs.Sent, obs.Received)
	}

	var evs []LimiterEvent
	switch {
	case obs.Status == 0:
		l.counters.noAnswer++
		l.spendUnseen(obs.Received, b)
	case rl.Concurrency() && obs.Status == http.StatusTooManyRequests:
		l.counters.responses++
		l.counters.concurrency429++
		return l.concurrencyLimited(obs, inflight)
	case !rl.OK || rl.Limit == 0:
		l.counters.responses++
		evs = l.withoutHeaders(b, obs)
	default:
		l.counters.responses++
		evs = l.withHeaders(b, obs)
	}
	if obs.Status != http.StatusTooManyRequests {
		l.recover(obs)
	}
	l.setPaceLocked(obs.Received, b)
	return evs
}

// spendUnseen counts a unit of b's current window as spent by a request
// whose answer did not say what it cost. l.mu must be held.
func (l *Limiter) spendUnseen(now time.Time, b *bucketState) {
	if _, current := l.windowEnd(now, b); current && b.remaining > 0 {
		b.remaining--
	}
}

// withoutHeaders handles an answer with no usable rate-limit headers
// (missing, unparseable, or a limit of 0 that is not a concurrency
// 429). A 429 backs off; any other answer leaves a known window in
// place, one unit poorer, and with no window known marks the bucket as
// unlimited. l.mu must be held.
func (l *Limiter) withoutHeaders(b *bucketState, obs Observation) []LimiterEvent {
	l.counters.badHeaders++
	if obs.Status == http.StatusTooManyRequests {
		l.counters.tooMany++
		return l.backOff(b, obs)
	}
	if _, current := l.windowEnd(obs.Received, b); current {
		l.spendUnseen(obs.Received, b)
		return nil
	}
	b.noHeaders = true
	b.reset = time.Time{}
	return nil
}

// backOff holds bucket b after a 429 that did not say usably when to
// come back: MinWait doubled per consecutive such 429, capped by
// MaxWait, jittered. 429s to requests sent before the current backoff
// began belong to the same burst and neither lengthen nor repeat it.
// l.mu must be held.
func (l *Limiter) backOff(b *bucketState, obs Observation) []LimiterEvent {
	now := obs.Received
	if sameBurst(b, obs) {
		return nil
	}
	b.badStreak++
	d := l.boundedWait(l.cfg.MinWait << min(b.badStreak-1, 30))
	b.held, b.heldFor = now.Add(d), waitBackoff
	return []LimiterEvent{l.eventLocked(EventBackoff, b, now, d)}
}

// sameBurst reports whether obs answers a request sent before the
// backoff b is in began: several requests in flight meet the same
// trouble, which is one signal, not several. l.mu must be held.
func sameBurst(b *bucketState, obs Observation) bool {
	return b.heldFor == waitBackoff && obs.Received.Before(b.held) && obs.Sent.Before(b.held)
}

// withHeaders handles an answer whose rate-limit headers describe the
// bucket. l.mu must be held.
func (l *Limiter) withHeaders(b *bucketState, obs Observation) []LimiterEvent {
	rl := obs.RateLimit
	date := rl.Date
	if date.IsZero() {
		date = l.offset.oktaNow(obs.Received)
	}
	reset, bad := l.plausibleReset(rl.Reset, date, b, obs)
	if bad {
		l.counters.badHeaders++
	} else {
		b.badStreak = 0
	}
	remaining := min(rl.Remaining, rl.Limit)
	tooMany := obs.Status == http.StatusTooManyRequests
	if tooMany {
		// Whatever it says is left, a 429 means nothing is.
		remaining = 0
		l.counters.tooMany++
	}
	l.updateWindow(b, rl.Limit, remaining, reset, !tooMany)
	b.noHeaders = false
	if !tooMany {
		return nil
	}
	return l.pause(b, obs, reset, bad)
}

// plausibleReset returns the reset to use for an answer stamped date
// (both on Okta's clock) and whether the header was implausible: a
// reset not after date stands for a bounded backoff from date (growing
// with consecutive 429s), and a reset more than MaxWait after date is
// cut to MaxWait. l.mu must be held.
func (l *Limiter) plausibleReset(reset, date time.Time, b *bucketState,
	obs Observation) (time.Time, bool) {
	switch {
	case !reset.After(date):
		streak := 0
		if obs.Status == http.StatusTooManyRequests {
			streak = b.badStreak
			if !sameBurst(b, obs) {
				b.badStreak++
			}
		}
		return date.Add(l.boundedWait(l.cfg.MinWait << min(streak, 30))), true
	case reset.Sub(date) > l.cfg.MaxWait:
		return date.Add(l.boundedWait(l.cfg.MaxWait)), true
	}
	return reset, false
}

// updateWindow merges one answer's window into b: a later reset opens
// a new window, the same reset keeps the lowest remaining count, and an
// earlier one is a late answer from a window already over, ignored.
// spent says the answer cost a unit of this replica's, which makes the
// fall of the remaining count since the previous one, less that unit, a
// sample of what the other replicas spend between two answers to this
// one. l.mu must be held.
func (l *Limiter) updateWindow(b *bucketState, limit, remaining int, reset time.Time,
	spent bool) {
	switch {
	case b.reset.IsZero() || reset.After(b.reset):
		b.limit, b.remaining, b.reset = limit, remaining, reset
		b.sampled = false
	case reset.Equal(b.reset):
		fall := max(b.remaining-remaining, 0)
		b.limit, b.remaining = limit, min(b.remaining, remaining)
		if spent && b.sampled {
			b.others += othersWeight * (float64(fall-1) - b.others)
		}
	default:
		l.counters.stale++
		return
	}
	if spent {
		b.sampled = true
	}
}

// pause holds bucket b until the reset a 429 reported, converted to
// the local clock, and reports it once per window. l.mu must be held.
func (l *Limiter) pause(b *bucketState, obs Observation, reset time.Time,
	bad bool) []LimiterEvent {
	now := obs.Received
	until := l.offset.localLatest(reset, ResetMargin).Add(l.cfg.Margin)
	why := waitPause
	if bad {
		why = waitBackoff
	}
	if until.After(b.held) {
		b.held, b.heldFor = until, why
	}
	if b.pauseNoted.Equal(reset) && why == waitPause {
		return nil
	}
	b.pauseNoted = reset
	kind := EventPause
	if bad {
		kind = EventBackoff
	}
	return []LimiterEvent{l.eventLocked(kind, b, now, until.Sub(now))}
}

// concurrencyLimited handles a concurrency 429: it halves the in-flight
// cap (from what was in flight when the answer came, if lower) and
// holds the whole tenant for a short jittered backoff. 429s to requests
// sent before the current backoff began are the same burst and change
// nothing. l.mu must be held.
func (l *Limiter) concurrencyLimited(obs Observation, inflight int) []LimiterEvent {
	c := &l.conc
	now := obs.Received
	if obs.Sent.Before(c.since) {
		return nil
	}
	from := inflight
	if c.cap > 0 {
		from = min(from, c.cap)
	}
	if c.ceiling == 0 {
		c.ceiling = max(from, 2)
	}
	c.cap, c.good = max(1, from/2), 0

	c.streak++
	d := l.cfg.ConcurrencyWait << min(c.streak-1, 3)
	d = min(d, l.cfg.ConcurrencyWait*maxConcurrencyBackoff, l.cfg.MaxWait)
	d = d/2 + l.randN(d/2+1)
	c.since, c.until = now, now.Add(d)
	return []LimiterEvent{l.eventLocked(EventConcurrency, nil, now, d)}
}

// recover counts an answer that was not a 429 towards lifting a cut
// in-flight cap: one more slot per RecoverAfter answers, and the cap as
// configured once it is back at the level of the first cut. l.mu must be
// held.
func (l *Limiter) recover(obs Observation) {
	c := &l.conc
	if !obs.Sent.Before(c.until) {
		c.streak = 0
	}
	if c.ceiling == 0 {
		return
	}
	c.good++
	if c.good < l.cfg.RecoverAfter {
		return
	}
	c.good = 0
	c.cap++
	if c.cap >= c.ceiling {
		c.cap, c.ceiling = l.cfg.MaxInFlight, 0
	}
}

// boundedWait jitters d and keeps it within [MinWait, MaxWait]: up to a
// tenth is added, or taken off where adding would pass MaxWait. l.mu
// must be held.
func (l *Limiter) boundedWait(d time.Duration) time.Duration {
	lo, hi := l.cfg.MinWait, l.cfg.MaxWait
	d = min(max(d, lo), hi)
	j := l.randN(d/10 + 1)
	if d+j <= hi {
		return d + j
	}
	return max(d-j, lo)
}

// randN returns a random duration in [0, n). l.mu must be held.
func (l *Limiter) randN(n time.Duration) time.Duration {
	if n <= 0 {
		return 0
	}
	return time.Duration(l.rng.Int64N(int64(n)))
}
