package worker

import (
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/okta-worker/okta-worker/messages"
	"github.com/okta-worker/okta-worker/okta/oktasim"
)

func TestRetriesAreBounded(t *testing.T) {
	tests := []struct {
		name        string
		fault       oktasim.Fault
		maxAttempts int
		maxElapsed  time.Duration
		wantCode    messages.Code
		wantMin     int // attempts
		wantMax     int
	}{{
		name: "5xx stops at MaxAttempts", fault: oktasim.Fault500,
		maxAttempts: 3, maxElapsed: time.Hour,
		wantCode: messages.CodeUpstreamUnavailable, wantMin: 3, wantMax: 3,
	}, {
		// The fake clock moves a second per wait, so three seconds of
		// retrying allow only a few of the hundred attempts.
		name: "5xx stops at MaxElapsed", fault: oktasim.Fault503,
		maxAttempts: 100, maxElapsed: 3 * time.Second,
		wantCode: messages.CodeUpstreamUnavailable, wantMin: 2, wantMax: 5,
	}, {
		name: "timeouts stop at MaxAttempts", fault: oktasim.FaultTimeout,
		maxAttempts: 2, maxElapsed: time.Hour,
		wantCode: messages.CodeUpstreamUnavailable, wantMin: 2, wantMax: 2,
	}, {
		name: "a 4xx is not retried", fault: oktasim.FaultNone,
		maxAttempts: 5, maxElapsed: time.Hour,
		wantCode: messages.CodeNotFound, wantMin: 1, wantMax: 1,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, js := connect(t, startNATS(t))
			acme := newOrg(t, testToken, oktasim.WithFaults(oktasim.Faults{
				TimeoutDelay: 20 * time.Millisecond}))
			if tt.fault != oktasim.FaultNone {
				acme.sim.Inject(oktasim.Injection{Fault: tt.fault, Count: 1000})
			}
			cfg := testConfig()
			cfg.MaxAttempts, cfg.MaxElapsed = tt.maxAttempts, tt.maxElapsed
			fc := clockwork.NewFakeClock()
			advanceWhenWaited(t, fc)
			startWorker(t, js, []Tenant{{Name: "acme", Okta: acme.client}}, cfg,
				WithClock(fc))
			request(t, js, messages.Subjects{}.Request("acme", messages.ActionGetUser), "m-1",
				map[string]any{"id": "r-1", "params": map[string]any{"user_id": "00unobody"}})
			got := awaitReply(t, js, "r-1")
			require.False(t, got.Success)
			assert.Equal(t, tt.wantCode, got.Error.Code)
			assert.GreaterOrEqual(t, got.Attempts, tt.wantMin)
			assert.LessOrEqual(t, got.Attempts, tt.wantMax)
		})
	}
}
