// Package worker consumes okta-worker's action requests from NATS
// JetStream, performs them against each tenant's Okta org and publishes
// exactly one reply per request.
//
// Every tenant has its own durable pull consumer on the requests stream,
// so one tenant can be paused on the server (after an Okta 429) while the
// others keep flowing, and every replica of the worker shares the same
// consumers.
//
// Two clocks are at work. The clock given with [WithClock] times
// everything that concerns Okta: rate-limit pauses, the backoff between
// retried calls, and the timestamps and durations of replies. Deadlines
// that the NATS server measures on its own clock (AckWait keep-alives,
// the bounds on finishing writes, the shutdown grace period and the
// backoff between restarts of a consumption) run on real time, because a
// fake clock cannot hold the server's deadlines back.
package worker

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/okta-worker/okta-worker/messages"
	"github.com/okta-worker/okta-worker/okta"
)

// Okta is what the worker needs of a tenant's Okta client; *okta.Client
// implements it.
type Okta interface {
	CreateUser(ctx context.Context, u okta.NewUser) (*okta.User, error)
	GetUser(ctx context.Context, ref string) (*okta.User, error)
	UpdateUser(ctx context.Context, ref string, ch okta.UserChanges) (*okta.User, error)
	ListUserTypes(ctx context.Context) ([]okta.UserType, error)
}

// Tenant is one configured Okta org.
type Tenant struct {
	Name string // the subject token, see messages.ValidTenant
	Okta Okta

	// Limiter, when set, is the limiter the tenant's Okta client waits on
	// (see okta.WithLimiter). The worker then asks it when the tenant may
	// send again after a 429, so that the pause of the consumer on the
	// server and the client's own waits agree, and logs the holds it
	// reports. nil keeps the worker's own reading of a 429's headers.
	Limiter *okta.Limiter
}

// Defaults of [Config].
const (
	DefaultRequestsStream     = "OKTA_REQUESTS"
	DefaultRepliesStream      = "OKTA_REPLIES"
	DefaultDeadStream         = "OKTA_DEAD"
	DefaultConsumerPrefix     = "okta-worker-"
	DefaultQueueGroup         = "okta-worker"
	DefaultRepliesMaxAge      = 7 * 24 * time.Hour
	DefaultRepliesDuplicates  = 5 * time.Minute
	DefaultAckWait            = 30 * time.Second
	DefaultConcurrency        = 4
	DefaultMaxPause           = 5 * time.Minute
	DefaultMinPause           = time.Second
	DefaultMaxRateLimitPauses = 3
	DefaultMaxAttempts        = 4
	DefaultRetryInitial       = 250 * time.Millisecond
	DefaultRetryMax           = 5 * time.Second
	DefaultFinishTimeout      = 5 * time.Second
	DefaultNakDelay           = 5 * time.Second
	DefaultShutdownGrace      = 10 * time.Second
)

// ErrInvalidConfig is wrapped by the errors [New] returns for settings
// the worker cannot run with.
var ErrInvalidConfig = errors.New("worker: invalid configuration")

// Config holds the worker's settings. Every zero field takes its default.
type Config struct {
	Subjects       messages.Subjects
	RequestsStream string        // "" means DefaultRequestsStream
	RepliesStream  string        // "" means DefaultRepliesStream
	DeadStream     string        // "" means DefaultDeadStream
	ConsumerPrefix string        // durable name is prefix + tenant; "" means DefaultConsumerPrefix
	QueueGroup     string        // unknown-tenant queue group; "" means DefaultQueueGroup
	RepliesMaxAge  time.Duration // 0 means DefaultRepliesMaxAge
	Replicas       int           // stream replicas; 0 means 1

	// RepliesDuplicates is the replies stream's duplicate window, within
	// which a second reply to the same request is dropped; 0 means
	// DefaultRepliesDuplicates. It is capped at RepliesMaxAge.
	RepliesDuplicates time.Duration

	AckWait     time.Duration // 0 means DefaultAckWait
	Concurrency int           // in-flight requests per tenant; 0 means DefaultConcurrency

	// MaxAckPending caps the deliveries of one tenant that all replicas
	// together hold unacknowledged; 0 means 2 × Concurrency, room for
	// one replica's running and prefetched requests.
	MaxAckPending int

	// KeepAlive is how often a request in progress tells the server it
	// is still being worked on; 0 means AckWait/3, a negative value
	// disables keep-alives (tests use it to force redeliveries).
	KeepAlive time.Duration

	MaxPause time.Duration // cap on a rate-limit pause; 0 means DefaultMaxPause
	MinPause time.Duration // floor of a pause with no usable reset; 0 means DefaultMinPause

	// MaxRateLimitPauses is how many times one request may wait out an
	// Okta 429 before it is answered rate_limited; 0 means
	// DefaultMaxRateLimitPauses.
	MaxRateLimitPauses int

	// MaxAttempts bounds the Okta calls for one request between two
	// rate-limit pauses when Okta fails transiently (5xx, transport
	// errors, timeouts, 409 E0000112); 0 means DefaultMaxAttempts.
	MaxAttempts int

	// RetryInitial and RetryMax bound the jittered exponential backoff
	// between those attempts; 0 means DefaultRetryInitial and
	// DefaultRetryMax.
	RetryInitial time.Duration
	RetryMax     time.Duration

	// FinishTimeout bounds publishing a reply and acknowledging the
	// request; 0 means DefaultFinishTimeout.
	FinishTimeout time.Duration

	// NakDelay is how long a request whose reply could not be published
	// waits before it is delivered again; 0 means DefaultNakDelay.
	NakDelay time.Duration

	// ShutdownGrace is how long requests in flight may run on after Run's
	// context is cancelled before they are cancelled and handed back to
	// JetStream; 0 means DefaultShutdownGrace.
	ShutdownGrace time.Duration

	// Reliability settings: idempotency, retry bounds and dead letters.
	Reliability
}

// Option configures a [Worker].
type Option interface{ apply(*Worker) }

type optionFunc func(*Worker)

func (f optionFunc) apply(w *Worker) { f(w) }

// WithLogger sets the logger; the default, and nil, discard.
func WithLogger(l *zap.Logger) Option {
	return optionFunc(func(w *Worker) {
		if l != nil {
			w.log = l
		}
	})
}

// WithClock sets the clock that times rate-limit pauses, retry backoff
// and reply timestamps; the default, and nil, are the real clock. The
// clock is assumed to track wall time, because a pause deadline computed
// on it is also sent to the NATS server (a fake clock starts at wall
// time, which is close enough).
func WithClock(c clockwork.Clock) Option {
	return optionFunc(func(w *Worker) {
		if c != nil {
			w.clock = c
		}
	})
}

// Worker processes the requests of a set of tenants. Its methods are
// safe for concurrent use.
type Worker struct {
	js      jetstream.JetStream
	cfg     Config
	log     *zap.Logger
	clock   clockwork.Clock
	tenants []*tenant
	known   map[string]bool

	started   atomic.Bool
	closeOnce sync.Once
	closing   chan struct{} // closed by Close
	done      chan struct{} // closed when Run returns
	ready     chan struct{} // closed when Run has started consuming

	outcomes atomic.Pointer[jetstream.KeyValue] // the idempotency bucket, once open
	health   health
}

// New validates the configuration and returns a worker. It does not
// touch NATS; [Worker.Run] does. Invalid settings give an error wrapping
// [ErrInvalidConfig].
func New(js jetstream.JetStream, tenants []Tenant, cfg Config, opts ...Option) (*Worker, error) {
	if js == nil {
		return nil, fmt.Errorf("%w: no JetStream context", ErrInvalidConfig)
	}
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	w := &Worker{
		js:      js,
		cfg:     cfg,
		log:     zap.NewNop(),
		clock:   clockwork.NewRealClock(),
		known:   make(map[string]bool, len(tenants)),
		closing: make(chan struct{}),
		done:    make(chan struct{}),
		ready:   make(chan struct{}),
	}
	for _, o := range opts {
		o.apply(w)
	}
	if err := w.addTenants(tenants); err != nil {
		return nil, err
	}
	return w, nil
}

// addTenants checks the tenants and builds their runtime state.
func (w *Worker) addTenants(tenants []Tenant) error {
	if len(tenants) == 0 {
		return fmt.Errorf("%w: no tenants", ErrInvalidConfig)
	}
	for _, tc := range tenants {
		if !messages.ValidTenant(tc.Name) {
			return fmt.Errorf("%w: tenant name %q is not [a-z0-9][a-z0-9-]{0,62}",
				ErrInvalidConfig, tc.Name)
		}
		if tc.Okta == nil {
			return fmt.Errorf("%w: tenant %q has no Okta client", ErrInvalidConfig, tc.Name)
		}
		if w.known[tc.Name] {
			return fmt.Errorf("%w: tenant %q is configured twice", ErrInvalidConfig, tc.Name)
		}
		w.known[tc.Name] = true
		w.tenants = append(w.tenants, newTenant(w, tc))
	}
	return nil
}

// Run creates or updates the streams and the tenants' consumers, then
// processes requests until ctx is cancelled or [Worker.Close] is called.
// On cancellation it stops pulling (draining every consumption), lets
// requests in flight finish for up to ShutdownGrace, cancels the rest
// (they are handed back to JetStream unacknowledged, so they are
// delivered again), and returns nil. It returns an error only when
// start-up fails, or when it is called a second time.
func (w *Worker) Run(ctx context.Context) error {
	if !w.started.CompareAndSwap(false, true) {
		return errors.New("worker: Run called more than once")
	}
	defer close(w.done)
	ctx, cancel := context.WithCancel(ctx)
	var closer sync.WaitGroup
	closer.Go(func() {
		select {
		case <-w.closing:
		case <-ctx.Done():
		}
		cancel()
	})
	// Deferred calls run last first: cancel, then wait for the closer.
	defer closer.Wait()
	defer cancel()

	unknown, err := w.start(ctx)
	if err != nil {
		if ctx.Err() != nil {
			// Shutdown was asked for before anything was consumed.
			return nil
		}
		return err
	}
	var wg, consuming sync.WaitGroup
	consuming.Add(len(w.tenants))
	for _, t := range w.tenants {
		wg.Go(func() { t.run(ctx, consuming.Done) })
	}
	wg.Go(func() { w.runAdvisories(ctx) })
	consuming.Wait()
	close(w.ready)
	<-ctx.Done()

	// Tenants stop first so that no reply is published after the
	// unknown-tenant subscription, the last user of the connection, ends.
	wg.Wait()
	unknown.stop()
	w.log.Info("worker stopped")
	return nil
}

// start creates the streams, the consumers and the unknown-tenant
// subscription.
func (w *Worker) start(ctx context.Context) (*unknownTenants, error) {
	if err := w.ensureStreams(ctx); err != nil {
		return nil, err
	}
	if err := w.ensureOutcomes(ctx); err != nil {
		return nil, err
	}
	if _, err := w.ensureAdvisories(ctx); err != nil {
		return nil, err
	}
	for _, t := range w.tenants {
		if _, err := t.ensureConsumer(ctx); err != nil {
			return nil, err
		}
	}
	unknown, err := w.listenUnknown(ctx)
	if err != nil {
		return nil, err
	}
	w.log.Info("worker started", zap.Int(keyTenants, len(w.tenants)))
	return unknown, nil
}

// Close stops a running [Worker.Run] as if its context had been
// cancelled and waits until Run has returned. It is idempotent, safe to
// call concurrently, and a Run started after Close returns at once.
func (w *Worker) Close() {
	w.closeOnce.Do(func() { close(w.closing) })
	if w.started.Load() {
		<-w.done
	}
}

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() Config {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.RequestsStream, DefaultRequestsStream)
	def(&c.RepliesStream, DefaultRepliesStream)
	def(&c.DeadStream, DefaultDeadStream)
	def(&c.ConsumerPrefix, DefaultConsumerPrefix)
	def(&c.QueueGroup, DefaultQueueGroup)
	c.durationDefaults()
	c.countDefaults()
	c.Reliability = c.Reliability.withDefaults()
	return c
}

// durationDefaults sets the zero durations of c.
func (c *Config) durationDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.RepliesMaxAge, DefaultRepliesMaxAge)
	def(&c.RepliesDuplicates, DefaultRepliesDuplicates)
	c.RepliesDuplicates = min(c.RepliesDuplicates, c.RepliesMaxAge)
	def(&c.AckWait, DefaultAckWait)
	def(&c.KeepAlive, c.AckWait/3)
	def(&c.MaxPause, DefaultMaxPause)
	def(&c.MinPause, DefaultMinPause)
	def(&c.RetryInitial, DefaultRetryInitial)
	def(&c.RetryMax, DefaultRetryMax)
	def(&c.FinishTimeout, DefaultFinishTimeout)
	def(&c.NakDelay, DefaultNakDelay)
	def(&c.ShutdownGrace, DefaultShutdownGrace)
}

// countDefaults sets the zero counts of c.
func (c *Config) countDefaults() {
	def := func(n *int, v int) {
		if *n == 0 {
			*n = v
		}
	}
	def(&c.Replicas, 1)
	def(&c.Concurrency, DefaultConcurrency)
	def(&c.MaxAckPending, 2*c.Concurrency)
	def(&c.MaxRateLimitPauses, DefaultMaxRateLimitPauses)
	def(&c.MaxAttempts, DefaultMaxAttempts)
}

// validate checks a Config whose defaults are applied.
func (c Config) validate() error {
	var problems []string
	check := func(bad bool, what string) {
		if bad {
			problems = append(problems, what)
		}
	}
	check(c.Replicas < 1 || c.Replicas > 5, "Replicas must be 1 to 5")
	check(c.Concurrency < 1, "Concurrency must be positive")
	check(c.MaxAckPending < c.Concurrency, "MaxAckPending must be at least Concurrency")
	check(c.MaxRateLimitPauses < 0, "MaxRateLimitPauses must not be negative")
	check(c.MaxAttempts < 1, "MaxAttempts must be positive")
	check(c.MinPause <= 0 || c.MaxPause < c.MinPause, "need 0 < MinPause <= MaxPause")
	check(c.RetryInitial <= 0 || c.RetryMax < c.RetryInitial,
		"need 0 < RetryInitial <= RetryMax")
	check(c.RepliesMaxAge <= 0 || c.RepliesDuplicates <= 0,
		"RepliesMaxAge and RepliesDuplicates must be positive")
	check(c.AckWait <= 0 || c.FinishTimeout <= 0 || c.NakDelay <= 0 || c.ShutdownGrace <= 0,
		"AckWait, FinishTimeout, NakDelay and ShutdownGrace must be positive")
	problems = append(problems, c.Reliability.problems()...)
	for _, n := range []string{c.RequestsStream, c.RepliesStream, c.DeadStream} {
		check(!validName(n), fmt.Sprintf("stream name %q is not valid", n))
	}
	check(!validName(c.ConsumerPrefix+"x"),
		fmt.Sprintf("consumer prefix %q is not valid", c.ConsumerPrefix))
	check(!validName(c.QueueGroup), fmt.Sprintf("queue group %q is not valid", c.QueueGroup))
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalidConfig, joinProblems(problems))
	}
	return nil
}
