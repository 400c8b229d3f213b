package okta

import (
	"net/http"

	"github.com/jonboulle/clockwork"
)

// Option configures a [Client].
type Option interface{ apply(*settings) }

// settings collects the options before NewClient validates them and
// builds the Client, so that options never see a half-built client.
type settings struct {
	http     *http.Client
	clock    clockwork.Clock
	observer Observer
	limiter  *Limiter
}

type optionFunc func(*settings)

func (f optionFunc) apply(s *settings) { f(s) }

// WithHTTPClient makes the client send its requests through hc, which
// should be shared by every Client of the process so that connections
// are pooled. The Client uses a copy of hc that shares its Transport: a
// zero hc.Timeout becomes [DefaultTimeout] in the copy, and the copy
// never follows redirects (see [NewClient]); hc itself is not modified.
// A nil hc is ignored. The default is a client of its own with
// DefaultTimeout and http.DefaultTransport.
func WithHTTPClient(hc *http.Client) Option {
	return optionFunc(func(s *settings) {
		if hc != nil {
			s.http = hc
		}
	})
}

// WithClock sets the clock used where Okta sends no Date header: the
// arrival time of such a response becomes its [RateLimit.Date]. The
// default is the real clock; a nil c is ignored.
func WithClock(c clockwork.Clock) Option {
	return optionFunc(func(s *settings) {
		if c != nil {
			s.clock = c
		}
	})
}

// WithObserver makes the client report the rate-limit state of every
// response it reads, 2xx or not, even when the response carried no
// rate-limit headers (then [RateLimit.OK] is false). The default, and a
// nil o, report nowhere.
func WithObserver(o Observer) Option {
	return optionFunc(func(s *settings) {
		if o != nil {
			s.observer = o
		}
	})
}

// WithLimiter makes the client wait on l before every exchange with
// Okta and report every outcome to it (each answer's status and
// rate-limit headers, 429s and other errors included, and requests that
// got no answer), with the local instants the request left and the
// answer came back. Every Client of one org should share one Limiter,
// since the org's buckets are shared. A wait ends early with the
// request's context; the error then wraps the context's error. The
// default, and a nil l, never wait.
func WithLimiter(l *Limiter) Option {
	return optionFunc(func(s *settings) {
		if l != nil {
			s.limiter = l
		}
	})
}

// nopObserver is the default Observer; it drops every report.
type nopObserver struct{}

func (nopObserver) ObserveRateLimit(Bucket, RateLimit) {}
