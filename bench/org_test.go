package bench

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okta-worker/okta-worker/okta/oktasim"
)

// orgSpec describes a simulated Okta org of the benchmark: the limit of
// its get-by-id bucket per window, how far its clock runs ahead of the
// worker's, and its latency.
type orgSpec struct {
	limit   int
	window  time.Duration
	skew    time.Duration
	latency time.Duration
}

// org is a simulated Okta org served on loopback, with a recorder of
// every answer it gives.
type org struct {
	spec  orgSpec
	sim   *oktasim.Server
	url   string
	users []string // ids of the users the workload reads
	rec   *recorder
}

// startOrg starts a simulated org holding users users, until the
// benchmark ends.
func startOrg(tb testing.TB, spec orgSpec, users int) *org {
	tb.Helper()
	sim := oktasim.New(
		oktasim.WithLimits(oktasim.Limits{Window: spec.window, UserByID: spec.limit}),
		oktasim.WithClockOffset(spec.skew),
		oktasim.WithLatency(spec.latency))
	o := &org{spec: spec, sim: sim, rec: &recorder{}}
	for i := range users {
		login := fmt.Sprintf("user%03d@example.com", i)
		o.users = append(o.users, sim.AddUser(map[string]any{
			"login": login, "email": login, "firstName": "Bench", "lastName": "User",
		}))
	}
	srv := httptest.NewServer(o.rec.wrap(sim))
	tb.Cleanup(func() {
		sim.Close()
		srv.Close()
	})
	o.url = srv.URL
	return o
}

// answer is one answer the org gave, as the recorder saw it leave.
type answer struct {
	replica string // the token's suffix after the last "-": which replica asked
	status  int
	reset   int64 // X-Rate-Limit-Reset, epoch seconds on Okta's clock; 0 if none
	at      time.Time
}

// recorder records the answers of an http.Handler.
type recorder struct {
	mu      sync.Mutex
	answers []answer
}

// wrap returns h with every answer recorded.
func (r *recorder) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		rw := &recordingWriter{ResponseWriter: w}
		h.ServeHTTP(rw, req)
		token := strings.TrimPrefix(req.Header.Get("Authorization"), "SSWS ")
		a := answer{replica: token[strings.LastIndex(token, "-")+1:], status: rw.status,
			at: time.Now()}
		a.reset, _ = strconv.ParseInt(rw.Header().Get("X-Rate-Limit-Reset"), 10, 64)
		r.mu.Lock()
		r.answers = append(r.answers, a)
		r.mu.Unlock()
	})
}

// all returns a copy of the answers so far.
func (r *recorder) all() []answer {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]answer(nil), r.answers...)
}

// recordingWriter remembers the status of an answer.
type recordingWriter struct {
	http.ResponseWriter
	status int
}

func (w *recordingWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

func (w *recordingWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

// usage is what the answers of one org tell about its bucket.
type usage struct {
	windows     int     // windows after the first, up to the last
	utilisation float64 // accepted per window's length of time, over the limit
	accepted    int     // all accepted requests
	refused     int     // all 429s
	firstRefuse int     // 429s in the first window
	perReplica  float64 // 429s after the first window, per replica per 100 windows
}

// measure computes the usage of a bucket of the given limit and window
// from its answers, for replicas replicas. Windows are told apart by
// their reset. Utilisation is measured between the end of the first
// window (which every replica meets knowing nothing) and the start of
// the last (which the draining backlog may leave part empty): the
// requests accepted in the windows in between per window's length of
// time, so that time lost between windows counts as well as units left
// unspent.
func measure(answers []answer, limit int, window time.Duration, replicas int) usage {
	accepted := map[int64]int{}
	var u usage
	var first, last int64
	for _, a := range answers {
		if a.reset == 0 {
			continue
		}
		if first == 0 || a.reset < first {
			first = a.reset
		}
		last = max(last, a.reset)
		if a.status == http.StatusTooManyRequests {
			u.refused++
			continue
		}
		accepted[a.reset]++
		u.accepted++
	}
	for _, a := range answers {
		if a.status == http.StatusTooManyRequests && a.reset == first {
			u.firstRefuse++
		}
	}
	span := time.Duration(last-first)*time.Second - window
	u.windows = int(span / window)
	if span <= 0 {
		return u
	}
	inner := 0
	for reset, n := range accepted {
		if reset > first && reset < last {
			inner += n
		}
	}
	u.utilisation = float64(inner) / (span.Seconds() / window.Seconds()) / float64(limit)
	late := float64(u.refused - u.firstRefuse)
	u.perReplica = late / float64(replicas) / float64(u.windows+1) * 100
	return u
}
