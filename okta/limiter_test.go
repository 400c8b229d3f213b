package okta

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Short names for the buckets in step tables.
const (
	bUsers = BucketUsers
	bByID  = BucketUserByID
)

// step is one row of a limiter step table: at a fixed local instant
// (lt0+at) something happens to the limiter, and then it is checked.
type step struct {
	at time.Duration
	op stepOp

	// wait is the delay take or delay expect (0: the request goes);
	// waitMax, when set, makes it a range [wait, waitMax].
	wait, waitMax time.Duration

	// check, when set, inspects the limiter after the step.
	check func(t *testing.T, s LimiterStats, label string)
}

// stepOp is what a step does to a limiter.
type stepOp struct {
	kind   string // "take", "delay", "answer" or "cancel"
	bucket Bucket

	// For answers: when the request was sent, and what came back.
	sent   time.Duration
	status int
	rl     RateLimit
}

// take asks for a request of b (TakeAt); delay only asks how long it
// would wait (DelayAt); cancel gives a taken request back.
func take(b Bucket) stepOp   { return stepOp{kind: "take", bucket: b} }
func delay(b Bucket) stepOp  { return stepOp{kind: "delay", bucket: b} }
func cancel(b Bucket) stepOp { return stepOp{kind: "cancel", bucket: b} }

// answer reports the answer to a request of b sent at lt0+sent.
func answer(b Bucket, sent time.Duration, status int, rl RateLimit) stepOp {
	return stepOp{kind: "answer", bucket: b, sent: sent, status: status, rl: rl}
}

// rlAt is the rate-limit state of an answer stamped at Okta's instant
// lt0+date (truncated to the second, as Date is), for a window that
// resets at lt0+reset.
func rlAt(limit, remaining int, reset, date time.Duration) RateLimit {
	return RateLimit{Limit: limit, Remaining: remaining, Reset: lt0.Add(reset),
		Date: lt0.Add(date).Truncate(time.Second), OK: true}
}

// runSteps runs a step table against l, naming the failing step.
func runSteps(t *testing.T, l *Limiter, steps []step) {
	t.Helper()
	for i, s := range steps {
		now := lt0.Add(s.at)
		label := fmt.Sprintf("step %d (%s %s at t0+%v)", i, s.op.kind, s.op.bucket, s.at)
		switch s.op.kind {
		case "take":
			d, ok := l.TakeAt(now, s.op.bucket)
			checkWait(t, s, d, label)
			assert.Equal(t, s.wait == 0, ok, "%s: taken", label)
		case "delay":
			checkWait(t, s, l.DelayAt(now, s.op.bucket), label)
		case "answer":
			l.ObserveAt(s.op.bucket, Observation{Sent: lt0.Add(s.op.sent), Received: now,
				Status: s.op.status, RateLimit: s.op.rl})
		case "cancel":
			l.CancelAt(now, s.op.bucket)
		default:
			t.Fatalf("%s: unknown op", label)
		}
		if s.check != nil {
			s.check(t, l.Stats(), label)
		}
	}
}

// checkWait compares a delay with the step's expectation.
func checkWait(t *testing.T, s step, d time.Duration, label string) {
	t.Helper()
	if s.waitMax == 0 {
		assert.Equal(t, s.wait, d, "%s: wait", label)
		return
	}
	assert.GreaterOrEqual(t, d, s.wait, "%s: wait", label)
	assert.LessOrEqual(t, d, s.waitMax, "%s: wait", label)
}

// bucketIs checks one bucket's state.
func bucketIs(b Bucket, want BucketStats) func(*testing.T, LimiterStats, string) {
	return func(t *testing.T, s LimiterStats, label string) {
		t.Helper()
		got := s.Buckets[b]
		assert.Equal(t, want.Limit, got.Limit, "%s: limit", label)
		assert.Equal(t, want.Remaining, got.Remaining, "%s: remaining", label)
		assert.Equal(t, want.Reset, got.Reset, "%s: reset", label)
		assert.Equal(t, want.InFlight, got.InFlight, "%s: in flight", label)
	}
}

// newTestLimiter returns a limiter with a seeded jitter source.
func newTestLimiter(t *testing.T, cfg LimiterConfig, seed uint64) *Limiter {
	t.Helper()
	l, err := NewLimiter(cfg, WithLimiterRand(rand.New(rand.NewPCG(seed, seed))))
	require.NoError(t, err)
	return l
}

// narrowed are steps that leave the limiter's estimate of Okta's clock
// at [-10ms, +10ms] around the local one (the true offset is 0), with a
// round trip of 10ms: two answers of another bucket, one stamped just
// after a tick and one just before the next. Tables that are not about
// the clock start with them, so that their waits are exact.
var narrowed = []step{
	{at: 0, op: take(bByID)},
	{at: 10 * time.Millisecond, op: answer(bByID, 0, 200, rlAt(1000, 999, 10*time.Second, 0))},
	{at: 990 * time.Millisecond, op: take(bByID)},
	{at: time.Second, op: answer(bByID, 990*time.Millisecond, 200,
		rlAt(1000, 998, 10*time.Second, 0))},
}

// withNarrowed prefixes steps with the narrowed clock.
func withNarrowed(steps ...step) []step {
	return append(append([]step(nil), narrowed...), steps...)
}

// margin is the default margin of a limiter, for expected waits.
const margin = DefaultLimiterMargin

func TestLimiterWindowState(t *testing.T) {
	r1, r2 := 60*time.Second, 120*time.Second
	ms := time.Millisecond
	steps := []step{
		{at: 10 * ms, op: answer(bUsers, 0, 200, rlAt(10, 9, r1, 0)),
			check: bucketIs(bUsers, BucketStats{Limit: 10, Remaining: 9, Reset: lt0.Add(r1)})},
		{at: 1010 * ms, op: answer(bUsers, time.Second, 200, rlAt(10, 6, r1, time.Second)),
			check: bucketIs(bUsers, BucketStats{Limit: 10, Remaining: 6, Reset: lt0.Add(r1)})},
		// An answer overtaken by a later one of the same window reports
		// more remaining; the lowest count stands.
		{at: 1020 * ms, op: answer(bUsers, 900*ms, 200, rlAt(10, 7, r1, time.Second)),
			check: bucketIs(bUsers, BucketStats{Limit: 10, Remaining: 6, Reset: lt0.Add(r1)})},
		// A later reset is a new window and replaces the old one whole.
		{at: 61010 * ms, op: answer(bUsers, 61*time.Second, 200, rlAt(10, 9, r2, 61*time.Second)),
			check: bucketIs(bUsers, BucketStats{Limit: 10, Remaining: 9, Reset: lt0.Add(r2)})},
		// A late answer from the old window changes nothing.
		{at: 61020 * ms, op: answer(bUsers, 59*time.Second, 200, rlAt(10, 1, r1, 59*time.Second)),
			check: func(t *testing.T, s LimiterStats, label string) {
				bucketIs(bUsers, BucketStats{Limit: 10, Remaining: 9, Reset: lt0.Add(r2)})(t, s, label)
				assert.Equal(t, int64(1), s.StaleAnswers, label)
			}},
		// A remaining count above the limit is cut to the limit, and a
		// new limit within the window is taken as it comes.
		{at: 62 * time.Second,
			op:    answer(bUsers, 61*time.Second, 200, rlAt(20, 25, r2, 61*time.Second)),
			check: bucketIs(bUsers, BucketStats{Limit: 20, Remaining: 9, Reset: lt0.Add(r2)})},
		// Another bucket is another state.
		{at: 63 * time.Second,
			op: answer(bByID, 62*time.Second, 200, rlAt(100, 99, 90*time.Second, 62*time.Second)),
			check: func(t *testing.T, s LimiterStats, label string) {
				byID := BucketStats{Limit: 100, Remaining: 99, Reset: lt0.Add(90 * time.Second)}
				bucketIs(bByID, byID)(t, s, label)
				users := BucketStats{Limit: 20, Remaining: 9, Reset: lt0.Add(r2)}
				bucketIs(bUsers, users)(t, s, label)
			}},
	}
	runSteps(t, newTestLimiter(t, LimiterConfig{}, 1), steps)
}

func TestLimiterProbesAnUnknownWindow(t *testing.T) {
	ms := time.Millisecond
	steps := withNarrowed(
		// Nothing is known about the users bucket: one request goes to find
		// out, and the next waits for its answer (at most MaxWait).
		step{at: 1100 * ms, op: take(bUsers),
			check: bucketIs(bUsers, BucketStats{InFlight: 1})},
		step{at: 1100 * ms, op: delay(bUsers), wait: DefaultMaxWait},
		step{at: 1100 * ms, op: take(bByID)},
		step{at: 1110 * ms,
			op: answer(bUsers, 1100*ms, 200, rlAt(600, 599, 60*time.Second, time.Second))},
		step{at: 1110 * ms, op: take(bUsers)},
		// A request taken and given back unsent leaves no trace.
		step{at: 1110 * ms, op: cancel(bUsers),
			check: bucketIs(bUsers, BucketStats{Limit: 600, Remaining: 599,
				Reset: lt0.Add(time.Minute)})},
		// When the window is surely over (its reset, less the lowest
		// offset, plus the margin), one request goes again to find the next.
		step{at: 60*time.Second + 10*ms + margin, op: take(bUsers)},
		step{at: 60*time.Second + 10*ms + margin, op: delay(bUsers), wait: DefaultMaxWait},
	)
	runSteps(t, newTestLimiter(t, LimiterConfig{}, 1), steps)
}

// TestLimiterLastUnit spends a window of three to the last unit: the
// last goes before the reset, paced, and the next waits exactly until the
// reset converted to the local clock (reset minus the lowest offset,
// -10ms, plus the margin).
func TestLimiterLastUnit(t *testing.T) {
	ms := time.Millisecond
	reset := 10 * time.Second
	end := reset + 10*ms + margin
	steps := withNarrowed(
		step{at: 1000 * ms, op: take(bUsers)},
		step{at: 1010 * ms, op: answer(bUsers, 1000*ms, 200, rlAt(3, 1, reset, time.Second))},
		// The unit left is paced over the time to the reset: it goes when
		// its token is due, half way, and not before.
		step{at: 1010 * ms, op: delay(bUsers), wait: 0},
		step{at: 1010 * ms, op: take(bUsers)},
		step{at: 1010 * ms, op: delay(bUsers), wait: end - 1010*ms,
			check: bucketIs(bUsers, BucketStats{Limit: 3, Remaining: 1,
				Reset: lt0.Add(reset), InFlight: 1})},
		step{at: 1020 * ms, op: answer(bUsers, 1010*ms, 200, rlAt(3, 0, reset, time.Second))},
		step{at: 1020 * ms, op: delay(bUsers), wait: end - 1020*ms},
		step{at: end - ms, op: delay(bUsers), wait: ms},
		step{at: end, op: take(bUsers),
			check: func(t *testing.T, s LimiterStats, label string) {
				assert.Zero(t, s.TooManyRequests, label)
			}},
	)
	runSteps(t, newTestLimiter(t, LimiterConfig{}, 1), steps)
}

// TestLimiterReserve keeps 10% of a limit of 25, rounded up: 3 units.
func TestLimiterReserve(t *testing.T) {
	ms := time.Millisecond
	reset := 20 * time.Second
	end := reset + 10*ms + margin
	steps := withNarrowed(
		step{at: 1000 * ms, op: take(bUsers)},
		step{at: 1010 * ms, op: answer(bUsers, 1000*ms, 200, rlAt(25, 4, reset, time.Second))},
		step{at: 1010 * ms, op: take(bUsers)},
		// The next request would spend a unit of the reserve.
		step{at: 1010 * ms, op: delay(bUsers), wait: end - 1010*ms},
		step{at: 1020 * ms, op: answer(bUsers, 1010*ms, 200, rlAt(25, 3, reset, time.Second))},
		step{at: 1020 * ms, op: delay(bUsers), wait: end - 1020*ms},
		step{at: 15 * time.Second, op: delay(bUsers), wait: end - 15*time.Second},
	)
	runSteps(t, newTestLimiter(t, LimiterConfig{ReservePercent: 10}, 1), steps)
}

func TestLimiterPacesAcrossTheWindow(t *testing.T) {
	l := newTestLimiter(t, LimiterConfig{}, 1)
	runSteps(t, l, narrowed)

	// One worker asks whenever its limiter lets it, and every answer
	// comes 10ms later: the ten units left are spread over the ten
	// seconds to the reset, all sent before it.
	now, reset := lt0.Add(time.Second), lt0.Add(11*time.Second)
	remaining := 11
	var sends []time.Time
	for now.Before(reset.Add(time.Second)) && len(sends) < 20 {
		d, ok := l.TakeAt(now, bUsers)
		if !ok {
			now = now.Add(d)
			continue
		}
		sends = append(sends, now)
		remaining--
		now = now.Add(10 * time.Millisecond)
		l.ObserveAt(bUsers, Observation{Sent: sends[len(sends)-1], Received: now, Status: 200,
			RateLimit: RateLimit{Limit: 11, Remaining: remaining, Reset: reset,
				Date: now.Truncate(time.Second), OK: true}})
	}
	require.Len(t, sends, 12, "the eleven units of the window, then the next window's probe")
	assert.True(t, sends[10].Before(reset), "the last unit goes before the reset")
	assert.False(t, sends[11].Before(reset), "nothing goes between the last unit and the reset")
	for i := 2; i <= 10; i++ {
		gap := sends[i].Sub(sends[i-1])
		assert.InDelta(t, time.Second, gap, float64(150*time.Millisecond), "gap %d", i)
	}
}

func TestLimiterClockSkew(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name string
		skew time.Duration
	}{
		{"okta 45s ahead", 45 * time.Second},
		{"okta 45s behind", -45 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Okta's answer at local t0+10ms is stamped with Okta's time and
			// spends the bucket until 30s later on Okta's clock. The wait is
			// 30s (less the 10ms elapsed, plus the 10ms the Date may lag the
			// answer, plus the margin), whatever the skew.
			rl := RateLimit{Limit: 2, Remaining: 0, Reset: lt0.Add(tt.skew + 30*time.Second),
				Date: lt0.Add(tt.skew), OK: true}
			steps := []step{
				{at: 0, op: take(bUsers)},
				{at: 10 * ms, op: answer(bUsers, 0, 200, rl)},
				{at: 10 * ms, op: delay(bUsers), wait: 30*time.Second + margin},
			}
			runSteps(t, newTestLimiter(t, LimiterConfig{}, 1), steps)
		})
	}
}

// TestLimiterLastUnitFindsTheTick shows the last unit of a window waiting
// for the instant the estimate of Okta's clock puts the reset at, while
// the estimate is wide, and halving the estimate with its answer.
func TestLimiterLastUnitFindsTheTick(t *testing.T) {
	ms := time.Millisecond
	reset := 10 * time.Second
	steps := []step{
		{at: 0, op: take(bUsers)},
		// The estimate is [-10ms, +1s]: Okta's reset may come, on the local
		// clock, anywhere from 9s to 10.01s.
		{at: 10 * ms, op: answer(bUsers, 0, 200, rlAt(3, 1, reset, 0))},
		{at: 10 * ms, op: take(bUsers), wait: reset - 495*ms - 10*ms},
		{at: reset - 495*ms, op: take(bUsers)},
		// Okta's clock is the local one: the request lands before the
		// tick, in the old window, whose unit it spends.
		{at: reset - 490*ms, op: answer(bUsers, reset-495*ms, 200, rlAt(3, 0, reset, 9*time.Second)),
			check: func(t *testing.T, s LimiterStats, label string) {
				assert.Equal(t, -10*ms, s.ClockOffset.Low, label)
				assert.Equal(t, 495*ms, s.ClockOffset.High, label)
				assert.Zero(t, s.TooManyRequests, label)
			}},
	}
	runSteps(t, newTestLimiter(t, LimiterConfig{}, 1), steps)
}

func TestLimiterIsolation(t *testing.T) {
	busy := newTestLimiter(t, LimiterConfig{}, 1)
	idle := newTestLimiter(t, LimiterConfig{}, 2)
	runSteps(t, busy, withNarrowed(
		step{at: time.Second, op: take(bUsers)},
		step{at: 1010 * time.Millisecond, op: answer(bUsers, time.Second, 429,
			rlAt(600, 0, time.Minute, time.Second))},
		step{at: 1100 * time.Millisecond, op: take(bByID)},
		step{at: 1110 * time.Millisecond, op: answer(bByID, 1100*time.Millisecond, 429,
			RateLimit{Reset: lt0.Add(3 * time.Second), Date: lt0.Add(time.Second), OK: true})},
		step{at: 1110 * time.Millisecond, op: delay(bUsers),
			wait: 200 * time.Millisecond, waitMax: time.Minute},
	))
	for _, b := range []Bucket{bUsers, bByID, BucketUserUpdate, BucketGeneric} {
		assert.Zero(t, idle.DelayAt(lt0.Add(1110*time.Millisecond), b), "bucket %s", b)
	}
	s := idle.Stats()
	assert.Zero(t, s.TooManyRequests+s.ConcurrencyLimited)
	assert.Zero(t, s.InFlightCap)
	assert.Empty(t, s.Buckets)
}

// header builds response headers from name-value pairs; a name may come
// more than once.
func header(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

// epoch returns lt0+d in epoch seconds, as X-Rate-Limit-Reset carries it.
func epoch(d time.Duration) string { return strconv.FormatInt(lt0.Add(d).Unix(), 10) }

// httpDate returns lt0+d as a Date header.
func httpDate(d time.Duration) string { return lt0.Add(d).Format(http.TimeFormat) }
