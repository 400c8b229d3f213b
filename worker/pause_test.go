package worker

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/okta-worker/okta-worker/okta"
	"github.com/okta-worker/okta-worker/okta/oktasim"
)

func TestRateLimitPausesOnlyItsTenant(t *testing.T) {
	_, js := connect(t, startNATS(t))
	fc := clockwork.NewFakeClock()
	// Tenant A may make two user-type calls a minute; B has the default
	// limits. Both orgs and the worker run on the same fake clock.
	a := newOrg(t, testToken, oktasim.WithClock(fc),
		oktasim.WithLimits(oktasim.Limits{Window: time.Minute, Generic: 2}))
	b := newOrg(t, testToken, oktasim.WithClock(fc))
	log, logs := observed(t)
	cfg := testConfig()
	cfg.Concurrency = 2
	cfg.MinPause, cfg.MaxPause = time.Second, 2*time.Minute
	startWorker(t, js, []Tenant{{Name: "a", Okta: a.client}, {Name: "b", Okta: b.client}},
		cfg, WithLogger(log), WithClock(fc))

	ids := func(tenant string, n int) []string {
		var out []string
		for i := range n {
			id := fmt.Sprintf("%s-%d", tenant, i)
			request(t, js, "okta.requests."+tenant+".list_type_id_options", id,
				map[string]any{"id": id})
			out = append(out, id)
		}
		return out
	}
	succeeded := func(ids []string) int {
		n := 0
		for _, id := range ids {
			if got, err := repliesTo(js, id); err == nil && len(got) == 1 && got[0].Success {
				n++
			}
		}
		return n
	}

	// Two of A's four requests fit in the window; the third 429 pauses A.
	aIDs := ids("a", 4)
	require.Eventually(t, func() bool {
		return consumerInfo(t, js, "a").Paused && succeeded(aIDs) == 2
	}, waitFor, poll, "tenant a not paused after its bucket was spent")

	// B is not slowed: all its requests are answered while A is paused.
	bIDs := ids("b", 5)
	require.Eventually(t, func() bool { return succeeded(bIDs) == 5 }, waitFor, poll)
	assert.True(t, consumerInfo(t, js, "a").Paused, "a stays paused meanwhile")
	assert.False(t, consumerInfo(t, js, "b").Paused)
	assert.Equal(t, 2, succeeded(aIDs))

	// Past Okta's reset (60 s on Okta's clock, plus margin and jitter) the
	// worker resumes A on its own clock and A's held requests go through.
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	require.NoError(t, fc.BlockUntilContext(ctx, 1), "no pause timer")
	fc.Advance(2 * time.Minute)
	require.Eventually(t, func() bool {
		return succeeded(aIDs) == 4 && !consumerInfo(t, js, "a").Paused
	}, waitFor, poll, "tenant a not resumed")

	paused := logs.FilterMessage("tenant paused after okta rate limit").All()
	require.Len(t, paused, 1, "one Warn per pause")
	assert.Equal(t, "a", paused[0].ContextMap()[keyTenant])
	assert.Equal(t, "warn", paused[0].Level.String())
	assert.Len(t, entriesWith(logs, "tenant resumed", keyTenant, "a"), 1)
}

func TestConcurrencyLimitBacksOffWithoutPause(t *testing.T) {
	_, js := connect(t, startNATS(t))
	// The org holds one request at a time for 200 ms; a second one in
	// that time gets a concurrency 429 (limit and remaining 0).
	acme := newOrg(t, testToken, oktasim.WithLatency(200*time.Millisecond),
		oktasim.WithLimits(oktasim.Limits{Concurrent: 1}))
	log, logs := observed(t)
	cfg := testConfig()
	cfg.Concurrency = 2
	cfg.MinPause, cfg.MaxPause = 100*time.Millisecond, time.Second
	cfg.MaxRateLimitPauses = 10
	startWorker(t, js, []Tenant{{Name: "acme", Okta: acme.client}}, cfg, WithLogger(log))

	for _, id := range []string{"c-1", "c-2"} {
		request(t, js, "okta.requests.acme.list_type_id_options", id, map[string]any{"id": id})
	}
	for _, id := range []string{"c-1", "c-2"} {
		r := awaitReply(t, js, id)
		assert.True(t, r.Success, "%s: %+v", id, r.Error)
	}
	assert.NotEmpty(t, logs.FilterMessage("okta concurrency limit reached, backing off").All())
	assert.Empty(t, logs.FilterMessage("tenant paused after okta rate limit").All(),
		"a concurrency 429 does not pause the tenant")
}

func TestPauseFor(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	limited := func(limit int, reset, date time.Time) *okta.Error {
		return &okta.Error{HTTPStatus: 429, Code: "E0000047", RateLimit: okta.RateLimit{
			Limit: limit, Remaining: 0, Reset: reset, Date: date, OK: !reset.IsZero(),
		}}
	}
	noJitter := func(time.Duration) time.Duration { return 0 }
	fullJitter := func(d time.Duration) time.Duration { return d / 10 }
	lo, hi := time.Second, time.Minute
	tests := []struct {
		name   string
		err    *okta.Error
		jitter func(time.Duration) time.Duration
		want   time.Duration
	}{
		{name: "until the reset on okta's clock",
			// Okta's clock is 30 s behind ours: its Date counts, not ours.
			err:    limited(600, now.Add(10*time.Second), now.Add(-30*time.Second)),
			jitter: noJitter, want: 40*time.Second + okta.ResetMargin},
		{name: "jitter adds up to a tenth",
			err:    limited(600, now.Add(20*time.Second), now),
			jitter: fullJitter, want: (20*time.Second + okta.ResetMargin) * 11 / 10},
		{name: "capped", err: limited(600, now.Add(time.Hour), now),
			jitter: fullJitter, want: hi},
		{name: "reset in the past waits the floor",
			err:    limited(600, now.Add(-time.Hour), now),
			jitter: noJitter, want: lo},
		{name: "no headers waits the floor", err: limited(0, time.Time{}, time.Time{}),
			jitter: noJitter, want: lo},
		{name: "no okta error waits the floor", jitter: noJitter, want: lo},
		{name: "concurrency 429 waits the floor",
			err:    limited(0, now.Add(30*time.Second), now),
			jitter: noJitter, want: lo},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, pauseFor(tt.err, now, lo, hi, tt.jitter))
		})
	}
	for range 100 {
		d := tenthJitter(time.Second)
		require.True(t, d >= 0 && d <= 100*time.Millisecond, "jitter %v", d)
	}
}

func TestGate(t *testing.T) {
	g := newGate()
	ctx := context.Background()
	require.NoError(t, g.wait(ctx), "a new gate is open")

	until := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	require.True(t, g.close(until))
	require.False(t, g.close(until.Add(time.Hour)), "a closed gate keeps its deadline")
	assert.Equal(t, until, g.deadline())
	select {
	case <-g.closed:
	default:
		t.Fatal("closing did not notify the pause loop")
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	assert.ErrorIs(t, g.wait(cancelled), context.Canceled, "waits while closed")

	released := make(chan error, 1)
	go func() { released <- g.wait(ctx) }()
	g.open()
	select {
	case err := <-released:
		assert.NoError(t, err)
	case <-time.After(waitFor):
		t.Fatal("open did not release the waiter")
	}
	assert.True(t, g.close(until), "an opened gate can close again")
}
