package okta

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"
)

// Defaults of [LimiterConfig].
const (
	// DefaultMinWait is the floor of a wait whose length Okta did not
	// say usably: a 429 without rate-limit headers, or with a reset that
	// is not after its Date. One second is the resolution of the headers.
	DefaultMinWait = time.Second

	// DefaultMaxWait caps every wait the limiter imposes. Okta's
	// management windows last a minute; a reset further away than five
	// is taken as a bad header.
	DefaultMaxWait = 5 * time.Minute

	// DefaultConcurrencyWait is the first backoff after a concurrency
	// 429. Okta frees a concurrency slot as soon as any request of the
	// org ends, so the wait is short; it doubles with consecutive ones up
	// to eight times this value.
	DefaultConcurrencyWait = 500 * time.Millisecond

	// DefaultRecoverAfter is how many answers that are not concurrency
	// 429s raise a cut in-flight cap by one.
	DefaultRecoverAfter = 10

	// DefaultLimiterMargin is added to a reset converted to the local
	// clock. The conversion already takes the latest instant the offset
	// estimate allows; the margin only covers timer and scheduling delay.
	DefaultLimiterMargin = 20 * time.Millisecond
)

// maxConcurrencyBackoff bounds the doubling of ConcurrencyWait.
const maxConcurrencyBackoff = 8

// LimiterConfig holds a [Limiter]'s settings. Every zero field takes its
// default.
type LimiterConfig struct {
	// ReservePercent is the share of each bucket's limit, in percent
	// from 0 to 99, that the limiter never spends, for orgs whose other
	// applications share the budget. The limiter never sends the
	// request that would leave fewer than ceil(limit*ReservePercent/100)
	// units. The default, 0, spends the whole budget Okta grants: Okta
	// already gives an API token at most half of a bucket unless an
	// admin raised that share, so the other half is left to the org's
	// other clients without a reserve here.
	ReservePercent float64

	// MinWait and MaxWait bound the waits the limiter imposes when Okta
	// does not say usably how long to wait (missing, unparseable or
	// implausible headers): such a wait starts at MinWait, doubles with
	// consecutive bad 429s, never exceeds MaxWait and is jittered within
	// those bounds. MaxWait also caps a reset far in the future. Zero
	// means DefaultMinWait and DefaultMaxWait.
	MinWait time.Duration
	MaxWait time.Duration

	// ConcurrencyWait is the first backoff after a concurrency 429
	// (X-Rate-Limit-Limit and -Remaining both 0); consecutive ones
	// double it up to eight times its value, capped at MaxWait, and each
	// wait is drawn from [d/2, d]. Zero means DefaultConcurrencyWait.
	ConcurrencyWait time.Duration

	// MaxInFlight caps the tenant's requests in flight across all its
	// buckets. Zero means no cap of the limiter's own until a
	// concurrency 429 imposes one, which is then lifted again.
	MaxInFlight int

	// RecoverAfter is how many answers that are not concurrency 429s
	// raise a cut in-flight cap by one, until it is back where it was;
	// zero means DefaultRecoverAfter.
	RecoverAfter int

	// Margin is added to every reset converted to the local clock; zero
	// means DefaultLimiterMargin.
	Margin time.Duration
}

// withDefaults returns c with its zero fields set to their defaults.
func (c LimiterConfig) withDefaults() LimiterConfig {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.MinWait, DefaultMinWait)
	def(&c.MaxWait, DefaultMaxWait)
	def(&c.ConcurrencyWait, DefaultConcurrencyWait)
	def(&c.Margin, DefaultLimiterMargin)
	if c.RecoverAfter == 0 {
		c.RecoverAfter = DefaultRecoverAfter
	}
	return c
}

// validate checks a config whose defaults are applied.
func (c LimiterConfig) validate() error {
	switch {
	case c.ReservePercent < 0 || c.ReservePercent >= 100 || c.ReservePercent != c.ReservePercent:
		return fmt.Errorf("%w: limiter reserve must be 0 to 99 percent", ErrInvalidConfig)
	case c.MinWait < 0 || c.MaxWait < c.MinWait:
		return fmt.Errorf("%w: limiter needs 0 < MinWait <= MaxWait", ErrInvalidConfig)
	case c.ConcurrencyWait < 0 || c.Margin < 0:
		return fmt.Errorf("%w: limiter waits must not be negative", ErrInvalidConfig)
	case c.MaxInFlight < 0 || c.RecoverAfter < 0:
		return fmt.Errorf("%w: limiter counts must not be negative", ErrInvalidConfig)
	}
	return nil
}

// LimiterOption configures a [Limiter].
type LimiterOption interface{ applyLimiter(*Limiter) }

type limiterOptionFunc func(*Limiter)

func (f limiterOptionFunc) applyLimiter(l *Limiter) { f(l) }

// WithLimiterClock sets the local clock the limiter reads and waits on;
// the default, and nil, are the real clock.
func WithLimiterClock(c clockwork.Clock) LimiterOption {
	return limiterOptionFunc(func(l *Limiter) {
		if c != nil {
			l.clock = c
		}
	})
}

// WithLimiterRand sets the source of the limiter's jitter, for tests
// that need repeatable waits. The limiter uses r under its own lock. The
// default, and nil, are a randomly seeded source.
func WithLimiterRand(r *rand.Rand) LimiterOption {
	return limiterOptionFunc(func(l *Limiter) {
		if r != nil {
			l.rng = r
		}
	})
}

// WithLimiterEvents sets the function told about every pause, throttle
// and backoff; see [Limiter.SetEvents].
func WithLimiterEvents(f func(LimiterEvent)) LimiterOption {
	return limiterOptionFunc(func(l *Limiter) { l.SetEvents(f) })
}

// Limiter paces and holds the requests of one Okta org (one tenant) so
// that they stay within the org's rate limits, per bucket. A Limiter is
// shared by every [Client] of the org in the process (see
// [WithLimiter]); replicas in other processes tell it nothing, but their
// consumption shows in the X-Rate-Limit-Remaining of the answers this
// one sees. It is safe for concurrent use.
//
// Per bucket it keeps the limit, the lowest remaining count and the
// reset of the current window, all on Okta's clock, which it relates to
// the local clock through the Date headers (see [ClockOffset]). Before a
// request it waits, in this order, for: a concurrency backoff; a free
// slot under the in-flight cap; a pause after a 429; the reset when the
// budget (remaining, less requests in flight, less the reserve, less
// what other replicas are expected to spend first) is gone; and the
// pace that spreads the budget that is left evenly until the reset.
// While a bucket's window is unknown or over, one request at a time
// goes out to learn the new one; while the estimate of Okta's clock is
// wide, the last unit of a window goes at the instant the estimate puts
// the reset at, which narrows it.
//
// The decisions are pure functions of an instant ([Limiter.DelayAt],
// [Limiter.TakeAt], [Limiter.ObserveAt]); [Limiter.Wait] and [Permit]
// apply them at the limiter's clock. The limiter never logs: it counts
// in [Limiter.Stats] and reports holds through [Limiter.SetEvents].
type Limiter struct {
	cfg    LimiterConfig
	clock  clockwork.Clock
	events atomic.Pointer[func(LimiterEvent)]

	// mu guards everything below.
	mu       sync.Mutex
	rng      *rand.Rand
	offset   ClockOffset
	buckets  map[Bucket]*bucketState
	conc     concurrencyState
	counters counters
	changed  chan struct{} // closed and replaced whenever state changes
}

// NewLimiter returns a limiter for one org. Invalid settings give an
// error wrapping [ErrInvalidConfig].
func NewLimiter(cfg LimiterConfig, opts ...LimiterOption) (*Limiter, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	l := &Limiter{
		cfg:     cfg,
		clock:   clockwork.NewRealClock(),
		rng:     rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())),
		buckets: make(map[Bucket]*bucketState),
		changed: make(chan struct{}),
	}
	l.conc.cap = cfg.MaxInFlight
	for _, o := range opts {
		o.applyLimiter(l)
	}
	return l, nil
}

// Config returns the limiter's settings, defaults applied.
func (l *Limiter) Config() LimiterConfig { return l.cfg }

// SetEvents sets the function told about every pause, throttle and
// backoff as it begins (see [LimiterEvent]); nil tells nobody. The
// function is called without the limiter's lock held, from the goroutine
// of the request concerned, and must not block.
func (l *Limiter) SetEvents(f func(LimiterEvent)) {
	if f == nil {
		l.events.Store(nil)
		return
	}
	l.events.Store(&f)
}

// emit tells the events function about evs. It must be called without
// l.mu held.
func (l *Limiter) emit(evs []LimiterEvent) {
	f := l.events.Load()
	if f == nil {
		return
	}
	for _, ev := range evs {
		(*f)(ev)
	}
}

// Observation is what the limiter learns from one request to Okta.
type Observation struct {
	// Sent and Received are the local instants the request left and its
	// answer (or failure) came back.
	Sent, Received time.Time

	// Status is the HTTP status, or 0 when no answer came (a transport
	// error or timeout): the request is then counted as spent, since
	// Okta may have counted it.
	Status int

	// RateLimit is the state the answer's headers reported, as
	// [ParseRateLimit] returns it: a zero Date when the header was
	// missing or unparseable.
	RateLimit RateLimit
}

// Permit is the right to send one request, handed out by [Limiter.Wait].
// Exactly one of [Permit.Done] and [Permit.Cancel] must be called; later
// calls do nothing. A Permit is safe for concurrent use.
type Permit struct {
	l      *Limiter
	bucket Bucket
	sent   time.Time
	once   sync.Once
}

// Sent returns the local instant the permit was granted, which stands
// for the instant the request was sent.
func (p *Permit) Sent() time.Time { return p.sent }

// Done reports the answer to the permitted request, received now on the
// limiter's clock: its HTTP status (0 when none came) and the rate-limit
// state its headers reported.
func (p *Permit) Done(status int, rl RateLimit) {
	p.once.Do(func() {
		obs := Observation{Sent: p.sent, Received: p.l.clock.Now(), Status: status, RateLimit: rl}
		p.l.ObserveAt(p.bucket, obs)
	})
}

// Cancel gives the permit back unused: the request was never sent.
func (p *Permit) Cancel() {
	p.once.Do(func() { p.l.CancelAt(p.l.clock.Now(), p.bucket) })
}

// Wait blocks until a request of bucket b may be sent, counts it in
// flight and returns its permit. It returns ctx's error if ctx ends
// first. Every wait is bounded: by the reset of a window (itself capped
// by MaxWait), by a backoff (capped by MaxWait), or by the answer to a
// request in flight.
func (l *Limiter) Wait(ctx context.Context, b Bucket) (*Permit, error) {
	var w waitRecord
	for {
		now := l.clock.Now()
		l.mu.Lock()
		w.settle(&l.counters, now)
		d, why := l.delayLocked(now, b)
		if d == 0 {
			l.takeLocked(now, b)
			l.mu.Unlock()
			return &Permit{l: l, bucket: b, sent: now}, nil
		}
		w.begin(&l.counters, why, now)
		evs := l.noteWaitLocked(now, b, d, why)
		changed := l.changed
		l.mu.Unlock()

		l.emit(evs)
		if err := l.sleep(ctx, d, changed); err != nil {
			l.mu.Lock()
			w.settle(&l.counters, l.clock.Now())
			l.mu.Unlock()
			return nil, err
		}
	}
}

// sleep waits d on the limiter's clock, or until the state changes, or
// until ctx ends, whose error it then returns.
func (l *Limiter) sleep(ctx context.Context, d time.Duration, changed <-chan struct{}) error {
	t := l.clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.Chan():
	case <-changed:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// DelayAt returns how long a request of bucket b would have to wait at
// the local instant now; 0 means it may go now. A request that waits
// for another one's answer (the in-flight cap is reached, or a window's
// probe is in flight) gets MaxWait, the longest that could last; the
// wait ends earlier when the answer comes. DelayAt changes nothing.
func (l *Limiter) DelayAt(now time.Time, b Bucket) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	d, _ := l.delayLocked(now, b)
	return d
}

// TakeAt counts a request of bucket b as sent at now if it may go then,
// and otherwise returns the delay as [Limiter.DelayAt] does. A request
// taken must later be reported with [Limiter.ObserveAt] or given back
// with [Limiter.CancelAt].
func (l *Limiter) TakeAt(now time.Time, b Bucket) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	d, _ := l.delayLocked(now, b)
	if d > 0 {
		return d, false
	}
	l.takeLocked(now, b)
	return 0, true
}

// ObserveAt reports the outcome of a request of bucket b taken earlier.
func (l *Limiter) ObserveAt(b Bucket, obs Observation) {
	l.mu.Lock()
	evs := l.observeLocked(b, obs)
	l.broadcastLocked()
	l.mu.Unlock()
	l.emit(evs)
}

// CancelAt gives back a request of bucket b taken but never sent.
func (l *Limiter) CancelAt(now time.Time, b Bucket) {
	l.mu.Lock()
	defer l.mu.Unlock()
	bs := l.bucket(b)
	l.releaseLocked(bs)
	l.setPaceLocked(now, bs)
	l.broadcastLocked()
}

// ResumeAt returns the local instant at which bucket b may send again
// after a pause, a backoff or a spent budget, ignoring pacing and
// requests in flight; an instant not after now means it is not held.
// The worker pauses a tenant's consumer until this instant, so the
// limiter is the one authority on when the tenant may send again.
func (l *Limiter) ResumeAt(now time.Time, b Bucket) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.resumeAtLocked(now, b)
}

// broadcastLocked wakes every waiter so it re-evaluates its delay.
// l.mu must be held.
func (l *Limiter) broadcastLocked() {
	close(l.changed)
	l.changed = make(chan struct{})
}

// bucket returns the state of b, creating it. l.mu must be held.
func (l *Limiter) bucket(b Bucket) *bucketState {
	bs := l.buckets[b]
	if bs == nil {
		bs = newBucketState(b)
		l.buckets[b] = bs
	}
	return bs
}
