// Package worker consumes okta-worker's action requests from NATS
// JetStream, performs them against each tenant's Okta org and publishes
// exactly one reply per request.
//
// Every tenant has its own durable pull consumer on the requests stream,
// so one tenant can be paused on the server (after an Okta 429) while the
// others keep flowing, and every replica of the worker shares the same
// consumers.
package worker

import (
	"context"
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
}

// Defaults of [Config].
const (
	DefaultRequestsStream = "OKTA_REQUESTS"
	DefaultRepliesStream  = "OKTA_REPLIES"
	DefaultDeadStream     = "OKTA_DEAD"
	DefaultConsumerPrefix = "okta-worker-"
	DefaultRepliesMaxAge  = 7 * 24 * time.Hour
	DefaultAckWait        = 30 * time.Second
	DefaultConcurrency    = 4
	DefaultMaxPause       = 5 * time.Minute
	DefaultMinPause       = time.Second
	DefaultFinishTimeout  = 5 * time.Second
)

// Config holds the worker's settings. Every zero field takes its default.
type Config struct {
	Subjects       messages.Subjects
	RequestsStream string        // "" means DefaultRequestsStream
	RepliesStream  string        // "" means DefaultRepliesStream
	DeadStream     string        // "" means DefaultDeadStream
	ConsumerPrefix string        // durable name is prefix + tenant
	RepliesMaxAge  time.Duration // 0 means DefaultRepliesMaxAge
	Replicas       int           // stream replicas; 0 means 1
	AckWait        time.Duration // 0 means DefaultAckWait
	Concurrency    int           // in-flight requests per tenant; 0 means DefaultConcurrency
	MaxPause       time.Duration // cap on a rate-limit pause; 0 means DefaultMaxPause
	MinPause       time.Duration // floor of a pause with no usable reset; 0 means DefaultMinPause
	FinishTimeout  time.Duration // bound on publishing a reply and acking; 0 means DefaultFinishTimeout
}

// Option configures a [Worker].
type Option interface{ apply(*Worker) }

// WithLogger sets the logger; the default discards.
func WithLogger(l *zap.Logger) Option { panic("unimplemented") }

// WithClock sets the clock that times rate-limit pauses; the default is
// the real clock.
func WithClock(c clockwork.Clock) Option { panic("unimplemented") }

// Worker processes the requests of a set of tenants.
type Worker struct{}

// New validates the configuration and returns a worker. It does not
// touch NATS; [Worker.Run] does.
func New(js jetstream.JetStream, tenants []Tenant, cfg Config, opts ...Option) (*Worker, error) {
	panic("unimplemented")
}

// Run creates or updates the streams and the tenants' consumers, then
// processes requests until ctx is cancelled. On cancellation it stops
// pulling, waits up to FinishTimeout for requests in flight, and returns
// nil; it returns an error only when start-up fails.
func (w *Worker) Run(ctx context.Context) error { panic("unimplemented") }
