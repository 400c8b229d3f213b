// Package oktasim is an HTTP simulator of one Okta org, for tests, the
// demo and manual runs. It serves the users and user-types endpoints of
// the Management API with Okta's status codes, error bodies and headers
// (Date, X-Okta-Request-Id, ETag, X-Rate-Limit-*), per-bucket rate
// limits on an injectable clock, and configurable latency and faults.
//
// What it serves, all under /api/v1 and answered as JSON:
//
//   - POST /users (create), GET /users (search, filter, q or list),
//     GET /users/{id or login}, PUT /users/{id} (full replace),
//     POST /users/{id} (partial update), DELETE /users/{id}
//     (deactivate, then delete);
//   - GET /meta/types/user and GET /meta/types/user/{typeId}.
//
// Where Okta is silent, or where the simulator is simpler than an org,
// it chooses as follows:
//
//   - A create answers 200 with the user. Its status is STAGED with
//     activate=false, ACTIVE when activated with a password, and
//     PROVISIONED when activated without one.
//   - The profile schema is open: any custom attribute is accepted.
//     Logins are unique ignoring case but not diacritics; see
//     [UserTypeSpec] for the attributes a type requires and
//     [WithStrictLogins] for Okta's default login pattern.
//   - An unknown type.id in a create or a replace is 400 E0000001 on
//     the "type" field (the spec documents no 404 for createUser).
//   - GET /users/me answers 404: the simulator has no token owner. A
//     login shortname (the part before "@") finds its user when it is
//     unambiguous. A path with segments after /users/{id}, which is
//     what a login containing "/" produces, answers 405 E0000022.
//   - An If-Match naming another version of the user answers 412 with
//     code E0000001 (Okta documents neither); while a user is marked
//     as activating ([Server.SetActivating]) updates answer 409
//     E0000112.
//   - Search results are visible at once (Okta's index lags), in
//     creation order; sortBy and sortOrder are ignored; the provider,
//     nextLogin and strict parameters are ignored.
//   - Lifecycle operations, groups and user-type writes are not
//     served; group ids given at create are only recorded
//     ([Server.GroupIDs]). The per-token share of a bucket is not
//     simulated: one token gets the whole limit.
//
// [New] lists the steps a request goes through; [Faults] and [Fault]
// describe the failures the simulator can inject.
package oktasim

import (
	"crypto/subtle"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
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

// The rate-limit buckets, named as Okta names them. They are the keys
// of [Server.Requests].
const (
	BucketUsers      = "/api/v1/users"         // POST create, GET list and search
	BucketUserByID   = "/api/v1/users/{id:.+}" // GET by id or login
	BucketUserUpdate = "/api/v1/users/{id}"    // POST, PUT, DELETE by id
	BucketGeneric    = "/api/v1"               // user types and everything else
)

// Limits are the per-window ceilings of the simulated buckets. A zero
// field takes its default; a negative one disables that bucket's limit,
// and its responses then carry no X-Rate-Limit headers at all.
type Limits struct {
	Window     time.Duration
	Users      int
	UserByID   int
	UserUpdate int
	Generic    int

	// Concurrent is the most requests the org holds at once (a request
	// is held while its latency or timeout fault runs); one more is
	// answered 429 with X-Rate-Limit-Limit and -Remaining 0. Zero
	// disables the concurrency limit.
	Concurrent int
}

// Faults inject failures into a fraction of requests, chosen with a
// seeded random source so runs repeat. Zero values inject nothing.
// Faults are drawn after authentication and rate limiting, so a 401 or
// a 429 is never replaced by a fault.
type Faults struct {
	Rate5xx     float64 // answer 500 E0000009 or 503 E0000010, half each
	RateTimeout float64 // hold the request TimeoutDelay, then 504

	// TimeoutDelay is how long, on the real clock, a timeout fault
	// holds its request. Zero holds it until the client gives up or
	// [Server.Close] is called.
	TimeoutDelay time.Duration

	Seed int64 // seeds the draws; equal seeds give equal sequences

	// TimeoutAfterEffect makes a random timeout fault happen after the
	// request took effect (the user was created or updated, and only
	// the answer is lost) instead of before it.
	TimeoutAfterEffect bool

	// TimeoutClose makes a timed-out request end by closing the
	// connection without an answer instead of answering 504.
	TimeoutClose bool
}

// Server is a simulated Okta org. It is an http.Handler and safe for
// concurrent use. Call [Server.Close] before closing the HTTP server
// that serves it, so requests held by faults are released.
type Server struct {
	token        string
	clock        clockwork.Clock
	limits       Limits
	latency      time.Duration
	faults       Faults
	strictLogins bool

	offset    atomic.Int64 // sim clock offset in nanoseconds
	inFlight  atomic.Int64
	lastBase  atomic.Value // string: scheme://host of the latest request
	closed    chan struct{}
	closeOnce sync.Once

	// mu guards the org's data, the rate-limit windows, the request
	// counters, the fault source and the injected faults.
	mu          sync.Mutex
	users       map[string]*user  // by id
	order       []string          // user ids in creation order
	logins      map[string]string // folded login to user id
	types       map[string]*userType
	typeOrder   []string
	defaultType string
	windows     map[string]*window
	requests    map[string]int
	rng         *rand.Rand
	injected    []Injection
}

// Option configures a [Server].
type Option interface{ apply(*Server) }

type optionFunc func(*Server)

func (f optionFunc) apply(s *Server) { f(s) }

// WithToken makes the server accept only "SSWS <token>"; by default any
// non-empty SSWS token is accepted.
func WithToken(token string) Option {
	return optionFunc(func(s *Server) { s.token = token })
}

// WithClock sets the org's clock, which stamps Date, created and the
// rate-limit windows. The default is the real clock.
func WithClock(c clockwork.Clock) Option {
	return optionFunc(func(s *Server) {
		if c != nil {
			s.clock = c
		}
	})
}

// WithClockOffset runs the org's clock d ahead of the clock given with
// [WithClock] (behind it when d is negative), as an org whose clock
// disagrees with the worker's. [Server.SetClockOffset] changes it later.
func WithClockOffset(d time.Duration) Option {
	return optionFunc(func(s *Server) { s.offset.Store(int64(d)) })
}

// WithLimits sets the rate limits.
func WithLimits(l Limits) Option {
	return optionFunc(func(s *Server) { s.limits = l })
}

// WithLatency delays every answer by d, measured on the real clock.
func WithLatency(d time.Duration) Option {
	return optionFunc(func(s *Server) { s.latency = d })
}

// WithFaults injects failures.
func WithFaults(f Faults) Option {
	return optionFunc(func(s *Server) { s.faults = f })
}

// WithStrictLogins makes logins follow Okta's default login pattern: an
// email address of 5 to 100 characters. Without it the simulator is an
// org whose login pattern accepts any string of at most 100
// characters, so tests can create logins such as "a/b".
func WithStrictLogins() Option {
	return optionFunc(func(s *Server) { s.strictLogins = true })
}

// New returns a simulated org holding the default user type only.
//
// A request goes through these steps, in order: the concurrency limit
// (429, not counted against a bucket), the latency, the bucket's rate
// limit (429 E0000047), authentication (401 E0000011), an injected or
// random fault, and finally the endpoint.
func New(opts ...Option) *Server {
	s := &Server{
		clock:    clockwork.NewRealClock(),
		closed:   make(chan struct{}),
		users:    make(map[string]*user),
		logins:   make(map[string]string),
		types:    make(map[string]*userType),
		windows:  make(map[string]*window),
		requests: make(map[string]int),
	}
	for _, o := range opts {
		o.apply(s)
	}
	s.limits = s.limits.withDefaults()
	seed := uint64(s.faults.Seed)
	s.rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	s.defaultType = s.addType(UserTypeSpec{
		Name:        "user",
		DisplayName: "User",
		Description: "Okta user profile template with default permission settings",
		Required:    []string{"firstName", "lastName"},
	}, true)
	return s
}

// Close releases every request held by a latency or timeout fault and
// makes later ones skip their hold. It is idempotent.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.closed) })
}

// SetClockOffset moves the org's clock to d ahead of the injected clock
// (behind it when d is negative).
func (s *Server) SetClockOffset(d time.Duration) { s.offset.Store(int64(d)) }

// Now returns the org's current time: the injected clock plus the
// offset, in UTC.
func (s *Server) Now() time.Time {
	return s.clock.Now().Add(time.Duration(s.offset.Load())).UTC()
}

// InFlight returns how many requests the org is handling right now.
func (s *Server) InFlight() int { return int(s.inFlight.Load()) }

// Requests returns how many requests reached each bucket, 429s included.
func (s *Server) Requests() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.requests))
	for k, v := range s.requests {
		out[k] = v
	}
	return out
}

// exchange is one request in flight and what its answer carries besides
// the body.
type exchange struct {
	w      http.ResponseWriter
	r      *http.Request
	reqID  string
	now    time.Time // org time when the request was admitted
	rate   rateState
	route  route
	header http.Header // extra headers for the answer, such as ETag
}

// ServeHTTP serves the Okta API under /api/v1.
//
// Paths outside the routes listed in the package comment answer 404
// E0000008; a known path with a method it does not serve answers 405
// E0000022, and so does a path with segments after /users/{id}, which
// is what Okta answers for a login containing "/". Bodies that are not
// JSON objects answer 400 E0000003.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ex := &exchange{w: w, r: r, reqID: newRequestID(), route: routeOf(r)}
	s.rememberBase(r)
	s.count(ex.route.bucket)

	if !s.acquire() {
		ex.now = s.Now()
		ex.rate = concurrencyState(ex.now)
		s.writeError(ex, errConcurrency())
		return
	}
	defer s.release()

	if !s.pause(r.Context(), s.latency) {
		return
	}
	ex.now = s.Now()
	if !s.admit(ex) || !s.authorized(ex) {
		return
	}
	s.serveWithFault(ex, s.drawFault(r))
}

// authorized checks the SSWS token and answers 401 when it is wrong.
func (s *Server) authorized(ex *exchange) bool {
	auth := ex.r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(auth, "SSWS ")
	token = strings.TrimSpace(token)
	switch {
	case !ok || token == "":
		ok = false
	case s.token != "":
		ok = subtle.ConstantTimeCompare([]byte(token), []byte(s.token)) == 1
	}
	if !ok {
		s.writeError(ex, errInvalidToken())
	}
	return ok
}

// rememberBase records the scheme and host the latest request used, so
// links in users read outside a request point somewhere sensible.
func (s *Server) rememberBase(r *http.Request) {
	s.lastBase.Store(baseURL(r))
}

// base returns the scheme and host for links when no request is at
// hand.
func (s *Server) base() string {
	if b, ok := s.lastBase.Load().(string); ok {
		return b
	}
	return "http://localhost"
}

// baseURL returns scheme://host of a request, which links are built on.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// stamp sets the headers every answer carries.
func (s *Server) stamp(ex *exchange) {
	h := ex.w.Header()
	for k, v := range ex.header {
		h[k] = v
	}
	h.Set("Date", ex.now.Format(http.TimeFormat))
	h.Set("X-Okta-Request-Id", ex.reqID)
	ex.rate.set(h)
}

// writeJSON answers status with v encoded as Okta encodes JSON: HTML
// characters are left as they are.
func (s *Server) writeJSON(ex *exchange, status int, v any) {
	body, err := encodeJSON(v)
	if err != nil {
		// Every value written is built by this package from valid JSON,
		// so this is a bug; answer like Okta answers its own bugs.
		s.writeError(ex, errInternal())
		return
	}
	s.stamp(ex)
	ex.w.Header().Set("Content-Type", "application/json")
	ex.w.WriteHeader(status)
	_, _ = ex.w.Write(body)
}

// writeNoContent answers 204 with the usual headers.
func (s *Server) writeNoContent(ex *exchange) {
	s.stamp(ex)
	ex.w.WriteHeader(http.StatusNoContent)
}

// encodeJSON marshals v without escaping <, > and &, and without the
// trailing newline of json.Encoder.
func encodeJSON(v any) ([]byte, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return []byte(strings.TrimSuffix(b.String(), "\n")), nil
}
