package okta

import (
	"math"
	"time"

	"golang.org/x/time/rate"
)

// othersWeight is the weight of the newest sample in the moving average
// of what other replicas spend between two answers to this one.
const othersWeight = 0.5

// tokenSlack absorbs the rounding of the pacing token bucket's float
// arithmetic, so that a wait computed to end when a token is due is
// not followed by a second wait of a few nanoseconds.
const tokenSlack = 1e-6

// bucketState is what a Limiter knows about one bucket. The Limiter's
// mutex guards it.
type bucketState struct {
	name Bucket

	// The current window, from the latest answers: limit, the lowest
	// remaining count reported in it, and its reset on Okta's clock. A
	// zero reset means no window is known.
	limit     int
	remaining int
	reset     time.Time

	// noHeaders is set when answers come without rate-limit headers and
	// no window is known: the bucket is then not limited at all (a proxy
	// strips the headers, or the org has no limit there).
	noHeaders bool

	inflight int

	// pace spreads what is left of the budget evenly until the reset. Its
	// rate is set whenever the state changes; its burst is one request.
	pace *rate.Limiter

	// others is the moving average of how many units other replicas
	// spend between two answers to this replica (see spare); sampled
	// marks that the current window has given a first answer, whose drop
	// from the previous window is not a sample.
	others  float64
	sampled bool

	// held is when a pause after a 429, or a backoff after a 429 with
	// unusable headers, ends on the local clock; heldFor says which.
	held    time.Time
	heldFor waitReason
	// badStreak counts consecutive 429s with unusable headers.
	badStreak int
	// throttleNoted and pauseNoted are the resets of the windows whose
	// throttle and pause were reported last, so that each is reported
	// once per window.
	throttleNoted time.Time
	pauseNoted    time.Time
}

// newBucketState returns the state of a bucket nothing is known about.
func newBucketState(b Bucket) *bucketState {
	return &bucketState{name: b, pace: rate.NewLimiter(rate.Inf, 1)}
}

// concurrencyState is the tenant-wide state of the concurrency limit.
type concurrencyState struct {
	inflight int
	cap      int // 0 means none

	// ceiling is the in-flight count at which the first of a series of
	// cuts happened (0 when the cap is not cut): once the cap has grown
	// back to it, it returns to the configured MaxInFlight.
	ceiling int
	good    int // answers since the cap last grew

	since  time.Time // start of the current backoff, local
	until  time.Time // end of the current backoff, local
	streak int       // consecutive concurrency backoffs
}

// waitReason says why a request waits.
type waitReason int

// The reasons a request waits, strongest last.
const (
	waitNone        waitReason = iota
	waitPace                   // spreading the budget until the reset
	waitProbe                  // the window is unknown and a request is finding it out
	waitBudget                 // the budget, less the reserve, is spent until the reset
	waitPause                  // a 429 said the budget is spent until the reset
	waitBackoff                // a 429 came without a usable reset
	waitConcurrency            // a concurrency 429, or the in-flight cap
	numWaitReasons
)

// delayLocked decides how long a request of bucket name waits at now.
// l.mu must be held.
func (l *Limiter) delayLocked(now time.Time, name Bucket) (time.Duration, waitReason) {
	c := &l.conc
	if now.Before(c.until) {
		return c.until.Sub(now), waitConcurrency
	}
	if c.cap > 0 && c.inflight >= c.cap {
		return l.cfg.MaxWait, waitConcurrency
	}
	b := l.buckets[name]
	if b == nil {
		return 0, waitNone
	}
	if now.Before(b.held) {
		return b.held.Sub(now), b.heldFor
	}
	if b.noHeaders {
		return 0, waitNone
	}
	end, current := l.windowEnd(now, b)
	if !current {
		if b.inflight > 0 {
			return l.cfg.MaxWait, waitProbe
		}
		return 0, waitNone
	}
	spare := l.spare(b)
	if spare < 1 {
		return end.Sub(now), waitBudget
	}
	d := paceDelay(now, b.pace)
	if spare == 1 && l.offset.narrowable() {
		d = max(d, l.offset.localMid(b.reset).Sub(now))
	}
	if d > 0 {
		return min(d, end.Sub(now)), waitPace
	}
	return 0, waitNone
}

// The last unit a replica may spend in a window waits for the instant
// the offset estimate puts the reset at, while the estimate is still
// wide: Okta stamps that answer just before or just after one of its
// second ticks, which halves the estimate either way, and either way at
// no cost of a 429 (before the tick the unit is the old window's, which
// this replica was to spend; after it, a new window has begun). A wide
// estimate otherwise stays wide where windows last one second, since
// requests then never start right after a tick, and it makes the
// replica wait needlessly long for every reset.

// windowEnd returns the local instant by which b's window has surely
// ended, and whether it is still ahead of now. l.mu must be held.
func (l *Limiter) windowEnd(now time.Time, b *bucketState) (time.Time, bool) {
	if b.reset.IsZero() {
		return time.Time{}, false
	}
	end := l.offset.localLatest(b.reset, ResetMargin).Add(l.cfg.Margin)
	return end, now.Before(end)
}

// spare returns how many more requests of b this replica may send in
// the current window: the lowest remaining count, less its own requests
// in flight, less the reserve, less what the other replicas sharing the
// bucket are expected to spend before the next request lands.
//
// Replicas do not talk to each other; each sees the others' consumption
// only in how the remaining count falls between its own answers. Since
// every replica paces at the same rate (see setPaceLocked), they take
// turns, and that fall, less the replica's own unit, is how many units
// the others spend per turn of this one. Expecting that many for each
// request of this one in flight and for the next keeps the last units of
// a window for the replicas whose turn they are: each sends only while
// its turn is still covered by what it last saw, so they neither collide
// on the last unit nor all stop short of it. l.mu must be held.
func (l *Limiter) spare(b *bucketState) int {
	others := int(math.Round(max(b.others, 0) * float64(b.inflight+1)))
	return b.remaining - b.inflight - l.reserve(b.limit) - others
}

// reserve returns the units of a bucket of the given limit that the
// limiter never spends.
func (l *Limiter) reserve(limit int) int {
	return int(math.Ceil(float64(limit) * l.cfg.ReservePercent / 100))
}

// paceDelay returns how long until the pacing bucket p holds a token.
func paceDelay(now time.Time, p *rate.Limiter) time.Duration {
	r := p.Limit()
	if r == rate.Inf {
		return 0
	}
	tokens := p.TokensAt(now)
	if tokens >= 1-tokenSlack {
		return 0
	}
	if r <= 0 {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(math.Ceil((1 - tokens) / float64(r) * float64(time.Second)))
}

// setPaceLocked sets b's pacing rate so that the budget left, plus the
// request the rate is about to time, is spread evenly over the time left
// until the reset; with no known window, or no time left, pacing is off.
//
// The rate is that of the whole budget, not of this replica's share of
// it: replicas sharing a bucket all see about the same remaining count
// and reset, so they all pace at about the same rate and take turns,
// which is what lets spare share out the last units. Together they
// spend faster than one would, but the remaining count they pace on
// falls with every unit any of them spends, so the budget still lasts
// until the reset. Rates that followed each replica's own share would
// drift apart (a replica that starts a window early sees a larger share
// and keeps it) and break the turns. l.mu must be held.
func (l *Limiter) setPaceLocked(now time.Time, b *bucketState) {
	_, current := l.windowEnd(now, b)
	left := l.offset.localMid(b.reset).Sub(now)
	if !current || b.noHeaders || left <= 0 {
		setPace(now, b, rate.Inf)
		return
	}
	budget := float64(b.remaining - b.inflight - l.reserve(b.limit))
	setPace(now, b, rate.Limit((max(budget, 0)+1)/left.Seconds()))
}

// setPace gives b's pacing bucket the rate r from now on. A bucket
// whose pacing was off starts afresh, with its one token: rate.Limiter
// must not advance at an infinite rate, which yields NaN tokens for no
// elapsed time.
func setPace(now time.Time, b *bucketState, r rate.Limit) {
	switch {
	case r == rate.Inf || b.pace.Limit() == rate.Inf:
		b.pace = rate.NewLimiter(r, 1)
	default:
		b.pace.SetLimitAt(now, r)
	}
}

// takeLocked counts a request of bucket name as sent at now. l.mu must
// be held.
func (l *Limiter) takeLocked(now time.Time, name Bucket) {
	b := l.bucket(name)
	b.inflight++
	l.conc.inflight++
	l.counters.requests++
	if _, current := l.windowEnd(now, b); current && !b.noHeaders {
		b.pace.ReserveN(now, 1)
	}
	l.setPaceLocked(now, b)
}

// releaseLocked ends a request of b in flight. l.mu must be held.
func (l *Limiter) releaseLocked(b *bucketState) {
	if b.inflight > 0 {
		b.inflight--
	}
	if l.conc.inflight > 0 {
		l.conc.inflight--
	}
}

// resumeAtLocked implements [Limiter.ResumeAt]. l.mu must be held.
func (l *Limiter) resumeAtLocked(now time.Time, name Bucket) time.Time {
	at := l.conc.until
	b := l.buckets[name]
	if b == nil {
		return at
	}
	if b.held.After(at) {
		at = b.held
	}
	end, current := l.windowEnd(now, b)
	if current && !b.noHeaders && b.remaining-l.reserve(b.limit) < 1 && end.After(at) {
		at = end
	}
	return at
}

// noteWaitLocked returns the events a wait for reason why begins, at
// most one per window and bucket for a throttle. l.mu must be held.
func (l *Limiter) noteWaitLocked(now time.Time, name Bucket, d time.Duration,
	why waitReason) []LimiterEvent {
	if why != waitBudget {
		return nil
	}
	b := l.buckets[name]
	if b.throttleNoted.Equal(b.reset) || b.pauseNoted.Equal(b.reset) {
		return nil
	}
	b.throttleNoted = b.reset
	return []LimiterEvent{l.eventLocked(EventThrottle, b, now, d)}
}

// eventLocked builds an event about bucket b (nil for the whole
// tenant) for a wait of d from now. l.mu must be held.
func (l *Limiter) eventLocked(kind EventKind, b *bucketState, now time.Time,
	d time.Duration) LimiterEvent {
	ev := LimiterEvent{Kind: kind, Wait: d, Until: now.Add(d), InFlightCap: l.conc.cap}
	if b != nil {
		ev.Bucket, ev.Limit, ev.Remaining = b.name, b.limit, b.remaining
	}
	return ev
}
