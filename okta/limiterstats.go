package okta

import "time"

// EventKind says what a [LimiterEvent] reports.
type EventKind int

// The kinds of [LimiterEvent].
const (
	// EventThrottle: the bucket's budget, less the reserve, is spent, and
	// requests wait for the reset without Okta having refused any. This
	// is normal operation for a busy tenant. Reported once per window.
	EventThrottle EventKind = iota + 1

	// EventPause: Okta answered 429 for the bucket; requests wait for the
	// reset it reported. Reported once per window.
	EventPause

	// EventBackoff: Okta (or something in between) answered 429 without
	// a usable reset; requests wait a bounded, jittered backoff.
	EventBackoff

	// EventConcurrency: a concurrency 429; the tenant backs off briefly
	// and its in-flight cap (InFlightCap) is cut.
	EventConcurrency
)

// String names the kind for logs.
func (k EventKind) String() string {
	switch k {
	case EventThrottle:
		return "throttle"
	case EventPause:
		return "pause"
	case EventBackoff:
		return "backoff"
	case EventConcurrency:
		return "concurrency"
	}
	return "unknown"
}

// LimiterEvent reports the start of a hold on a tenant's requests.
type LimiterEvent struct {
	Kind   EventKind
	Bucket Bucket // "" for EventConcurrency, which holds the whole tenant

	// Wait is how long the hold lasts from when it was reported, and
	// Until when it ends, on the limiter's clock.
	Wait  time.Duration
	Until time.Time

	// Limit and Remaining are the bucket's state when the hold began.
	Limit, Remaining int

	// InFlightCap is the tenant's in-flight cap; 0 means none.
	InFlightCap int
}

// WaitStats counts the waits of one kind: how many requests waited
// for it, and for how long in total.
type WaitStats struct {
	Count int64
	Time  time.Duration
}

// BucketStats is the state of one bucket.
type BucketStats struct {
	Limit     int
	Remaining int       // the lowest count reported in the current window
	Reset     time.Time // on Okta's clock; zero when no window is known
	InFlight  int

	// Others is how many units other replicas are estimated to spend
	// per request of this one (0 when alone).
	Others float64

	// HeldUntil is when a pause or backoff of the bucket ends, on the
	// local clock; zero or past when none is running.
	HeldUntil time.Time
}

// LimiterStats is a snapshot of a [Limiter]'s counters and gauges, for
// logs and metrics. Counters only grow.
type LimiterStats struct {
	Requests  int64 // requests let through
	Responses int64 // answers observed
	NoAnswer  int64 // requests that got no answer (transport errors)

	TooManyRequests    int64 // 429s for a bucket (with or without headers)
	ConcurrencyLimited int64 // concurrency 429s
	BadHeaders         int64 // answers with missing or implausible rate-limit headers
	StaleAnswers       int64 // answers from a window already replaced

	// The waits by reason. A request that waited for several reasons
	// counts once under each.
	Paced       WaitStats // spreading the budget until the reset
	Probing     WaitStats // one request was finding out a new window
	Throttled   WaitStats // the budget less the reserve was spent
	Paused      WaitStats // a 429 reported the budget spent
	BackedOff   WaitStats // a 429 came without a usable reset
	Concurrency WaitStats // a concurrency backoff, or the in-flight cap

	InFlight    int // the tenant's requests in flight
	InFlightCap int // the current in-flight cap; 0 means none

	ClockOffset ClockOffset
	Buckets     map[Bucket]BucketStats
}

// counters are the growing counts behind [LimiterStats].
type counters struct {
	requests, responses, noAnswer       int64
	tooMany, concurrency429, badHeaders int64
	stale                               int64
	waits                               [numWaitReasons]WaitStats
}

// waitRecord follows one call of Wait: the reason it currently waits
// for, since when, and the reasons already counted.
type waitRecord struct {
	reason  waitReason
	since   time.Time
	counted [numWaitReasons]bool
}

// settle adds the time waited since the last step to its reason.
func (w *waitRecord) settle(c *counters, now time.Time) {
	if w.reason != waitNone {
		c.waits[w.reason].Time += max(now.Sub(w.since), 0)
		w.reason = waitNone
	}
}

// begin starts a step of waiting for reason why at now, counting the
// reason once per call of Wait.
func (w *waitRecord) begin(c *counters, why waitReason, now time.Time) {
	if !w.counted[why] {
		w.counted[why] = true
		c.waits[why].Count++
	}
	w.reason, w.since = why, now
}

// Stats returns a snapshot of the limiter's counters and gauges.
func (l *Limiter) Stats() LimiterStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.counters
	s := LimiterStats{
		Requests: c.requests, Responses: c.responses, NoAnswer: c.noAnswer,
		TooManyRequests: c.tooMany, ConcurrencyLimited: c.concurrency429,
		BadHeaders: c.badHeaders, StaleAnswers: c.stale,
		Paced: c.waits[waitPace], Probing: c.waits[waitProbe],
		Throttled: c.waits[waitBudget], Paused: c.waits[waitPause],
		BackedOff: c.waits[waitBackoff], Concurrency: c.waits[waitConcurrency],
		InFlight: l.conc.inflight, InFlightCap: l.conc.cap,
		ClockOffset: l.offset,
		Buckets:     make(map[Bucket]BucketStats, len(l.buckets)),
	}
	for name, b := range l.buckets {
		s.Buckets[name] = BucketStats{
			Limit: b.limit, Remaining: b.remaining, Reset: b.reset, InFlight: b.inflight,
			Others: max(b.others, 0), HeldUntil: b.held,
		}
	}
	return s
}
