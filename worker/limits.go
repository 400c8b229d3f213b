package worker

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/okta-worker/okta-worker/okta"
)

// sitOutLimited waits out a 429 for a tenant whose client waits on an
// okta.Limiter, which has already taken the 429 into account: it is the
// one authority on when the tenant may send again.
//
// A concurrency 429 needs nothing more: the limiter has cut the tenant's
// in-flight cap and holds its client for a short backoff, and the next
// attempt waits for it there. A 429 for a bucket closes the tenant's gate
// until the instant the limiter gives for that bucket (the reset on
// Okta's clock converted to the local one, or a bounded backoff when the
// headers were unusable), capped by MaxPause; the pause loop pauses the
// consumer on the server until then, so every replica stops pulling the
// tenant, and the request waits at the gate with the tenant's others. A
// bucket that is no longer held is retried at once.
func (t *tenant) sitOutLimited(ctx context.Context, oe *okta.Error, now time.Time) error {
	if oe == nil || oe.RateLimit.Concurrency() {
		return nil
	}
	until := t.limiter.ResumeAt(now, okta.BucketFor(oe.Method, oe.Path))
	if !until.After(now) {
		return nil
	}
	t.gate.close(earlier(until, now.Add(t.w.cfg.MaxPause)))
	return t.gate.wait(ctx)
}

// earlier returns the earlier of two instants.
func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// limiterEvent logs a hold the tenant's limiter reports, once per hold:
// a throttle (the budget is spent and requests wait for the reset
// without Okta having refused any) is normal operation and logged at
// Info; a 429, for a bucket or for concurrency, is handled degradation
// and logged at Warn. It is called from the goroutine of the request
// concerned and does not block.
func (t *tenant) limiterEvent(ev okta.LimiterEvent) {
	fields := []zap.Field{zap.Duration(keyWait, ev.Wait), zap.Time(keyUntil, ev.Until)}
	if ev.Bucket != "" {
		fields = append(fields, zap.String(keyBucket, string(ev.Bucket)),
			zap.Int(keyLimit, ev.Limit), zap.Int(keyRemaining, ev.Remaining))
	}
	switch ev.Kind {
	case okta.EventThrottle:
		t.log.Info("okta rate limit budget spent, throttling until the reset", fields...)
	case okta.EventPause:
		t.log.Warn("okta rate limit hit, bucket paused until the reset", fields...)
	case okta.EventBackoff:
		t.log.Warn("okta rate limit hit without a usable reset, backing off", fields...)
	case okta.EventConcurrency:
		fields = append(fields, zap.Int(keyInFlightCap, ev.InFlightCap))
		t.log.Warn("okta concurrency limit reached, backing off", fields...)
	}
}
