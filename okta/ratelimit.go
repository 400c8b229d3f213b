package okta

import (
	"net/http"
	"strconv"
	"strings"
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
	BucketUserUpdate Bucket = "/api/v1/users/{id}"    // POST, PUT, DELETE by id
	BucketGeneric    Bucket = "/api/v1"               // everything else
)

// ResetMargin is added to every wait computed by [RateLimit.ResetAfter].
// X-Rate-Limit-Reset and Date both have one-second resolution, so the
// window may end up to a second after the instant Reset names; Okta's own
// SDKs add the same second for that reason and for skew between Okta's
// servers. It makes a wait slightly long rather than one request early.
const ResetMargin = time.Second

// BucketFor returns the bucket of a request by method and path (the
// path as sent, escaped, starting with /api/v1; a query is ignored):
//
//   - GET or POST /api/v1/users (list, search, create): [BucketUsers];
//   - GET /api/v1/users/{id or login}: [BucketUserByID];
//   - POST, PUT or DELETE /api/v1/users/{id}: [BucketUserUpdate];
//   - POST /api/v1/users/{id}/lifecycle/...: [BucketUsers], which Okta
//     counts together with create;
//   - anything else, user types included: [BucketGeneric].
//
// Okta may move endpoints between buckets; the headers of each response
// describe the bucket that response counted against.
func BucketFor(method, path string) Bucket {
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	rest, ok := strings.CutPrefix(strings.TrimSuffix(path, "/"), "/api/v1/users")
	if !ok {
		return BucketGeneric
	}
	method = strings.ToUpper(method)
	if rest == "" {
		return bucketForList(method)
	}
	segs, ok := strings.CutPrefix(rest, "/")
	if !ok {
		return BucketGeneric // a sibling such as /api/v1/usersX
	}
	return bucketForUser(method, strings.Split(segs, "/"))
}

// bucketForList classifies requests to /api/v1/users itself.
func bucketForList(method string) Bucket {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost:
		return BucketUsers
	}
	return BucketGeneric
}

// bucketForUser classifies requests below /api/v1/users/, given the
// path segments after it.
func bucketForUser(method string, segs []string) Bucket {
	if len(segs) == 1 && segs[0] != "" {
		switch method {
		case http.MethodGet, http.MethodHead:
			return BucketUserByID
		case http.MethodPost, http.MethodPut, http.MethodDelete:
			return BucketUserUpdate
		}
		return BucketGeneric
	}
	if len(segs) >= 3 && segs[1] == "lifecycle" && method == http.MethodPost {
		return BucketUsers
	}
	return BucketGeneric
}

// RateLimit is the rate-limit state one Okta response reported.
type RateLimit struct {
	// Limit, Remaining and Reset are X-Rate-Limit-Limit, -Remaining and
	// -Reset. Limit and Remaining are both 0 on a concurrency 429.
	Limit     int
	Remaining int
	Reset     time.Time // on Okta's clock, in UTC

	// Date is the response's Date header, Okta's clock when it answered.
	// ParseRateLimit leaves it zero when the header is missing or
	// unparseable; a [Client] then sets it to the time the response
	// arrived on its own clock (see [WithClock]).
	Date time.Time

	// OK reports whether the three X-Rate-Limit headers were present and
	// parsed; when false, the numeric fields are zero.
	OK bool
}

// Concurrency reports whether the state is that of a concurrency 429
// (limit and remaining both zero), which says nothing about the bucket.
func (r RateLimit) Concurrency() bool { return r.OK && r.Limit == 0 && r.Remaining == 0 }

// ResetAfter returns how long after the response the window resets,
// measured on Okta's clock: Reset plus [ResetMargin] minus Date, or minus
// now when Date is missing, so that a difference between the local clock
// and Okta's does not matter. It is never negative: a reset already
// past gives 0. ok is false when Reset is unknown.
func (r RateLimit) ResetAfter(now time.Time) (d time.Duration, ok bool) {
	if !r.OK || r.Reset.IsZero() {
		return 0, false
	}
	from := r.Date
	if from.IsZero() {
		from = now
	}
	d = r.Reset.Add(ResetMargin).Sub(from)
	return max(d, 0), true
}

// ParseRateLimit reads the rate-limit headers and Date of a response.
//
// Header names are matched case-insensitively, whatever the case of the
// keys in h. X-Rate-Limit-Reset is epoch seconds. When a header is
// repeated, or a proxy folded repeats into one comma-separated value, the
// first value that is a non-negative decimal integer counts; if none is,
// the state is not OK. Date is read with [http.ParseTime] (RFC 1123 and
// the two older HTTP formats).
func ParseRateLimit(h http.Header) RateLimit {
	rl := RateLimit{Date: parseDate(headerValues(h, "Date"))}
	limit, okL := firstCount(headerValues(h, "X-Rate-Limit-Limit"))
	remaining, okR := firstCount(headerValues(h, "X-Rate-Limit-Remaining"))
	reset, okS := firstCount(headerValues(h, "X-Rate-Limit-Reset"))
	if !okL || !okR || !okS {
		return rl
	}
	rl.Limit, rl.Remaining = int(limit), int(remaining)
	rl.Reset = time.Unix(reset, 0).UTC()
	rl.OK = true
	return rl
}

// headerValues returns the values of the header key. It looks the
// canonical key up first and then any key equal to it ignoring case, for
// headers built by hand rather than by net/http.
func headerValues(h http.Header, key string) []string {
	if vs := h.Values(key); len(vs) > 0 {
		return vs
	}
	for k, vs := range h {
		if strings.EqualFold(k, key) {
			return vs
		}
	}
	return nil
}

// maxCount bounds the counts read from headers so that they fit an int
// and an epoch second far beyond any real reset.
const maxCount = 1 << 40

// firstCount returns the first element of values, split at commas, that
// is a decimal integer in [0, maxCount].
func firstCount(values []string) (int64, bool) {
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			if n, ok := parseCount(strings.TrimSpace(part)); ok {
				return n, true
			}
		}
	}
	return 0, false
}

// parseCount parses digits only: no sign, no spaces, no fraction.
func parseCount(s string) (int64, bool) {
	if s == "" || len(s) > 13 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n > maxCount {
		return 0, false
	}
	return n, true
}

// parseDate returns the first value that is an HTTP date, in UTC, or the
// zero time.
func parseDate(values []string) time.Time {
	for _, v := range values {
		if t, err := http.ParseTime(strings.TrimSpace(v)); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// Observer receives the rate-limit state of each Okta response. It is
// called synchronously from the request's goroutine and must not block.
type Observer interface {
	ObserveRateLimit(b Bucket, rl RateLimit)
}
