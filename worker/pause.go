package worker

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"go.uber.org/zap"

	"github.com/okta-worker/okta-worker/okta"
)

// gate holds a tenant's requests while the tenant is paused after an
// Okta 429. It is safe for concurrent use.
type gate struct {
	mu    sync.Mutex
	shut  chan struct{} // non-nil while closed; closed when the gate reopens
	until time.Time     // while closed, when it is due to reopen

	// closed receives a value when the gate goes from open to closed, so
	// the tenant's pause loop can pause the consumer and time the pause.
	closed chan struct{}
}

// newGate returns an open gate.
func newGate() *gate { return &gate{closed: make(chan struct{}, 1)} }

// close closes an open gate until the given time and reports whether it
// did. A gate that is already closed keeps its deadline: the requests
// that hit the same 429 burst wait for the one pause it started.
func (g *gate) close(until time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.shut != nil {
		return false
	}
	g.shut = make(chan struct{})
	g.until = until
	select {
	case g.closed <- struct{}{}:
	default:
	}
	return true
}

// wait returns nil once the gate is open, or ctx's error if ctx ends
// first.
func (g *gate) wait(ctx context.Context) error {
	g.mu.Lock()
	shut := g.shut
	g.mu.Unlock()
	if shut == nil {
		return nil
	}
	select {
	case <-shut:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// open opens the gate and releases every request waiting on it.
func (g *gate) open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.shut != nil {
		close(g.shut)
		g.shut = nil
	}
}

// deadline returns when a closed gate is due to reopen.
func (g *gate) deadline() time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.until
}

// pauseLoop turns every closing of the tenant's gate into a pause of the
// tenant's consumer on the server, and reopens the gate when the pause
// is over. It returns when ctx ends.
func (t *tenant) pauseLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.gate.closed:
		}
		if !t.holdPause(ctx) {
			return
		}
	}
}

// holdPause pauses the consumer until the gate's deadline, waits for it
// on the worker's clock, then resumes the consumer and opens the gate.
// It reports false when ctx ended first; the gate then stays closed (its
// waiters end with ctx) and the server resumes the consumer by itself at
// the deadline.
func (t *tenant) holdPause(ctx context.Context) bool {
	until := t.gate.deadline()
	wait := until.Sub(t.w.clock.Now())
	timer := t.w.clock.NewTimer(wait)
	defer timer.Stop()
	pauseLog := t.log.Warn
	if t.limiter != nil {
		pauseLog = t.log.Debug // the limiter's report of the 429 was the warning
	}
	pauseLog("tenant paused after okta rate limit",
		zap.Duration(keyWait, wait), zap.Time(keyUntil, until))
	t.pauseConsumer(ctx, until)

	select {
	case <-ctx.Done():
		return false
	case <-timer.Chan():
	}

	// Resuming explicitly, rather than leaving it to the server's own
	// timer, makes the worker's clock the authority on when the pause
	// ends, which is what lets tests drive it with a fake clock.
	t.resumeConsumer(ctx)
	t.gate.open()
	t.log.Info("tenant resumed")
	return true
}

// pauseConsumer pauses the tenant's consumer on the server, so that every
// replica stops pulling the tenant's requests until the deadline.
func (t *tenant) pauseConsumer(ctx context.Context, until time.Time) {
	ctx, cancel := context.WithTimeout(ctx, t.w.cfg.FinishTimeout)
	defer cancel()
	_, err := t.w.js.PauseConsumer(ctx, t.w.cfg.RequestsStream, t.durable, until)
	if err != nil {
		// The gate still holds this replica's requests; other replicas
		// find out about the limit from their own 429s.
		t.log.Warn("pausing consumer failed", zap.Error(err))
	}
}

// resumeConsumer resumes the tenant's consumer on the server.
func (t *tenant) resumeConsumer(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, t.w.cfg.FinishTimeout)
	defer cancel()
	if _, err := t.w.js.ResumeConsumer(ctx, t.w.cfg.RequestsStream, t.durable); err != nil {
		// The server resumes the consumer at the pause deadline anyway.
		t.log.Warn("resuming consumer failed", zap.Error(err))
	}
}

// sitOut waits out a 429 before the request's next attempt. A bucket 429
// closes the tenant's gate (the pause loop then pauses the consumer on
// the server) and the request waits there with the tenant's others. A
// concurrency 429 says nothing about the bucket: it only delays this
// request, by MinPause.
func (t *tenant) sitOut(ctx context.Context, j *job, err error) error {
	var oe *okta.Error
	errors.As(err, &oe)
	now := t.w.clock.Now()
	if t.limiter != nil {
		return t.sitOutLimited(ctx, oe, now)
	}
	wait := pauseFor(oe, now, t.w.cfg.MinPause, t.w.cfg.MaxPause, tenthJitter)
	if oe != nil && oe.RateLimit.Concurrency() {
		j.log.Warn("okta concurrency limit reached, backing off", zap.Duration(keyWait, wait))
		return sleepClock(ctx, t.w.clock, wait)
	}
	t.gate.close(now.Add(wait))
	return t.gate.wait(ctx)
}

// pauseFor returns how long to wait after a 429: until Okta's reset,
// measured on Okta's clock (reset minus the response's Date), clamped to
// [lo, hi], plus up to a tenth more so that replicas do not all come
// back at the same instant. A missing or past reset waits lo, so a 429
// never leads to a busy loop; a concurrency 429 (limit 0) also waits lo.
func pauseFor(oe *okta.Error, now time.Time, lo, hi time.Duration,
	jitter func(time.Duration) time.Duration) time.Duration {
	d := lo
	if oe != nil && !oe.RateLimit.Concurrency() {
		if after, ok := oe.RetryAfter(now); ok {
			d = max(after, lo)
		}
	}
	d = min(d, hi)
	return min(d+jitter(d), hi)
}

// tenthJitter returns a random duration in [0, d/10].
func tenthJitter(d time.Duration) time.Duration { return rand.N(d/10 + 1) }

// sleepClock waits d on clock; it returns ctx's error if ctx ends first.
func sleepClock(ctx context.Context, clock clockwork.Clock, d time.Duration) error {
	tm := clock.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.Chan():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
