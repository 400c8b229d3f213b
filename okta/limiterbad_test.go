package okta

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// badConfig bounds the waits of the bad-header tests to [1s, 10s].
var badConfig = LimiterConfig{MinWait: time.Second, MaxWait: 10 * time.Second}

// TestLimiterBadHeaders answers one request at t0+2s (sent at the same
// instant, Date 2s unless the case says otherwise, so that the wait is
// measured from the answer) with headers as a broken Okta or a proxy
// might send them, parsed as the client parses them. Each case must end
// in a bounded wait; the waits measured on Okta's clock get the 20ms
// margin on top.
func TestLimiterBadHeaders(t *testing.T) {
	ms := time.Millisecond
	date := httpDate(2 * time.Second)
	tests := []struct {
		name       string
		status     int
		header     http.Header
		wait, max  time.Duration // the expected wait, or range
		bad        int64         // BadHeaders counted
		tooMany    int64         // TooManyRequests counted
		wantOffset bool          // the answer's Date narrowed the clock estimate
	}{
		{name: "429 with a reset before Date", status: 429,
			header: header("Date", date, "X-Rate-Limit-Limit", "600",
				"X-Rate-Limit-Remaining", "0", "X-Rate-Limit-Reset", epoch(time.Second)),
			wait: 1020 * ms, max: 1120 * ms, bad: 1, tooMany: 1, wantOffset: true},
		{name: "429 with a reset equal to Date", status: 429,
			header: header("Date", date, "X-Rate-Limit-Limit", "600",
				"X-Rate-Limit-Remaining", "0", "X-Rate-Limit-Reset", epoch(2*time.Second)),
			wait: 1020 * ms, max: 1120 * ms, bad: 1, tooMany: 1, wantOffset: true},
		{name: "429 with a reset days away", status: 429,
			header: header("Date", date, "X-Rate-Limit-Limit", "600",
				"X-Rate-Limit-Remaining", "0", "X-Rate-Limit-Reset", epoch(72*time.Hour)),
			wait: 9020 * ms, max: 10020 * ms, bad: 1, tooMany: 1, wantOffset: true},
		{name: "200 spending the last unit with a reset days away", status: 200,
			header: header("Date", date, "X-Rate-Limit-Limit", "600",
				"X-Rate-Limit-Remaining", "0", "X-Rate-Limit-Reset", epoch(72*time.Hour)),
			wait: 9020 * ms, max: 10020 * ms, bad: 1, wantOffset: true},
		{name: "429 with a repeated reset header", status: 429,
			header: header("Date", date, "X-Rate-Limit-Limit", "600",
				"X-Rate-Limit-Remaining", "0", "X-Rate-Limit-Reset", "soon",
				"X-Rate-Limit-Reset", epoch(5*time.Second)),
			wait: 3020 * ms, tooMany: 1, wantOffset: true},
		{name: "429 with conflicting repeated resets: the first counts", status: 429,
			header: header("Date", date, "X-Rate-Limit-Limit", "600",
				"X-Rate-Limit-Remaining", "0", "X-Rate-Limit-Reset", epoch(5*time.Second),
				"X-Rate-Limit-Reset", epoch(time.Hour)),
			wait: 3020 * ms, tooMany: 1, wantOffset: true},
		{name: "429 with an unparseable limit", status: 429,
			header: header("Date", date, "X-Rate-Limit-Limit", "ten",
				"X-Rate-Limit-Remaining", "0", "X-Rate-Limit-Reset", epoch(5*time.Second)),
			wait: time.Second, max: 1100 * ms, bad: 1, tooMany: 1, wantOffset: true},
		{name: "429 without any header (a proxy)", status: 429, header: header(),
			wait: time.Second, max: 1100 * ms, bad: 1, tooMany: 1},
		{name: "429 with an unparseable Date", status: 429,
			header: header("Date", "yesterday", "X-Rate-Limit-Limit", "600",
				"X-Rate-Limit-Remaining", "0", "X-Rate-Limit-Reset", epoch(5*time.Second)),
			// Okta's time comes from the estimate [-10ms, 10ms]: the reset
			// is at most 5.01s local.
			wait: 3030 * ms, tooMany: 1},
		{name: "429 that says units are left", status: 429,
			header: header("Date", date, "X-Rate-Limit-Limit", "600",
				"X-Rate-Limit-Remaining", "42", "X-Rate-Limit-Reset", epoch(5*time.Second)),
			wait: 3020 * ms, tooMany: 1, wantOffset: true},
		{name: "200 with a limit of 0 that is not a concurrency 429", status: 200,
			header: header("Date", date, "X-Rate-Limit-Limit", "0",
				"X-Rate-Limit-Remaining", "5", "X-Rate-Limit-Reset", epoch(5*time.Second)),
			wait: 0, bad: 1, wantOffset: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rl := ParseRateLimit(tt.header)
			steps := withNarrowed(
				step{at: 2 * time.Second, op: take(bUsers)},
				step{at: 2 * time.Second, op: answer(bUsers, 2*time.Second, tt.status, rl)},
				step{at: 2 * time.Second, op: delay(bUsers), wait: tt.wait, waitMax: tt.max,
					check: func(t *testing.T, s LimiterStats, label string) {
						assert.Equal(t, tt.bad, s.BadHeaders, "%s: bad headers", label)
						assert.Equal(t, tt.tooMany, s.TooManyRequests, "%s: 429s", label)
						assert.Zero(t, s.InFlight, label)
						low := -10 * ms
						if tt.wantOffset {
							low = 0
						}
						assert.Equal(t, low, s.ClockOffset.Low, "%s: clock estimate", label)
					}},
			)
			runSteps(t, newTestLimiter(t, badConfig, 1), steps)
		})
	}
}

// TestLimiterBadHeaderBackoffGrows answers 429 without headers again
// and again, each time to a request sent when the previous backoff
// ended: the backoff doubles from the floor up to the cap and stays
// there, and an answer with usable headers starts it again from the
// floor.
func TestLimiterBadHeaderBackoffGrows(t *testing.T) {
	l := newTestLimiter(t, badConfig, 3)
	now := lt0
	wants := []time.Duration{1, 2, 4, 8, 10, 10}
	for i, w := range wants {
		lo, hi := w*time.Second*9/10, min(w*time.Second*11/10, 10*time.Second)
		if w < 10 {
			lo = w * time.Second
		}
		_, ok := l.TakeAt(now, bUsers)
		require.True(t, ok, "request %d", i)
		l.ObserveAt(bUsers, Observation{Sent: now, Received: now, Status: 429})
		d := l.DelayAt(now, bUsers)
		assert.GreaterOrEqual(t, d, lo, "backoff %d", i)
		assert.LessOrEqual(t, d, hi, "backoff %d", i)
		now = now.Add(d)
	}

	_, ok := l.TakeAt(now, bUsers)
	require.True(t, ok)
	l.ObserveAt(bUsers, Observation{Sent: now, Received: now, Status: 200,
		RateLimit: RateLimit{Limit: 600, Remaining: 500,
			Reset: now.Add(5 * time.Second).Truncate(time.Second),
			Date:  now.Truncate(time.Second), OK: true}})
	_, ok = l.TakeAt(now, bUsers)
	require.True(t, ok)
	l.ObserveAt(bUsers, Observation{Sent: now, Received: now, Status: 429})
	d := l.DelayAt(now, bUsers)
	assert.GreaterOrEqual(t, d, time.Second)
	assert.LessOrEqual(t, d, 1100*time.Millisecond)
}

// TestLimiterBackoffOfOneBurst answers 429 without headers to three
// requests sent together: they are one signal, so one backoff at the
// floor, not three growing ones.
func TestLimiterBackoffOfOneBurst(t *testing.T) {
	l := newTestLimiter(t, badConfig, 1)
	// No headers on a 200 make the bucket unlimited, so three go at once.
	l.ObserveAt(bUsers, Observation{Sent: lt0, Received: lt0, Status: 200})
	for i := range 3 {
		_, ok := l.TakeAt(lt0, bUsers)
		require.True(t, ok, "request %d", i)
	}
	for i := range 3 {
		at := lt0.Add(time.Duration(i+1) * 10 * time.Millisecond)
		l.ObserveAt(bUsers, Observation{Sent: lt0, Received: at, Status: 429})
	}
	d := l.DelayAt(lt0.Add(30*time.Millisecond), bUsers)
	assert.GreaterOrEqual(t, d, time.Second-20*time.Millisecond)
	assert.LessOrEqual(t, d, 1100*time.Millisecond-20*time.Millisecond)
	assert.Equal(t, int64(3), l.Stats().TooManyRequests)
}

func TestLimiterBackoffIsJittered(t *testing.T) {
	seen := map[time.Duration]bool{}
	for seed := range uint64(10) {
		l := newTestLimiter(t, badConfig, seed)
		_, ok := l.TakeAt(lt0, bUsers)
		require.True(t, ok)
		l.ObserveAt(bUsers, Observation{Sent: lt0, Received: lt0, Status: 429})
		d := l.DelayAt(lt0, bUsers)
		require.GreaterOrEqual(t, d, time.Second)
		require.LessOrEqual(t, d, 1100*time.Millisecond)
		seen[d] = true
	}
	assert.Greater(t, len(seen), 5, "replicas hit by one proxy do not all come back at once")
}

func TestLimiterAnswerWithoutHeadersInAKnownWindow(t *testing.T) {
	ms := time.Millisecond
	steps := withNarrowed(
		step{at: 2 * time.Second, op: take(bUsers)},
		step{at: 2 * time.Second, op: answer(bUsers, 2*time.Second, 200,
			rlAt(600, 5, time.Minute, 2*time.Second))},
		step{at: 2 * time.Second, op: take(bUsers)},
		// A 404 from something in between, without Okta's headers: the
		// unit is counted as spent, the window stays.
		step{at: 2010 * ms, op: answer(bUsers, 2*time.Second, 404, RateLimit{}),
			check: bucketIs(bUsers, BucketStats{Limit: 600, Remaining: 4,
				Reset: lt0.Add(time.Minute)})},
		// The four units left are paced over the minute: the next goes 12s
		// later. No answer at all (a timeout) counts as spent too: Okta
		// may have counted it.
		step{at: 14 * time.Second, op: take(bUsers)},
		step{at: 15 * time.Second, op: answer(bUsers, 14*time.Second, 0, RateLimit{}),
			check: func(t *testing.T, s LimiterStats, label string) {
				bucketIs(bUsers, BucketStats{Limit: 600, Remaining: 3,
					Reset: lt0.Add(time.Minute)})(t, s, label)
				assert.Equal(t, int64(1), s.NoAnswer, label)
			}},
	)
	runSteps(t, newTestLimiter(t, LimiterConfig{}, 1), steps)
}

// concurrency429 is a concurrency 429 stamped at Okta's t0+date.
func concurrency429(date time.Duration) RateLimit {
	return RateLimit{Reset: lt0.Add(date + 3*time.Second), Date: lt0.Add(date), OK: true}
}

// TestLimiterConcurrency drives the tenant into Okta's concurrency limit
// with four requests in flight: the cap is halved, the tenant backs off
// briefly (ConcurrencyWait 400ms: [200ms, 400ms], then [400ms, 800ms]),
// and the cap grows back by one per three good answers until it is
// lifted. The bucket has no rate-limit headers, so only the concurrency
// rules hold requests back.
func TestLimiterConcurrency(t *testing.T) {
	ms := time.Millisecond
	capIs := func(want, inFlight int) func(*testing.T, LimiterStats, string) {
		return func(t *testing.T, s LimiterStats, label string) {
			assert.Equal(t, want, s.InFlightCap, "%s: cap", label)
			assert.Equal(t, inFlight, s.InFlight, "%s: in flight", label)
		}
	}
	ok := RateLimit{}
	steps := []step{
		{at: 0, op: take(bByID)},
		{at: 10 * ms, op: answer(bByID, 0, 200, ok)},
		{at: 20 * ms, op: take(bByID)},
		{at: 20 * ms, op: take(bByID)},
		{at: 20 * ms, op: take(bByID)},
		{at: 20 * ms, op: take(bByID), check: capIs(0, 4)},
		{at: 30 * ms, op: answer(bByID, 20*ms, 429, concurrency429(0)), check: capIs(2, 3)},
		{at: 30 * ms, op: delay(bByID), wait: 200 * ms, waitMax: 400 * ms},
		{at: 30 * ms, op: delay(bUsers), wait: 200 * ms, waitMax: 400 * ms},
		// The other requests of the same burst change nothing.
		{at: 35 * ms, op: answer(bByID, 20*ms, 429, concurrency429(0)), check: capIs(2, 2)},
		{at: 40 * ms, op: answer(bByID, 20*ms, 200, ok), check: capIs(2, 1)},
		{at: 450 * ms, op: take(bByID), check: capIs(2, 2)},
		{at: 450 * ms, op: delay(bByID), wait: DefaultMaxWait},
		// A concurrency 429 to a request sent after the backoff is a new
		// one: the cap halves again and the backoff doubles.
		{at: 460 * ms, op: answer(bByID, 450*ms, 429, concurrency429(0)), check: capIs(1, 1)},
		{at: 460 * ms, op: delay(bByID), wait: 400 * ms, waitMax: 800 * ms},
		{at: 1300 * ms, op: delay(bByID), wait: DefaultMaxWait},
		{at: 1300 * ms, op: answer(bByID, 20*ms, 200, ok), check: capIs(1, 0)},
	}
	// Good answers, one at a time (the one at 1.3s was the first since
	// the cut): the cap grows by one per three, back to the level of the
	// first cut (4), where it is lifted.
	at := 1400 * ms
	for i, want := range []int{1, 2, 2, 2, 3, 3, 3, 0} {
		steps = append(steps,
			step{at: at, op: take(bByID)},
			step{at: at + 5*ms, op: answer(bByID, at, 200, ok), check: capIs(want, 0)})
		at += time.Duration(i+1) * 10 * ms
	}
	cfg := LimiterConfig{ConcurrencyWait: 400 * ms, RecoverAfter: 3}
	runSteps(t, newTestLimiter(t, cfg, 1), steps)
}

// TestLimiterConcurrencyLeavesBucketsAlone shows that a concurrency 429
// (limit 0) is not a bucket's state: the window it lands in keeps its
// count, nothing divides by its zero limit, and the tenant waits well
// under a second, not until the window resets.
func TestLimiterConcurrencyLeavesBucketsAlone(t *testing.T) {
	ms := time.Millisecond
	steps := withNarrowed(
		step{at: 2 * time.Second, op: take(bUsers)},
		step{at: 2 * time.Second, op: answer(bUsers, 2*time.Second, 200,
			rlAt(600, 500, time.Minute, 2*time.Second))},
		step{at: 2100 * ms, op: take(bUsers)},
		step{at: 2110 * ms, op: answer(bUsers, 2100*ms, 429, concurrency429(2*time.Second)),
			check: func(t *testing.T, s LimiterStats, label string) {
				bucketIs(bUsers, BucketStats{Limit: 600, Remaining: 500,
					Reset: lt0.Add(time.Minute)})(t, s, label)
				assert.Equal(t, int64(1), s.ConcurrencyLimited, label)
				assert.Zero(t, s.TooManyRequests, label)
			}},
		step{at: 2110 * ms, op: delay(bUsers), wait: DefaultConcurrencyWait / 2,
			waitMax: DefaultConcurrencyWait},
	)
	runSteps(t, newTestLimiter(t, LimiterConfig{}, 1), steps)
}

func TestLimiterConfigValidation(t *testing.T) {
	tests := []struct {
		name string
		cfg  LimiterConfig
	}{
		{"negative reserve", LimiterConfig{ReservePercent: -1}},
		{"a reserve of everything", LimiterConfig{ReservePercent: 100}},
		{"floor above cap", LimiterConfig{MinWait: time.Minute, MaxWait: time.Second}},
		{"negative concurrency wait", LimiterConfig{ConcurrencyWait: -time.Second}},
		{"negative margin", LimiterConfig{Margin: -time.Millisecond}},
		{"negative in-flight cap", LimiterConfig{MaxInFlight: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewLimiter(tt.cfg)
			require.ErrorIs(t, err, ErrInvalidConfig)
		})
	}
	l, err := NewLimiter(LimiterConfig{})
	require.NoError(t, err)
	assert.Equal(t, LimiterConfig{MinWait: DefaultMinWait, MaxWait: DefaultMaxWait,
		ConcurrencyWait: DefaultConcurrencyWait, RecoverAfter: DefaultRecoverAfter,
		Margin: DefaultLimiterMargin}, l.Config())
}
