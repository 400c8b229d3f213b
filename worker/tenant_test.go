package worker

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/okta-worker/okta-worker/okta/oktasim"
)

// runWorker runs a worker under a context the test cancels, and returns
// the cancel function and the channel Run's result arrives on.
func runWorker(t *testing.T, w *Worker) (context.CancelFunc, <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-w.done
	})
	select {
	case <-w.ready:
	case err := <-done:
		require.FailNow(t, "worker did not start", "Run returned %v", err)
	}
	return cancel, done
}

// runResult waits for Run's result.
func runResult(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(waitFor):
		require.FailNow(t, "Run did not return")
		return nil
	}
}

func TestShutdownFinishesRequestsInFlight(t *testing.T) {
	_, js := connect(t, startNATS(t))
	acme := newOrg(t, testToken, oktasim.WithLatency(300*time.Millisecond))
	cfg := testConfig()
	cfg.Concurrency = 1
	w, err := New(js, []Tenant{{Name: "acme", Okta: acme.client}}, cfg)
	require.NoError(t, err)
	cancel, done := runWorker(t, w)

	// The first request is in flight when shutdown begins; the second
	// waits for the pool and must not start.
	for _, id := range []string{"inflight-1", "waiting-2"} {
		request(t, js, "okta.requests.acme.list_type_id_options", id, map[string]any{"id": id})
	}
	require.Eventually(t, func() bool { return acme.sim.InFlight() == 1 }, waitFor, poll)
	cancel()
	require.NoError(t, runResult(t, done))

	// Run returned only after the first request was answered and
	// acknowledged; the second was handed back unanswered.
	got, err := repliesTo(js, "inflight-1")
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.True(t, got[0].Success)
	got, err = repliesTo(js, "waiting-2")
	require.NoError(t, err)
	assert.Empty(t, got)
	assert.Equal(t, 1, acme.sim.Requests()[oktasim.BucketGeneric])
	assert.Equal(t, uint64(1), streamMsgs(t, js, DefaultRequestsStream))

	// Handed back, not left to its 30 s AckWait, the second request goes
	// at once to the next worker.
	fast := newOrg(t, testToken)
	startWorker(t, js, []Tenant{{Name: "acme", Okta: fast.client}}, testConfig())
	r := awaitReply(t, js, "waiting-2")
	assert.True(t, r.Success)
}

func TestShutdownHandsBackAfterGrace(t *testing.T) {
	_, js := connect(t, startNATS(t))
	slow := newOrg(t, testToken, oktasim.WithLatency(time.Hour))
	cfg := testConfig()
	cfg.ShutdownGrace = 100 * time.Millisecond
	w, err := New(js, []Tenant{{Name: "acme", Okta: slow.client}}, cfg)
	require.NoError(t, err)
	cancel, done := runWorker(t, w)

	request(t, js, "okta.requests.acme.list_type_id_options", "handback-1",
		map[string]any{"id": "handback-1"})
	require.Eventually(t, func() bool { return slow.sim.InFlight() == 1 }, waitFor, poll)
	cancel()
	require.NoError(t, runResult(t, done))

	got, err := repliesTo(js, "handback-1")
	require.NoError(t, err)
	assert.Empty(t, got, "a cancelled request is not answered")
	assert.Equal(t, uint64(1), streamMsgs(t, js, DefaultRequestsStream))

	// Handed back, the request is delivered again at once to the next
	// worker, which answers it.
	fast := newOrg(t, testToken)
	startWorker(t, js, []Tenant{{Name: "acme", Okta: fast.client}}, testConfig())
	r := awaitReply(t, js, "handback-1")
	assert.True(t, r.Success)
}

func TestCloseIsIdempotent(t *testing.T) {
	_, js := connect(t, startNATS(t))
	acme := newOrg(t, testToken)
	w, err := New(js, []Tenant{{Name: "acme", Okta: acme.client}}, testConfig())
	require.NoError(t, err)
	_, done := runWorker(t, w)

	w.Close()
	require.NoError(t, runResult(t, done))
	w.Close()
	assert.Error(t, w.Run(context.Background()), "Run runs once")

	early, err := New(js, []Tenant{{Name: "acme", Okta: acme.client}}, testConfig())
	require.NoError(t, err)
	early.Close()
	assert.NoError(t, early.Run(context.Background()), "a closed worker returns at once")
}

func TestConsumptionRestarts(t *testing.T) {
	_, js := connect(t, startNATS(t))
	acme := newOrg(t, testToken)
	log, logs := observed(t)
	startWorker(t, js, []Tenant{{Name: "acme", Okta: acme.client}}, testConfig(),
		WithLogger(log))

	// Deleting the consumer ends the consumption; the worker notices,
	// re-creates the consumer and consumes again.
	ctx := context.Background()
	require.NoError(t, js.DeleteConsumer(ctx, DefaultRequestsStream, "okta-worker-acme"))
	require.Eventually(t, func() bool {
		return len(logs.FilterMessage("consumption ended, restarting").All()) > 0
	}, waitFor, poll)
	request(t, js, "okta.requests.acme.list_type_id_options", "after-restart",
		map[string]any{"id": "after-restart"})
	r := awaitReply(t, js, "after-restart")
	assert.True(t, r.Success)
}

func TestRestartDelay(t *testing.T) {
	tests := []struct {
		restarts int
		want     time.Duration
	}{
		{restarts: 1, want: 100 * time.Millisecond},
		{restarts: 2, want: 200 * time.Millisecond},
		{restarts: 5, want: 1600 * time.Millisecond},
		{restarts: 8, want: restartMax},
		{restarts: 100, want: restartMax},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, restartDelay(tt.restarts), "restart %d", tt.restarts)
	}
}
