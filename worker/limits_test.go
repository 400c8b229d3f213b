package worker

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/okta-worker/okta-worker/okta"
	"github.com/okta-worker/okta-worker/okta/oktasim"
)

// limitedOrg is a simulated org, a client of it that waits on a limiter,
// and a second client without one: another application of the same org.
type limitedOrg struct {
	sim     *oktasim.Server
	client  *okta.Client
	limiter *okta.Limiter
	other   *okta.Client
}

// newLimitedOrg starts a simulated org on a loopback server, its clients
// and a limiter on clock.
func newLimitedOrg(t *testing.T, clock clockwork.Clock, opts ...oktasim.Option) *limitedOrg {
	t.Helper()
	sim := oktasim.New(opts...)
	srv := httptest.NewServer(sim)
	t.Cleanup(func() {
		sim.Close()
		srv.Close()
	})
	lim, err := okta.NewLimiter(okta.LimiterConfig{}, okta.WithLimiterClock(clock))
	require.NoError(t, err)
	client, err := okta.NewClient(srv.URL, testToken, okta.WithClock(clock),
		okta.WithLimiter(lim))
	require.NoError(t, err)
	other, err := okta.NewClient(srv.URL, testToken)
	require.NoError(t, err)
	return &limitedOrg{sim: sim, client: client, limiter: lim, other: other}
}

// listTypes publishes n list_type_id_options requests of tenant and
// returns their ids.
func listTypes(t *testing.T, js jetstream.JetStream, tenant string, n int) []string {
	t.Helper()
	var ids []string
	for i := range n {
		id := fmt.Sprintf("%s-%d", tenant, i)
		request(t, js, "okta.requests."+tenant+".list_type_id_options", id,
			map[string]any{"id": id})
		ids = append(ids, id)
	}
	return ids
}

// succeeded counts the requests answered with success.
func succeeded(js jetstream.JetStream, ids []string) int {
	n := 0
	for _, id := range ids {
		if got, err := repliesTo(js, id); err == nil && len(got) == 1 && got[0].Success {
			n++
		}
	}
	return n
}

// TestLimiterDecidesThePause gives tenant a a limiter and an org whose
// generic bucket (two a minute) another application has just spent. The
// worker's first request meets a 429; the limiter reports it once, at
// Warn, with the bucket; the consumer is paused on the server until the
// reset the limiter computed; the tenant's other requests wait without
// reaching Okta, then go through, throttled by the limiter rather than
// refused. Tenant b is not slowed.
func TestLimiterDecidesThePause(t *testing.T) {
	_, js := connect(t, startNATS(t))
	fc := clockwork.NewFakeClock()
	a := newLimitedOrg(t, fc, oktasim.WithClock(fc),
		oktasim.WithLimits(oktasim.Limits{Window: time.Minute, Generic: 2}))
	b := newOrg(t, testToken, oktasim.WithClock(fc))
	for range 2 {
		_, err := a.other.ListUserTypes(context.Background())
		require.NoError(t, err)
	}
	log, logs := observed(t)
	cfg := testConfig()
	cfg.Concurrency = 2
	cfg.MinPause, cfg.MaxPause = time.Second, 2*time.Minute
	startWorker(t, js, []Tenant{
		{Name: "a", Okta: a.client, Limiter: a.limiter}, {Name: "b", Okta: b.client},
	}, cfg, WithLogger(log), WithClock(fc))

	aIDs := listTypes(t, js, "a", 3)
	require.Eventually(t, func() bool { return consumerInfo(t, js, "a").Paused },
		waitFor, poll, "tenant a not paused after its 429")
	bIDs := listTypes(t, js, "b", 4)
	require.Eventually(t, func() bool { return succeeded(js, bIDs) == 4 }, waitFor, poll)
	assert.Zero(t, succeeded(js, aIDs))
	assert.Equal(t, 3, a.sim.Requests()[oktasim.BucketGeneric],
		"one request of a's reached Okta, and was refused")

	// Time passes on the shared clock in steps the test sets. At the
	// pause's end a resumes; its second request in the new window is
	// paced towards the window's middle, so the clock moves in small
	// steps until it is answered, far from the window's end, and then
	// stands still: the third request, throttled, must wait for the next
	// window, which one last step opens. None is refused.
	throttleMsg := "okta rate limit budget spent, throttling until the reset"
	until := consumerInfo(t, js, "a").Config.PauseUntil
	require.NotNil(t, until, "the server holds the pause's end")
	fc.Advance(until.Sub(fc.Now()) + time.Second)
	require.Eventually(t, func() bool {
		if succeeded(js, aIDs) == 2 {
			return true
		}
		fc.Advance(100 * time.Millisecond)
		return false
	}, waitFor, poll, "tenant a not resumed")
	require.Eventually(t, func() bool {
		return len(entriesWith(logs, throttleMsg, keyTenant, "a")) > 0
	}, waitFor, poll, "the third request not throttled")
	assert.Equal(t, 2, succeeded(js, aIDs), "the third request waits for the next window")
	fc.Advance(time.Minute + time.Second)
	require.Eventually(t, func() bool { return succeeded(js, aIDs) == 3 }, waitFor, poll,
		"the throttled request not sent in the next window")
	assert.Equal(t, 6, a.sim.Requests()[oktasim.BucketGeneric])
	assert.Equal(t, int64(1), a.limiter.Stats().TooManyRequests)

	hit := logs.FilterMessage("okta rate limit hit, bucket paused until the reset").All()
	require.Len(t, hit, 1, "one Warn per pause")
	assert.Equal(t, "warn", hit[0].Level.String())
	assert.Equal(t, "a", hit[0].ContextMap()[keyTenant])
	assert.Equal(t, string(okta.BucketGeneric), hit[0].ContextMap()[keyBucket])
	for _, e := range logs.FilterMessage("tenant paused after okta rate limit").All() {
		assert.Equal(t, "debug", e.Level.String(), "the limiter's warning was the one")
	}
	throttled := entriesWith(logs, throttleMsg, keyTenant, "a")
	require.NotEmpty(t, throttled)
	assert.Equal(t, "info", throttled[0].Level.String(), "a throttle is normal operation")
	assert.Empty(t, entriesWith(logs, throttleMsg, keyTenant, "b"))
}

// TestLimiterConcurrencyNeedsNoPause sends two requests to an org that
// holds one at a time for a second: the limiter paces them 50ms apart
// (the generic bucket's 1200 a minute), so the second meets a
// concurrency 429, which the limiter answers with a short backoff and a
// cut in-flight cap, and nothing else: no pause of the consumer.
func TestLimiterConcurrencyNeedsNoPause(t *testing.T) {
	_, js := connect(t, startNATS(t))
	acme := newLimitedOrg(t, clockwork.NewRealClock(),
		oktasim.WithLatency(time.Second), oktasim.WithLimits(oktasim.Limits{Concurrent: 1}))
	log, logs := observed(t)
	cfg := testConfig()
	cfg.Concurrency = 2
	cfg.MaxRateLimitPauses = 10
	startWorker(t, js, []Tenant{{Name: "acme", Okta: acme.client, Limiter: acme.limiter}}, cfg,
		WithLogger(log))

	// A first call makes the window known, so the limiter lets more than
	// one request out at a time.
	_, err := acme.client.ListUserTypes(context.Background())
	require.NoError(t, err)
	ids := listTypes(t, js, "acme", 2)
	for _, id := range ids {
		r := awaitReply(t, js, id)
		assert.True(t, r.Success, "%s: %+v", id, r.Error)
	}
	s := acme.limiter.Stats()
	require.Positive(t, s.ConcurrencyLimited)
	assert.Zero(t, s.TooManyRequests)
	backoff := logs.FilterMessage("okta concurrency limit reached, backing off").All()
	require.NotEmpty(t, backoff)
	assert.Equal(t, "warn", backoff[0].Level.String())
	assert.Equal(t, "acme", backoff[0].ContextMap()[keyTenant])
	assert.Contains(t, backoff[0].ContextMap(), keyInFlightCap)
	assert.Empty(t, logs.FilterMessage("tenant paused after okta rate limit").All(),
		"a concurrency 429 does not pause the tenant")
	assert.False(t, consumerInfo(t, js, "acme").Paused)
}
