// Package okta is a client for the parts of the Okta Management API that
// okta-worker uses: create, read and update users, and list user types.
//
// A [Client] talks to one Okta org with one API token. Clients for
// different orgs share one *http.Client so connections are pooled. A
// non-2xx answer is returned as an [*Error]; the rate-limit headers of
// every response are reported to the [Observer] given with
// [WithObserver]. The client makes one HTTP exchange per step and never
// retries on its own: retries and backoff belong to the caller. A
// [Limiter] given with [WithLimiter] makes the client wait before each
// exchange so that the org's rate limits are kept. The package never
// logs.
package okta

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"
)

// DefaultTimeout bounds one HTTP exchange with Okta when the caller's
// *http.Client has no Timeout of its own.
const DefaultTimeout = 30 * time.Second

// userAgent identifies the worker to Okta, which shows it in the System
// Log next to each API call.
const userAgent = "okta-worker"

// Client calls the Okta Management API of one org. It is safe for
// concurrent use.
type Client struct {
	scheme   string // "https", or "http" for a loopback host
	host     string // host[:port] exactly as configured
	token    string
	http     *http.Client
	clock    clockwork.Clock
	observer Observer
	limiter  *Limiter // nil when none
}

// NewClient returns a client for the org at baseURL (for example
// https://acme.okta.com) that authenticates with the SSWS token.
//
// baseURL is a scheme and a host with an optional port and an optional
// trailing "/": no path, query, fragment or user information. Plain http
// is accepted only for loopback hosts (127.0.0.0/8, ::1 and localhost),
// which is where the simulator and tests listen. The token must be
// non-empty printable ASCII without spaces. Any other input gives an
// error wrapping [ErrInvalidConfig]; no error ever contains the token.
//
// The client never follows redirects: a 3xx answer is returned as an
// [*Error], so the token is only ever sent to the configured host.
func NewClient(baseURL, token string, opts ...Option) (*Client, error) {
	s := settings{clock: clockwork.NewRealClock(), observer: nopObserver{}}
	for _, o := range opts {
		o.apply(&s)
	}

	scheme, host, err := parseBaseURL(baseURL)
	if err != nil {
		return nil, err
	}
	if err := checkToken(token); err != nil {
		return nil, err
	}
	return &Client{
		scheme:   scheme,
		host:     host,
		token:    token,
		http:     httpClientFrom(s.http),
		clock:    s.clock,
		observer: s.observer,
		limiter:  s.limiter,
	}, nil
}

// String names the org the client calls. It exists so that printing a
// Client, even with %+v, cannot show its token.
func (c *Client) String() string { return "okta.Client(" + c.scheme + "://" + c.host + ")" }

// GoString is String, for %#v.
func (c *Client) GoString() string { return c.String() }

// httpClientFrom returns the copy of hc the Client sends through. The
// copy shares hc's Transport, so connection pooling is unaffected.
func httpClientFrom(hc *http.Client) *http.Client {
	var cp http.Client
	if hc != nil {
		cp = *hc
	}
	if cp.Timeout == 0 {
		cp.Timeout = DefaultTimeout
	}

	// Okta does not redirect API calls; a redirect comes from something
	// in between, and following it could carry the token to another host.
	cp.CheckRedirect = func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}
	return &cp
}

// parseBaseURL checks baseURL and returns its scheme and host. Its errors
// never quote the URL whole, since user information in it could be a
// secret.
func parseBaseURL(raw string) (scheme, host string, err error) {
	if raw == "" {
		return "", "", fmt.Errorf("%w: base URL is empty", ErrInvalidConfig)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", fmt.Errorf("%w: base URL does not parse", ErrInvalidConfig)
	}
	if err := checkURLParts(raw, u); err != nil {
		return "", "", err
	}

	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && isLoopback(u.Hostname()):
	case u.Scheme == "http":
		return "", "", fmt.Errorf("%w: base URL of host %s must use https "+
			"(plain http is accepted on loopback hosts only)", ErrInvalidConfig, u.Host)
	default:
		return "", "", fmt.Errorf("%w: base URL must use https", ErrInvalidConfig)
	}
	return u.Scheme, u.Host, nil
}

// checkURLParts rejects everything in a base URL beyond scheme, host and
// port, so that every request path is exactly the one this package builds.
func checkURLParts(raw string, u *url.URL) error {
	var problem string
	switch {
	case u.Opaque != "" || u.Host == "" || u.Hostname() == "":
		problem = "must be absolute, like https://acme.okta.com"
	case u.User != nil:
		problem = "must not carry user information"
	case strings.ContainsAny(raw, "?#"):
		problem = "must not have a query or fragment"
	case u.Path != "" && u.Path != "/":
		problem = "must not have a path"
	default:
		return nil
	}
	return fmt.Errorf("%w: base URL %s", ErrInvalidConfig, problem)
}

// isLoopback reports whether host (without port or brackets) names the
// local machine: localhost, 127.0.0.0/8 or ::1.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkToken rejects tokens that cannot travel in an Authorization
// header. The error names the problem, never the token.
func checkToken(token string) error {
	if token == "" {
		return fmt.Errorf("%w: API token is empty", ErrInvalidConfig)
	}
	for i := 0; i < len(token); i++ {
		if token[i] <= ' ' || token[i] > '~' {
			return fmt.Errorf("%w: API token contains a character that is "+
				"not printable ASCII", ErrInvalidConfig)
		}
	}
	return nil
}
