package oktasim_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/okta-worker/okta-worker/okta/oktasim"
)

func TestInjectedFaults(t *testing.T) {
	tests := []struct {
		name        string
		fault       oktasim.Fault
		wantStatus  int
		wantCode    string // "" for the gateway's HTML page
		wantCreated bool
	}{
		{name: "500", fault: oktasim.Fault500, wantStatus: 500, wantCode: "E0000009"},
		{name: "503", fault: oktasim.Fault503, wantStatus: 503, wantCode: "E0000010"},
		{name: "timeout before effect", fault: oktasim.FaultTimeout, wantStatus: 504},
		{name: "timeout after effect", fault: oktasim.FaultTimeoutAfterEffect,
			wantStatus: 504, wantCreated: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := newOrg(t, oktasim.WithFaults(oktasim.Faults{TimeoutDelay: time.Millisecond}))
			o.sim.Inject(oktasim.Injection{Method: "POST", Path: "/api/v1/users", Fault: tt.fault})
			body := profileBody("ada@example.com", nil)

			types := o.do(http.MethodGet, "/api/v1/meta/types/user", "")
			assert.Equal(t, http.StatusOK, types.status, "other requests are not hit")
			a := o.do(http.MethodPost, "/api/v1/users", body)
			if tt.wantCode != "" {
				requireError(t, a, tt.wantStatus, tt.wantCode)
			} else {
				require.Equal(t, tt.wantStatus, a.status)
				assert.Equal(t, "text/html", a.header.Get("Content-Type"))
				assert.Contains(t, string(a.body), "504 Gateway Time-out")
				assert.NotEmpty(t, a.header.Get("X-Rate-Limit-Remaining"))
			}
			assert.Equal(t, tt.wantCreated, o.sim.CountByLogin("ada@example.com") == 1)

			retry := o.do(http.MethodPost, "/api/v1/users", body)
			if tt.wantCreated {
				e := requireError(t, retry, http.StatusBadRequest, "E0000001")
				assert.Contains(t, causes(e)[0], "already exists")
			} else {
				assert.Equal(t, http.StatusOK, retry.status, "the fault was used up")
			}
		})
	}
}

func TestInjectionCountAndOrder(t *testing.T) {
	o := newOrg(t)
	o.sim.Inject(oktasim.Injection{Fault: oktasim.Fault503, Count: 2})
	o.sim.Inject(oktasim.Injection{Method: "GET", Fault: oktasim.Fault500})
	var got []int
	for range 4 {
		got = append(got, o.do(http.MethodGet, "/api/v1/meta/types/user", "").status)
	}
	assert.Equal(t, []int{503, 503, 500, 200}, got)
}

func TestTimeoutCloseDropsTheConnection(t *testing.T) {
	o := newOrg(t, oktasim.WithFaults(oktasim.Faults{
		TimeoutDelay: time.Millisecond, TimeoutClose: true,
	}))
	o.sim.Inject(oktasim.Injection{Fault: oktasim.FaultTimeoutAfterEffect})
	req := o.request(context.Background(), http.MethodPost, "/api/v1/users",
		profileBody("ada@example.com", nil))
	resp, err := o.srv.Client().Do(req)
	if err == nil {
		resp.Body.Close()
	}
	require.Error(t, err, "no answer arrives")
	assert.Equal(t, 1, o.sim.Len(), "the user was created before the connection dropped")
}

func TestTimeoutHoldsUntilTheClientGivesUp(t *testing.T) {
	o := newOrg(t) // TimeoutDelay 0: hold as long as the client waits
	o.sim.Inject(oktasim.Injection{Fault: oktasim.FaultTimeoutAfterEffect})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		req := o.request(ctx, http.MethodPost, "/api/v1/users", profileBody("ada@example.com", nil))
		resp, err := o.srv.Client().Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	require.Eventually(t, func() bool { return o.sim.Len() == 1 },
		5*time.Second, time.Millisecond, "the create took effect")
	select {
	case err := <-done:
		t.Fatalf("the request answered while it should be held: %v", err)
	default:
	}
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	require.Eventually(t, func() bool { return o.sim.InFlight() == 0 },
		5*time.Second, time.Millisecond, "the hold ends with the client")
}

func TestCloseReleasesHeldRequests(t *testing.T) {
	o := newOrg(t)
	o.sim.Inject(oktasim.Injection{Fault: oktasim.FaultTimeout})
	done := make(chan answer, 1)
	go func() { done <- o.do(http.MethodGet, "/api/v1/meta/types/user", "") }()
	require.Eventually(t, func() bool { return o.sim.InFlight() == 1 },
		5*time.Second, time.Millisecond)
	o.sim.Close()
	o.sim.Close() // idempotent
	assert.Equal(t, http.StatusGatewayTimeout, (<-done).status)
}

func TestRandomFaultsAreSeeded(t *testing.T) {
	run := func(seed int64) []int {
		o := newOrg(t, oktasim.WithFaults(oktasim.Faults{
			Rate5xx: 0.3, RateTimeout: 0.2, TimeoutDelay: time.Millisecond, Seed: seed,
		}))
		var got []int
		for range 40 {
			got = append(got, o.do(http.MethodGet, "/api/v1/meta/types/user", "").status)
		}
		return got
	}
	first, again, other := run(7), run(7), run(8)
	assert.Equal(t, first, again, "one seed, one sequence")
	assert.NotEqual(t, first, other)
	for _, status := range []int{200, 500, 503, 504} {
		assert.Contains(t, first, status)
	}
}

func TestFaultsComeAfterAuthentication(t *testing.T) {
	o := newOrg(t, oktasim.WithFaults(oktasim.Faults{Rate5xx: 1}))
	req := o.request(context.Background(), http.MethodGet, "/api/v1/users", "")
	req.Header.Set("Authorization", "SSWS wrong")
	requireError(t, o.send(req), http.StatusUnauthorized, "E0000011")
	a := o.do(http.MethodGet, "/api/v1/users", "")
	assert.True(t, a.status == 500 || a.status == 503, "got %d", a.status)
}

func TestLatencyDelaysAnswers(t *testing.T) {
	const latency = 30 * time.Millisecond
	o := newOrg(t, oktasim.WithLatency(latency))
	start := time.Now()
	a := o.do(http.MethodGet, "/api/v1/meta/types/user", "")
	assert.GreaterOrEqual(t, time.Since(start), latency)
	assert.Equal(t, http.StatusOK, a.status)
	assert.True(t, strings.HasPrefix(string(a.body), "["))
}
