// Package okta is a client for the parts of the Okta Management API that
// okta-worker uses: create, read and update users, and list user types.
//
// A [Client] talks to one Okta org with one API token. Clients for
// different orgs share one *http.Client so connections are pooled. A
// non-2xx answer is returned as an [*Error]; the rate-limit headers of
// every response are reported to the [Observer] given with
// [WithObserver]. The package never logs.
package okta

import (
	"net/http"
	"time"

	"github.com/jonboulle/clockwork"
)

// DefaultTimeout bounds one HTTP exchange with Okta when the caller's
// *http.Client has no Timeout of its own.
const DefaultTimeout = 30 * time.Second

// Client calls the Okta Management API of one org. It is safe for
// concurrent use.
type Client struct {
	base     string // scheme://host, no trailing slash
	token    string
	http     *http.Client
	clock    clockwork.Clock
	observer Observer
}

// Option configures a [Client].
type Option interface{ apply(*Client) }

type optionFunc func(*Client)

func (f optionFunc) apply(c *Client) { f(c) }

// WithHTTPClient makes the client send its requests through hc, which
// should be shared by every Client of the process. A zero hc.Timeout is
// replaced by [DefaultTimeout] in a copy; hc itself is not modified.
// The default is a client of its own with DefaultTimeout.
func WithHTTPClient(hc *http.Client) Option { panic("unimplemented") }

// WithClock sets the clock used where Okta sends no Date header. The
// default is the real clock.
func WithClock(c clockwork.Clock) Option { panic("unimplemented") }

// WithObserver makes the client report the rate-limit state of every
// response it reads, 2xx or not. The default reports nowhere.
func WithObserver(o Observer) Option { panic("unimplemented") }

// NewClient returns a client for the org at baseURL (for example
// https://acme.okta.com) that authenticates with the SSWS token. Plain
// http is accepted only for loopback hosts. It returns an error wrapping
// [ErrInvalidConfig] for a bad URL or an empty token.
func NewClient(baseURL, token string, opts ...Option) (*Client, error) {
	panic("unimplemented")
}
