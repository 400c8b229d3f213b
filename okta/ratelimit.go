package okta

import (
	"net/http"
	"time"
)

// Bucket names the Okta rate-limit bucket a request counts against.
type Bucket string

// The buckets of the endpoints this client calls. Create and search
// share one bucket; reads and writes by id have their own; user types
// count against the generic /api/v1 bucket.
const (
	BucketUsers      Bucket = "/api/v1/users"         // POST, GET ?search=
	BucketUserByID   Bucket = "/api/v1/users/{id:.+}" // GET by id or login
	BucketUserUpdate Bucket = "/api/v1/users/{id}"    // POST, PUT by id
	BucketGeneric    Bucket = "/api/v1"               // everything else
)

// BucketFor returns the bucket of a request by method and path (the
// path as sent, starting with /api/v1).
func BucketFor(method, path string) Bucket { panic("unimplemented") }

// RateLimit is the rate-limit state one Okta response reported.
type RateLimit struct {
	// Limit, Remaining and Reset are X-Rate-Limit-Limit, -Remaining and
	// -Reset. Limit and Remaining are both 0 on a concurrency 429.
	Limit     int
	Remaining int
	Reset     time.Time // on Okta's clock

	// Date is the response's Date header, Okta's clock when it answered.
	// It is the zero time when the header is missing or unparseable.
	Date time.Time

	// OK reports whether the three X-Rate-Limit headers were present and
	// parsed; when false, the numeric fields are zero.
	OK bool
}

// Concurrency reports whether the state is that of a concurrency 429
// (limit and remaining both zero), which says nothing about the bucket.
func (r RateLimit) Concurrency() bool { return r.OK && r.Limit == 0 && r.Remaining == 0 }

// ResetAfter returns how long after the response the window resets,
// measured on Okta's clock: Reset minus Date, or minus now when Date is
// missing. It is never negative, and ok is false when Reset is unknown.
func (r RateLimit) ResetAfter(now time.Time) (d time.Duration, ok bool) {
	panic("unimplemented")
}

// ParseRateLimit reads the rate-limit headers and Date of a response.
func ParseRateLimit(h http.Header) RateLimit { panic("unimplemented") }

// Observer receives the rate-limit state of each Okta response. It is
// called synchronously from the request's goroutine and must not block.
type Observer interface {
	ObserveRateLimit(b Bucket, rl RateLimit)
}
