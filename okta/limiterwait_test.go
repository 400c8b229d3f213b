package okta

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/okta-worker/okta-worker/okta/oktasim"
)

// eventLog collects a limiter's events.
type eventLog struct {
	mu     sync.Mutex
	events []LimiterEvent
}

func (e *eventLog) add(ev LimiterEvent) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.events = append(e.events, ev)
}

func (e *eventLog) all() []LimiterEvent {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]LimiterEvent(nil), e.events...)
}

// newClockedLimiter returns a limiter on a fake clock at lt0 that logs
// its events.
func newClockedLimiter(t *testing.T) (*Limiter, *clockwork.FakeClock, *eventLog) {
	t.Helper()
	clock := clockwork.NewFakeClockAt(lt0)
	log := &eventLog{}
	l, err := NewLimiter(LimiterConfig{}, WithLimiterClock(clock), WithLimiterEvents(log.add))
	require.NoError(t, err)
	return l, clock, log
}

// blockUntil waits, for at most ten seconds of real time, until n
// goroutines wait on the fake clock.
func blockUntil(t *testing.T, clock *clockwork.FakeClock, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, clock.BlockUntilContext(ctx, n), "waiting for %d waiters", n)
}

// waitAsync calls Wait in a goroutine and delivers the permit.
func waitAsync(ctx context.Context, l *Limiter, b Bucket) <-chan *Permit {
	ch := make(chan *Permit, 1)
	go func() {
		p, err := l.Wait(ctx, b)
		if err != nil {
			p = nil
		}
		ch <- p
	}()
	return ch
}

// receive returns the permit from ch, failing after ten seconds.
func receive(t *testing.T, ch <-chan *Permit) *Permit {
	t.Helper()
	select {
	case p := <-ch:
		return p
	case <-time.After(10 * time.Second):
		t.Fatal("no permit")
		return nil
	}
}

func TestLimiterWaitThrottlesUntilTheReset(t *testing.T) {
	l, clock, log := newClockedLimiter(t)
	ctx := context.Background()
	p, err := l.Wait(ctx, bUsers)
	require.NoError(t, err)
	p.Done(200, RateLimit{Limit: 2, Remaining: 0, Reset: lt0.Add(10 * time.Second),
		Date: lt0, OK: true})

	// The budget is spent until the reset, 10s on Okta's clock, which the
	// answer (Date t0, received at t0) puts at no later than t0+10s here.
	end := 10*time.Second + margin
	first, second := waitAsync(ctx, l, bUsers), waitAsync(ctx, l, bUsers)
	blockUntil(t, clock, 2)
	events := log.all()
	require.Len(t, events, 1, "two requests waiting for one reset make one report")
	assert.Equal(t, LimiterEvent{Kind: EventThrottle, Bucket: bUsers, Wait: end,
		Until: lt0.Add(end), Limit: 2, Remaining: 0}, events[0])

	clock.Advance(end - time.Millisecond)
	blockUntil(t, clock, 2)
	clock.Advance(time.Millisecond)

	// One request goes to find the new window; the other waits for its
	// answer, and then goes too.
	var probe *Permit
	var other <-chan *Permit
	select {
	case probe = <-first:
		other = second
	case probe = <-second:
		other = first
	case <-time.After(10 * time.Second):
		t.Fatal("no request went at the reset")
	}
	blockUntil(t, clock, 1)
	select {
	case <-other:
		t.Fatal("a second request went before the new window was known")
	default:
	}
	probe.Done(200, RateLimit{Limit: 8, Remaining: 7, Reset: lt0.Add(20 * time.Second),
		Date: lt0.Add(end).Truncate(time.Second), OK: true})
	receive(t, other).Done(200, RateLimit{Limit: 8, Remaining: 6,
		Reset: lt0.Add(20 * time.Second), Date: lt0.Add(end).Truncate(time.Second), OK: true})

	s := l.Stats()
	assert.Equal(t, WaitStats{Count: 2, Time: 2 * end}, s.Throttled)
	assert.Equal(t, int64(1), s.Probing.Count)
	assert.Zero(t, s.TooManyRequests)
	assert.Equal(t, int64(3), s.Requests)
	assert.Zero(t, s.InFlight)
}

func TestLimiterWaitEndsWithTheContext(t *testing.T) {
	l, clock, _ := newClockedLimiter(t)
	p, err := l.Wait(context.Background(), bUsers)
	require.NoError(t, err)
	p.Done(429, RateLimit{Limit: 600, Remaining: 0, Reset: lt0.Add(time.Minute),
		Date: lt0, OK: true})

	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := l.Wait(ctx, bUsers)
		errc <- err
	}()
	blockUntil(t, clock, 1)
	clock.Advance(time.Second)
	blockUntil(t, clock, 1)
	cancel()
	select {
	case err := <-errc:
		require.ErrorIs(t, err, context.Canceled)
	case <-time.After(10 * time.Second):
		t.Fatal("Wait did not end with its context")
	}
	s := l.Stats()
	assert.Zero(t, s.InFlight)
	assert.Equal(t, WaitStats{Count: 1, Time: time.Second}, s.Paused)
}

func TestLimiterPermitCancel(t *testing.T) {
	l, _, _ := newClockedLimiter(t)
	p, err := l.Wait(context.Background(), bUsers)
	require.NoError(t, err)
	assert.Equal(t, lt0, p.Sent())
	p.Cancel()
	p.Done(429, RateLimit{}) // a second report is ignored
	s := l.Stats()
	assert.Zero(t, s.InFlight)
	assert.Zero(t, s.TooManyRequests)
	assert.Zero(t, l.DelayAt(lt0, bUsers), "the probe given back lets the next request go")
}

func TestLimiterEvents(t *testing.T) {
	ms := time.Millisecond
	l, _, log := newClockedLimiter(t)
	runSteps(t, l, withNarrowed(
		step{at: 2 * time.Second, op: take(bUsers)},
		step{at: 2 * time.Second, op: answer(bUsers, 2*time.Second, 200,
			RateLimit{})},
		step{at: 2 * time.Second, op: take(bUsers)},
		step{at: 2 * time.Second, op: take(bUsers)},
		// Two 429s of one window: one pause, until the reset converted to
		// the local clock (t0+60s, less the -10ms offset, plus margin).
		step{at: 2010 * ms, op: answer(bUsers, 2*time.Second, 429,
			rlAt(600, 0, time.Minute, 2*time.Second))},
		step{at: 2020 * ms, op: answer(bUsers, 2*time.Second, 429,
			rlAt(600, 0, time.Minute, 2*time.Second))},
		step{at: 2030 * ms, op: take(bByID)},
		step{at: 2040 * ms, op: answer(bByID, 2030*ms, 429, concurrency429(2*time.Second))},
		step{at: 3 * time.Second, op: take(BucketGeneric)},
		step{at: 3 * time.Second, op: answer(BucketGeneric, 3*time.Second, 429, RateLimit{})},
	))
	events := log.all()
	require.Len(t, events, 3)
	pauseEnd := lt0.Add(time.Minute + 10*ms + margin)
	assert.Equal(t, LimiterEvent{Kind: EventPause, Bucket: bUsers,
		Wait: pauseEnd.Sub(lt0.Add(2010 * ms)), Until: pauseEnd, Limit: 600}, events[0])
	assert.Equal(t, EventConcurrency, events[1].Kind)
	assert.Empty(t, events[1].Bucket)
	assert.Equal(t, 1, events[1].InFlightCap)
	assert.Equal(t, EventBackoff, events[2].Kind)
	assert.Equal(t, BucketGeneric, events[2].Bucket)
	assert.GreaterOrEqual(t, events[2].Wait, DefaultMinWait)
	for _, k := range []EventKind{EventThrottle, EventPause, EventBackoff, EventConcurrency} {
		assert.NotEqual(t, "unknown", k.String())
	}
}

// TestSimClientLimiterDrainsBacklog drains a backlog of 35 creates, three
// and a half windows of the simulated org's users bucket (10 per 10s),
// through one Client with a Limiter and four workers, on a fake clock
// shared with the simulator, whose clock may also run far from the
// client's. The driver moves the clock on by 10ms whenever every worker
// waits on it. No request may be refused.
func TestSimClientLimiterDrainsBacklog(t *testing.T) {
	tests := []struct {
		name string
		skew time.Duration
	}{
		{"same clock", 0},
		{"okta 45s ahead", 45 * time.Second},
		{"okta 45s behind", -45 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := clockwork.NewFakeClockAt(lt0)
			lim, err := NewLimiter(LimiterConfig{}, WithLimiterClock(clock))
			require.NoError(t, err)
			sim, c := newSim(t, []oktasim.Option{oktasim.WithClock(clock),
				oktasim.WithClockOffset(tt.skew),
				oktasim.WithLimits(oktasim.Limits{Window: 10 * time.Second, Users: 10})},
				WithClock(clock), WithLimiter(lim))

			errs := drainWithFakeClock(t, clock, 4, 35, func(ctx context.Context, i int) error {
				login := fmt.Sprintf("user%d@example.com", i)
				_, err := c.CreateUser(ctx, NewUser{Profile: newProfile(login, login)})
				return err
			})
			for i, err := range errs {
				require.NoError(t, err, "request %d", i)
			}
			assert.Equal(t, 35, sim.Requests()[oktasim.BucketUsers], "every request reached "+
				"Okta once: none was refused")
			s := lim.Stats()
			assert.Zero(t, s.TooManyRequests)
			assert.Positive(t, s.Throttled.Count+s.Paced.Count)
			elapsed := clock.Since(lt0)
			assert.GreaterOrEqual(t, elapsed, 30*time.Second, "35 requests need four windows")
			assert.Less(t, elapsed, 45*time.Second, "and no more")
		})
	}
}

// drainWithFakeClock runs jobs calls of call on workers goroutines and
// moves clock on by 10ms whenever every running worker waits on it. It
// returns each call's error.
func drainWithFakeClock(t *testing.T, clock *clockwork.FakeClock, workers, jobs int,
	call func(ctx context.Context, i int) error) []error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	next := make(chan int, jobs)
	for i := range jobs {
		next <- i
	}
	close(next)
	errs := make([]error, jobs)
	var active atomic.Int32
	active.Store(int32(workers))
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			defer active.Add(-1)
			for i := range next {
				errs[i] = call(ctx, i)
			}
		})
	}
	for n := active.Load(); n > 0; n = active.Load() {
		require.NoError(t, ctx.Err(), "the backlog did not drain")
		wctx, wcancel := context.WithTimeout(ctx, 20*time.Millisecond)
		if clock.BlockUntilContext(wctx, int(n)) == nil {
			clock.Advance(10 * time.Millisecond)
		}
		wcancel()
	}
	wg.Wait()
	return errs
}

func TestClientWithLimiterWaitsAndReports(t *testing.T) {
	reset := time.Now().Add(time.Hour).Unix()
	f := newFakeOkta(t, func(w http.ResponseWriter, r *http.Request) {
		oktaHeaders(w, 0)
		w.Header().Set("Date", time.Now().UTC().Format(http.TimeFormat))
		w.Header().Set("X-Rate-Limit-Reset", fmt.Sprint(reset))
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"errorCode":"E0000047","errorSummary":"API call exceeded rate ` +
			`limit due to too many requests.","errorLink":"E0000047","errorId":"oae1",` +
			`"errorCauses":[]}`))
	})
	lim, err := NewLimiter(LimiterConfig{})
	require.NoError(t, err)
	c := f.client(t, WithLimiter(lim))

	_, err = c.GetUser(context.Background(), "00u1234567890abcdefg")
	require.ErrorIs(t, err, ErrRateLimited)
	s := lim.Stats()
	assert.Equal(t, int64(1), s.TooManyRequests)
	assert.True(t, s.ClockOffset.Known)
	byID := s.Buckets[BucketUserByID]
	assert.Equal(t, 600, byID.Limit)
	assert.Zero(t, byID.Remaining)

	// The bucket is paused for an hour: the next call waits, and gives up
	// with its context, naming the wait in the error.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = c.GetUser(ctx, "00u1234567890abcdefg")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "waiting for the rate limit")
	assert.Len(t, f.received(), 1, "the second call never reached Okta")
	assert.NotContains(t, err.Error(), testToken)
}

// TestLimiterPauseAfterThrottleIsReported shows the two reports kept
// apart: a window whose throttle was reported still reports a 429 that
// comes in it (a request of another replica's turn, say).
func TestLimiterPauseAfterThrottleIsReported(t *testing.T) {
	l, clock, log := newClockedLimiter(t)
	runSteps(t, l, withNarrowed(
		step{at: 2 * time.Second, op: take(bUsers)},
		step{at: 2 * time.Second, op: answer(bUsers, 2*time.Second, 200,
			rlAt(10, 0, 20*time.Second, 2*time.Second))},
	))
	clock.Advance(2 * time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	waiting := waitAsync(ctx, l, bUsers)
	blockUntil(t, clock, 1)
	l.ObserveAt(bUsers, Observation{Sent: lt0.Add(time.Second), Received: lt0.Add(2 * time.Second),
		Status: 429, RateLimit: rlAt(10, 0, 20*time.Second, 2*time.Second)})
	cancel()
	assert.Nil(t, receive(t, waiting))

	events := log.all()
	require.Len(t, events, 2)
	assert.Equal(t, EventThrottle, events[0].Kind)
	assert.Equal(t, EventPause, events[1].Kind)
	assert.Equal(t, bUsers, events[1].Bucket)
}
