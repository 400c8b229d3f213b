// Package oktasim is an HTTP simulator of one Okta org, for tests, the
// demo and manual runs. It serves the users and user-types endpoints of
// the Management API with Okta's status codes, error bodies and headers
// (Date, X-Okta-Request-Id, ETag, X-Rate-Limit-*), per-bucket rate
// limits on an injectable clock, and configurable latency and faults.
package oktasim

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/jonboulle/clockwork"
)

// Default limits per window, those of a small org.
const (
	DefaultWindow          = time.Minute
	DefaultUsersLimit      = 600  // POST /users, GET /users?search=
	DefaultUserByIDLimit   = 2000 // GET /users/{id or login}
	DefaultUserUpdateLimit = 600  // POST, PUT /users/{id}
	DefaultGenericLimit    = 1200 // /api/v1 (user types)
)

// Limits are the per-window ceilings of the simulated buckets. A zero
// field takes its default; a negative one disables that bucket's limit.
type Limits struct {
	Window     time.Duration
	Users      int
	UserByID   int
	UserUpdate int
	Generic    int
}

// Faults inject failures into a fraction of requests, chosen with a
// seeded random source so runs repeat. Zero values inject nothing.
type Faults struct {
	Rate5xx      float64 // answer 500 E0000009 or 503 E0000010
	RateTimeout  float64 // hold the request TimeoutDelay, then 504
	TimeoutDelay time.Duration
	Seed         int64
}

// Server is a simulated Okta org. It is an http.Handler and safe for
// concurrent use.
type Server struct{}

// Option configures a [Server].
type Option interface{ apply(*Server) }

// WithToken makes the server accept only "SSWS <token>"; by default any
// non-empty SSWS token is accepted.
func WithToken(token string) Option { panic("unimplemented") }

// WithClock sets the org's clock, which stamps Date, created and the
// rate-limit windows. The default is the real clock.
func WithClock(c clockwork.Clock) Option { panic("unimplemented") }

// WithLimits sets the rate limits.
func WithLimits(l Limits) Option { panic("unimplemented") }

// WithLatency delays every answer by d, measured on the real clock.
func WithLatency(d time.Duration) Option { panic("unimplemented") }

// WithFaults injects failures.
func WithFaults(f Faults) Option { panic("unimplemented") }

// New returns a simulated org holding the default user type only.
func New(opts ...Option) *Server { panic("unimplemented") }

// ServeHTTP serves the Okta API under /api/v1.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { panic("unimplemented") }

// AddUserType adds a user type and returns its id.
func (s *Server) AddUserType(name, displayName, description string) string {
	panic("unimplemented")
}

// AddUser stores a user as if created with activate=false, bypassing
// rate limits and faults, and returns its id. It is for seeding tests.
func (s *Server) AddUser(profile map[string]any) string { panic("unimplemented") }

// Users returns a copy of every stored user as Okta would serve it.
func (s *Server) Users() []json.RawMessage { panic("unimplemented") }

// Requests returns how many requests reached each bucket, 429s included.
func (s *Server) Requests() map[string]int { panic("unimplemented") }
