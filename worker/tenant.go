package worker

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"golang.org/x/time/rate"

	"github.com/okta-worker/okta-worker/okta"
)

// Restarts of a consumption that ended while the worker runs back off
// from restartInitial to restartMax; after maxRestarts consecutive
// restarts that each lasted less than restartSettled, the replica gives
// the tenant up and logs an error for the operator.
const (
	restartInitial = 100 * time.Millisecond
	restartMax     = 10 * time.Second
	restartSettled = time.Minute
	maxRestarts    = 10
)

// logEvery is the most often a repeating error is logged per tenant.
var logEvery = rate.Every(10 * time.Second)

// oktaLogBurst is how many retry and Okta-failure warnings a tenant logs
// at once before they are limited to one a second (the rest go to Debug).
const oktaLogBurst = 5

// pullExpiry is how long one pull request waits on the server, and
// pullHeartbeat how often the server says it is still there. Two missed
// heartbeats make the client pull again, so a pull lost after a consumer
// leader change (nats.go#2063) or a deleted consumer is noticed within
// seconds.
const (
	pullExpiry    = 10 * time.Second
	pullHeartbeat = 2 * time.Second
)

// tenant is one tenant's consumer, worker pool and rate-limit gate.
type tenant struct {
	w       *Worker
	name    string
	okta    Okta
	durable string
	filter  string
	gate    *gate
	log     *zap.Logger
	limiter *okta.Limiter // nil when the tenant has none

	// suspect tells watch that the consumer may have vanished.
	suspect chan struct{}

	// consumeLog and authLog throttle the tenant's repeating logs of
	// consume errors and of Okta refusing the tenant's token; oktaLog
	// those of retries and failures while Okta is down, which come in
	// bursts of one per request and attempt.
	consumeLog *rate.Limiter
	authLog    *rate.Limiter
	oktaLog    *rate.Limiter
}

// newTenant returns the runtime state of a configured tenant.
func newTenant(w *Worker, tc Tenant) *tenant {
	t := &tenant{
		w:          w,
		name:       tc.Name,
		okta:       tc.Okta,
		durable:    w.cfg.ConsumerPrefix + tc.Name,
		filter:     w.cfg.Subjects.TenantRequests(tc.Name),
		gate:       newGate(),
		log:        w.log.With(zap.String(keyTenant, tc.Name)),
		suspect:    make(chan struct{}, 1),
		consumeLog: rate.NewLimiter(logEvery, 1),
		authLog:    rate.NewLimiter(logEvery, 1),
		oktaLog:    rate.NewLimiter(rate.Every(time.Second), oktaLogBurst),
		limiter:    tc.Limiter,
	}
	if t.limiter != nil {
		t.limiter.SetEvents(t.limiterEvent)
	}
	return t
}

// run consumes the tenant's requests until ctx ends, then shuts down in
// three stages: stop pulling, let requests in flight finish for the
// grace period, cancel the rest. It calls started once its first attempt
// to consume is over, and returns when every goroutine it started has
// returned.
func (t *tenant) run(ctx context.Context, started func()) {
	work, abort := context.WithCancel(context.WithoutCancel(ctx))
	p := newPool(work, t.w.cfg.Concurrency, t.handle)

	var pauses sync.WaitGroup
	pauses.Go(func() { t.pauseLoop(work) })
	// Deferred calls run last first: cancel the pause loop, then wait.
	defer pauses.Wait()
	defer abort()

	t.log.Info("tenant started", zap.String(keyConsumer, t.durable))
	cc := t.serve(ctx, p, started)
	t.shutdown(cc, p, abort)
	t.log.Info("tenant stopped")
}

// serve keeps a consumption running until ctx ends and returns the last
// one (nil if none is running). A consumption that ends by itself (the
// connection closed for good) or whose consumer vanished from the server
// is re-created with backoff.
func (t *tenant) serve(ctx context.Context, p *pool, started func()) jetstream.ConsumeContext {
	restarts := 0
	for {
		began := time.Now()
		cc, err := t.consume(ctx, p)
		if started != nil {
			started()
			started = nil
		}
		t.w.health.set(t.name, err == nil)
		if err == nil && t.watch(ctx, cc) {
			return cc
		}
		t.w.health.set(t.name, false)
		if time.Since(began) >= restartSettled {
			restarts = 0
		}
		restarts++
		t.log.Warn("consumption ended, restarting", zap.Error(err),
			zap.Int(keyRestarts, restarts))
		if restarts > maxRestarts {
			t.log.Error("consumption keeps ending, tenant abandoned by this replica",
				zap.Int(keyRestarts, restarts-1))
			t.w.health.abandon(t.name)
			<-ctx.Done()
			return nil
		}
		if !sleepReal(ctx, restartDelay(restarts)) {
			return nil
		}
	}
}

// watch waits until ctx ends, and then reports true, or until the
// consumption has ended. A deleted consumer does not end a consumption:
// the client only reports missing heartbeats and pulls nobody answers,
// forever. So on those reports watch asks the server whether the
// consumer still exists and, if not, stops the consumption itself.
func (t *tenant) watch(ctx context.Context, cc jetstream.ConsumeContext) bool {
	for {
		select {
		case <-ctx.Done():
			return true
		case <-cc.Closed():
			return false
		case <-t.suspect:
			if t.consumerGone(ctx) {
				t.log.Warn("consumer gone from the server")
				cc.Stop()
				return false
			}
		}
	}
}

// consumerGone reports whether the server says the tenant's consumer, or
// its stream, does not exist.
func (t *tenant) consumerGone(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, t.w.cfg.FinishTimeout)
	defer cancel()
	_, err := t.w.js.Consumer(ctx, t.w.cfg.RequestsStream, t.durable)
	return errors.Is(err, jetstream.ErrConsumerNotFound) ||
		errors.Is(err, jetstream.ErrStreamNotFound)
}

// restartDelay is the wait before the n-th consecutive restart.
func restartDelay(n int) time.Duration {
	d := restartInitial
	for i := 1; i < n && d < restartMax; i++ {
		d *= 2
	}
	return min(d, restartMax)
}

// consume (re)creates the consumer and starts consuming it into p.
// PullMaxMessages is the pool's size: prefetched messages wait in the
// client while their AckWait runs (nats.go#1929), so prefetching more
// than the pool can start only causes redeliveries.
func (t *tenant) consume(ctx context.Context, p *pool) (jetstream.ConsumeContext, error) {
	cons, err := t.ensureConsumer(ctx)
	if err != nil {
		return nil, err
	}
	return cons.Consume(p.dispatch,
		jetstream.PullMaxMessages(t.w.cfg.Concurrency),
		jetstream.PullExpiry(pullExpiry),
		jetstream.PullHeartbeat(pullHeartbeat),
		jetstream.ConsumeErrHandler(t.consumeError))
}

// consumeError logs the errors Consume reports, at most one per
// throttling period. Terminal ones also close the consumption, which
// watch notices; the signs of a vanished consumer make watch check.
func (t *tenant) consumeError(_ jetstream.ConsumeContext, err error) {
	if t.consumeLog.Allow() {
		t.log.Warn("consume error", zap.Error(err))
	}
	if errors.Is(err, jetstream.ErrNoHeartbeat) || errors.Is(err, nats.ErrNoResponders) {
		select {
		case t.suspect <- struct{}{}:
		default:
		}
	}
}

// shutdown drains the consumption and waits for the requests in flight,
// cancelling them with abort when the grace period ends.
func (t *tenant) shutdown(cc jetstream.ConsumeContext, p *pool, abort context.CancelFunc) {
	grace := time.NewTimer(t.w.cfg.ShutdownGrace)
	defer grace.Stop()
	if cc != nil {
		// Drain, not Stop: buffered messages still reach dispatch, which
		// hands them back to the server at once, instead of leaving them
		// to wait out their AckWait. Draining comes first so that no new
		// pull goes out to take a handed-back message again.
		cc.Drain()
	}
	p.close()
	if cc != nil {
		t.waitOrAbort(cc.Closed(), grace.C, abort)
	}
	idle := make(chan struct{})
	go func() {
		defer close(idle)
		p.wait()
	}()
	t.waitOrAbort(idle, grace.C, abort)
}

// waitOrAbort waits for done; if the grace period ends first it cancels
// the requests in flight and waits on.
func (t *tenant) waitOrAbort(done <-chan struct{}, grace <-chan time.Time,
	abort context.CancelFunc) {
	select {
	case <-done:
		return
	case <-grace:
		t.log.Warn("grace period over, cancelling requests in flight")
		abort()
	}
	<-done
}

// sleepReal waits d of real time; it reports false when ctx ended first.
func sleepReal(ctx context.Context, d time.Duration) bool {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// pool runs one tenant's requests, at most its size at a time. Its
// dispatch blocks while the pool is full, which stops Consume from
// pulling more: that is the back-pressure on the server.
type pool struct {
	work    context.Context // cancelled when the grace period ends
	slots   chan struct{}
	handle  func(ctx context.Context, msg jetstream.Msg)
	runs    tracker
	closing chan struct{} // closed when shutdown begins
	once    sync.Once
}

// newPool returns a pool of size slots running handle under work.
func newPool(work context.Context, size int,
	handle func(context.Context, jetstream.Msg)) *pool {
	return &pool{
		work: work, slots: make(chan struct{}, size), handle: handle,
		closing: make(chan struct{}),
	}
}

// dispatch is the Consume callback: it waits for a free slot and runs
// the message's handling in its own goroutine. A message that cannot
// start because shutdown has begun is handed back at once, so that it
// goes to another replica instead of starting new work here.
func (p *pool) dispatch(msg jetstream.Msg) {
	select {
	case p.slots <- struct{}{}:
	case <-p.closing:
		_ = msg.Nak()
		return
	}
	if p.isClosing() || !p.runs.begin() {
		<-p.slots
		_ = msg.Nak()
		return
	}
	go func() {
		defer p.runs.done()
		defer func() { <-p.slots }()
		p.handle(p.work, msg)
	}()
}

// close makes dispatch hand back every message it has not started.
func (p *pool) close() { p.once.Do(func() { close(p.closing) }) }

// isClosing reports whether close has been called.
func (p *pool) isClosing() bool {
	select {
	case <-p.closing:
		return true
	default:
		return false
	}
}

// wait stops the pool from starting handlers and waits for the running
// ones.
func (p *pool) wait() { p.runs.wait() }
