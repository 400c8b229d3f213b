package oktasim

import (
	"net/http"
	"strconv"
	"time"
)

// concurrencyResetAfter is how far ahead of now a concurrency 429 puts
// its X-Rate-Limit-Reset estimate.
const concurrencyResetAfter = 3 * time.Second

// rateState is what the X-Rate-Limit headers of one answer say. The
// zero value sets no headers.
type rateState struct {
	limit     int
	remaining int
	reset     int64 // epoch seconds
	present   bool
}

// set writes the three X-Rate-Limit headers when the state has them.
func (r rateState) set(h http.Header) {
	if !r.present {
		return
	}
	h.Set("X-Rate-Limit-Limit", strconv.Itoa(r.limit))
	h.Set("X-Rate-Limit-Remaining", strconv.Itoa(r.remaining))
	h.Set("X-Rate-Limit-Reset", strconv.FormatInt(r.reset, 10))
}

// concurrencyState is the header state of a concurrency 429: limit and
// remaining 0, and a reset a few seconds ahead.
func concurrencyState(now time.Time) rateState {
	return rateState{reset: ceilUnix(now.Add(concurrencyResetAfter)), present: true}
}

// window counts the requests of one bucket. A window opens at the whole
// second at or before the first request after the previous one ended,
// and lasts Limits.Window: X-Rate-Limit-Reset is a whole epoch second,
// which implies that Okta's windows start and end on whole seconds of
// its clock. A window shorter than what is left of that second starts
// at the request instead. Buckets are not aligned with each other or
// with the minute.
type window struct {
	start time.Time
	end   time.Time
	used  int
}

// takeAt counts one request at now against a bucket of the given limit
// and span. It returns the state the answer reports and whether the
// request is allowed. The request that takes the last slot is allowed
// and reports 0 remaining; later ones are refused with the same state.
func (w *window) takeAt(now time.Time, limit int, span time.Duration) (rateState, bool) {
	if w.end.IsZero() || !now.Before(w.end) {
		w.start = now.Truncate(time.Second)
		if !w.start.Add(span).After(now) {
			w.start = now
		}
		w.end, w.used = w.start.Add(span), 0
	}
	allowed := w.used < limit
	if allowed {
		w.used++
	}
	st := rateState{
		limit:     limit,
		remaining: limit - w.used,
		reset:     ceilUnix(w.end),
		present:   true,
	}
	return st, allowed
}

// ceilUnix returns t in epoch seconds rounded up, so a reset read from
// a header is never before the real end of the window.
func ceilUnix(t time.Time) int64 {
	sec := t.Unix()
	if t.Nanosecond() > 0 {
		sec++
	}
	return sec
}

// withDefaults fills the zero fields of l with the defaults.
func (l Limits) withDefaults() Limits {
	orDefault := func(v, d int) int {
		if v == 0 {
			return d
		}
		return v
	}
	if l.Window <= 0 {
		l.Window = DefaultWindow
	}
	l.Users = orDefault(l.Users, DefaultUsersLimit)
	l.UserByID = orDefault(l.UserByID, DefaultUserByIDLimit)
	l.UserUpdate = orDefault(l.UserUpdate, DefaultUserUpdateLimit)
	l.Generic = orDefault(l.Generic, DefaultGenericLimit)
	return l
}

// limitOf returns the per-window limit of a bucket; negative disables.
func (l Limits) limitOf(bucket string) int {
	switch bucket {
	case BucketUsers:
		return l.Users
	case BucketUserByID:
		return l.UserByID
	case BucketUserUpdate:
		return l.UserUpdate
	}
	return l.Generic
}

// admit counts the request against its bucket, records the state for
// the answer's headers and answers 429 when the bucket is spent.
func (s *Server) admit(ex *exchange) bool {
	limit := s.limits.limitOf(ex.route.bucket)
	if limit < 0 {
		return true
	}
	s.mu.Lock()
	w := s.windows[ex.route.bucket]
	if w == nil {
		w = &window{}
		s.windows[ex.route.bucket] = w
	}
	st, ok := w.takeAt(ex.now, limit, s.limits.Window)
	s.mu.Unlock()

	ex.rate = st
	if !ok {
		s.writeError(ex, errRateLimited())
	}
	return ok
}

// count records that a request reached a bucket.
func (s *Server) count(bucket string) {
	s.mu.Lock()
	s.requests[bucket]++
	s.mu.Unlock()
}

// acquire takes a concurrency slot; false means the org is full.
func (s *Server) acquire() bool {
	n := s.inFlight.Add(1)
	if max := s.limits.Concurrent; max > 0 && n > int64(max) {
		s.inFlight.Add(-1)
		return false
	}
	return true
}

// release returns the slot taken by [Server.acquire].
func (s *Server) release() { s.inFlight.Add(-1) }
