package oktasim_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/okta-worker/okta-worker/okta/oktasim"
)

// rateStep is one request at one instant of a rate-limit step table.
type rateStep struct {
	advance       time.Duration // moved on the fake clock before the request
	method, path  string
	wantStatus    int
	wantLimit     int
	wantRemaining int
	wantReset     int64 // epoch seconds
}

// runRateSteps sends each step and checks its status and headers,
// naming the failing step.
func runRateSteps(t *testing.T, o *org, steps []rateStep) {
	t.Helper()
	for i, st := range steps {
		o.clock.Advance(st.advance)
		a := o.do(st.method, st.path, "")
		assert.Equal(t, st.wantStatus, a.status, "step %d: status", i)
		assert.Equal(t, strconv.Itoa(st.wantLimit), a.header.Get("X-Rate-Limit-Limit"),
			"step %d: limit", i)
		assert.Equal(t, strconv.Itoa(st.wantRemaining), a.header.Get("X-Rate-Limit-Remaining"),
			"step %d: remaining", i)
		assert.Equal(t, strconv.FormatInt(st.wantReset, 10), a.header.Get("X-Rate-Limit-Reset"),
			"step %d: reset", i)
		assert.Empty(t, a.header.Get("Retry-After"), "step %d: Okta sends no Retry-After", i)
		if st.wantStatus == http.StatusTooManyRequests {
			e := requireError(t, a, http.StatusTooManyRequests, "E0000047")
			assert.Equal(t, "API call exceeded rate limit due to too many requests.",
				e.ErrorSummary, "step %d", i)
		}
	}
}

func TestRateLimitWindowSteps(t *testing.T) {
	const list = "/api/v1/users"
	base := t0.Unix()
	tests := []struct {
		name   string
		limits oktasim.Limits
		start  time.Duration // fraction of a second the clock starts past t0
		steps  []rateStep
	}{
		{
			name:   "counts down, 429 when spent, new window after reset",
			limits: oktasim.Limits{Window: time.Minute, Users: 3},
			steps: []rateStep{
				{method: "GET", path: list, wantStatus: 200, wantLimit: 3, wantRemaining: 2,
					wantReset: base + 60},
				{advance: 10 * time.Second, method: "GET", path: list, wantStatus: 200,
					wantLimit: 3, wantRemaining: 1, wantReset: base + 60},
				{method: "GET", path: list, wantStatus: 200, wantLimit: 3, wantRemaining: 0,
					wantReset: base + 60},
				{method: "GET", path: list, wantStatus: 429, wantLimit: 3, wantRemaining: 0,
					wantReset: base + 60},
				{advance: 49 * time.Second, method: "GET", path: list, wantStatus: 429,
					wantLimit: 3, wantRemaining: 0, wantReset: base + 60},
				{advance: time.Second, method: "GET", path: list, wantStatus: 200,
					wantLimit: 3, wantRemaining: 2, wantReset: base + 120},
			},
		},
		{
			name:   "window opens with the first request after the last one ended",
			limits: oktasim.Limits{Window: 5 * time.Second, Users: 5},
			steps: []rateStep{
				{method: "GET", path: list, wantStatus: 200, wantLimit: 5, wantRemaining: 4,
					wantReset: base + 5},
				{advance: 17 * time.Second, method: "GET", path: list, wantStatus: 200,
					wantLimit: 5, wantRemaining: 4, wantReset: base + 22},
			},
		},
		{
			name:   "windows start and end on whole seconds",
			limits: oktasim.Limits{Window: time.Second, Users: 5},
			start:  300 * time.Millisecond,
			steps: []rateStep{
				{method: "GET", path: list, wantStatus: 200, wantLimit: 5, wantRemaining: 4,
					wantReset: base + 1},
				{advance: 699 * time.Millisecond, method: "GET", path: list, wantStatus: 200,
					wantLimit: 5, wantRemaining: 3, wantReset: base + 1},
				{advance: time.Millisecond, method: "GET", path: list, wantStatus: 200,
					wantLimit: 5, wantRemaining: 4, wantReset: base + 2},
				{advance: 1300 * time.Millisecond, method: "GET", path: list, wantStatus: 200,
					wantLimit: 5, wantRemaining: 4, wantReset: base + 3},
			},
		},
		{
			name:   "a window shorter than the rest of the second starts at the request",
			limits: oktasim.Limits{Window: 500 * time.Millisecond, Users: 5},
			start:  700 * time.Millisecond,
			steps: []rateStep{
				{method: "GET", path: list, wantStatus: 200, wantLimit: 5, wantRemaining: 4,
					wantReset: base + 2},
				{advance: 499 * time.Millisecond, method: "GET", path: list, wantStatus: 200,
					wantLimit: 5, wantRemaining: 3, wantReset: base + 2},
			},
		},
		{
			name:   "buckets are independent",
			limits: oktasim.Limits{Window: time.Minute, Users: 1, UserByID: 2, Generic: 1},
			steps: []rateStep{
				{method: "GET", path: list, wantStatus: 200, wantLimit: 1, wantRemaining: 0,
					wantReset: base + 60},
				{method: "POST", path: list, wantStatus: 429, wantLimit: 1, wantRemaining: 0,
					wantReset: base + 60},
				{advance: time.Second, method: "GET", path: list + "/nobody", wantStatus: 404,
					wantLimit: 2, wantRemaining: 1, wantReset: base + 61},
				{method: "GET", path: "/api/v1/meta/types/user", wantStatus: 200, wantLimit: 1,
					wantRemaining: 0, wantReset: base + 61},
				{method: "GET", path: "/api/v1/meta/types/user", wantStatus: 429,
					wantLimit: 1, wantRemaining: 0, wantReset: base + 61},
				{method: "POST", path: list + "/nobody", wantStatus: 400, // no body
					wantLimit:     oktasim.DefaultUserUpdateLimit,
					wantRemaining: oktasim.DefaultUserUpdateLimit - 1, wantReset: base + 61},
				{method: "GET", path: "/elsewhere", wantStatus: 429, wantLimit: 1,
					wantRemaining: 0, wantReset: base + 61},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := newOrg(t, oktasim.WithLimits(tt.limits))
			o.clock.Advance(tt.start)
			runRateSteps(t, o, tt.steps)
		})
	}
}

func TestRateLimitAppliesBeforeAuthentication(t *testing.T) {
	o := newOrg(t, oktasim.WithLimits(oktasim.Limits{Users: 1}))
	req := o.request(context.Background(), http.MethodGet, "/api/v1/users", "")
	req.Header.Set("Authorization", "SSWS wrong")
	a := o.send(req)
	requireError(t, a, http.StatusUnauthorized, "E0000011")
	assert.Equal(t, "0", a.header.Get("X-Rate-Limit-Remaining"), "a 401 still counts")
	requireError(t, o.do(http.MethodGet, "/api/v1/users", ""), 429, "E0000047")
	assert.Equal(t, map[string]int{oktasim.BucketUsers: 2}, o.sim.Requests())
}

func TestRequestsCountsEveryBucket(t *testing.T) {
	o := newOrg(t, oktasim.WithLimits(oktasim.Limits{Users: 1}))
	o.do(http.MethodPost, "/api/v1/users", profileBody("a@example.com", nil))
	o.do(http.MethodGet, "/api/v1/users?search=x", "")
	o.do(http.MethodGet, "/api/v1/users/a%40example.com", "")
	o.do(http.MethodPut, "/api/v1/users/a%40example.com", "{}")
	o.do(http.MethodGet, "/api/v1/meta/types/user", "")
	assert.Equal(t, map[string]int{
		oktasim.BucketUsers:      2,
		oktasim.BucketUserByID:   1,
		oktasim.BucketUserUpdate: 1,
		oktasim.BucketGeneric:    1,
	}, o.sim.Requests())
}

func TestDisabledBucketSendsNoRateHeaders(t *testing.T) {
	o := newOrg(t, oktasim.WithLimits(oktasim.Limits{Users: -1}))
	for range 3 {
		a := o.do(http.MethodGet, "/api/v1/users", "")
		require.Equal(t, http.StatusOK, a.status)
		assert.Empty(t, a.header.Values("X-Rate-Limit-Limit"))
		assert.Empty(t, a.header.Values("X-Rate-Limit-Remaining"))
		assert.Empty(t, a.header.Values("X-Rate-Limit-Reset"))
	}
	a := o.do(http.MethodGet, "/api/v1/meta/types/user", "")
	assert.Equal(t, strconv.Itoa(oktasim.DefaultGenericLimit), a.header.Get("X-Rate-Limit-Limit"))
}

func TestConcurrencyLimit(t *testing.T) {
	o := newOrg(t, oktasim.WithLimits(oktasim.Limits{Concurrent: 1, Users: 10}))
	o.clock.Advance(250 * time.Millisecond)
	o.sim.Inject(oktasim.Injection{Method: http.MethodGet, Fault: oktasim.FaultTimeout})

	ctx, cancel := context.WithCancel(context.Background())
	held := make(chan error, 1)
	go func() {
		resp, err := o.srv.Client().Do(o.request(ctx, http.MethodGet, "/api/v1/users", ""))
		if err == nil {
			resp.Body.Close()
		}
		held <- err
	}()
	require.Eventually(t, func() bool { return o.sim.InFlight() == 1 },
		5*time.Second, time.Millisecond, "the first request is held")

	a := o.do(http.MethodPost, "/api/v1/users", profileBody("a@example.com", nil))
	requireError(t, a, http.StatusTooManyRequests, "E0000047")
	assert.Equal(t, "0", a.header.Get("X-Rate-Limit-Limit"))
	assert.Equal(t, "0", a.header.Get("X-Rate-Limit-Remaining"))
	assert.Equal(t, strconv.FormatInt(t0.Unix()+4, 10), a.header.Get("X-Rate-Limit-Reset"),
		"a few seconds ahead, rounded up")
	assert.Equal(t, 0, o.sim.Len(), "a refused request has no effect")

	cancel()
	require.Error(t, <-held)
	require.Eventually(t, func() bool { return o.sim.InFlight() == 0 },
		5*time.Second, time.Millisecond)
	a = o.do(http.MethodPost, "/api/v1/users", profileBody("a@example.com", nil))
	require.Equal(t, http.StatusOK, a.status, string(a.body))
	assert.Equal(t, "8", a.header.Get("X-Rate-Limit-Remaining"),
		"the concurrency 429 did not spend the bucket; the held request did")
}

func TestClockOffsetMovesEveryTimestamp(t *testing.T) {
	tests := []struct {
		name   string
		offset time.Duration
	}{
		{name: "ahead", offset: 45 * time.Second},
		{name: "behind", offset: -45 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := newOrg(t, oktasim.WithClockOffset(tt.offset),
				oktasim.WithLimits(oktasim.Limits{Window: time.Minute}))
			want := t0.Add(tt.offset)
			a := o.do(http.MethodPost, "/api/v1/users", profileBody("a@example.com", nil))
			require.Equal(t, http.StatusOK, a.status)
			assert.Equal(t, want.Format(http.TimeFormat), a.header.Get("Date"))
			assert.Equal(t, strconv.FormatInt(want.Unix()+60, 10),
				a.header.Get("X-Rate-Limit-Reset"))
			assert.Equal(t, want.Format("2006-01-02T15:04:05.000Z"), a.object(t)["created"])
			assert.Equal(t, want, o.sim.Now())

			o.sim.SetClockOffset(0)
			a = o.do(http.MethodGet, "/api/v1/meta/types/user", "")
			assert.Equal(t, t0.Format(http.TimeFormat), a.header.Get("Date"))
		})
	}
}
