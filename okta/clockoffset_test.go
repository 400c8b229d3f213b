package okta

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lt0 is the local instant the limiter's tests start from.
var lt0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// stampAt returns the Date header Okta, whose clock runs skew ahead of
// the local one, puts on an answer it generates at the local instant at:
// its time, truncated to the second.
func stampAt(at time.Time, skew time.Duration) time.Time {
	return at.Add(skew).Truncate(time.Second)
}

func TestClockOffsetFirstSample(t *testing.T) {
	var o ClockOffset
	o.observe(lt0, lt0.Add(-30*time.Millisecond), lt0.Add(10*time.Millisecond))
	require.True(t, o.Known)
	assert.Equal(t, -10*time.Millisecond, o.Low, "Okta stamped at or after Date, before receipt")
	assert.Equal(t, time.Second+30*time.Millisecond, o.High,
		"Okta stamped before Date+1s, after sending")
	assert.Equal(t, 40*time.Millisecond, o.MinRTT)
	assert.Equal(t, 1, o.Samples)
}

// TestClockOffsetNarrows feeds the estimator answers stamped with
// one-second resolution by an Okta clock far from the local one, at
// instants 137 ms apart (so they fall at ever new phases of Okta's
// second), with a 2 ms round trip, and checks that the interval always
// holds the true offset and narrows as answers come close to a tick: to
// about a second divided by the number of answers.
func TestClockOffsetNarrows(t *testing.T) {
	tests := []struct {
		name string
		skew time.Duration
	}{
		{"okta 45s ahead", 45 * time.Second},
		{"okta 45s behind", -45 * time.Second},
		{"okta 45.7s ahead", 45*time.Second + 700*time.Millisecond},
		{"okta 44.2s behind", -44*time.Second - 200*time.Millisecond},
		{"no skew", 0},
	}
	const rtt = 2 * time.Millisecond
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var o ClockOffset
			for i := range 40 {
				sent := lt0.Add(time.Duration(i) * 137 * time.Millisecond)
				o.observe(stampAt(sent.Add(rtt/2), tt.skew), sent, sent.Add(rtt))
				require.LessOrEqual(t, o.Low, tt.skew, "sample %d", i)
				require.GreaterOrEqual(t, o.High, tt.skew, "sample %d", i)
				if i == 9 {
					assert.Less(t, o.Width(), 150*time.Millisecond,
						"after ten answers the reset is known to well under a second")
				}
			}
			assert.Less(t, o.Width(), 50*time.Millisecond)
			assert.Zero(t, o.Restarts)
		})
	}
}

func TestClockOffsetRestartsWhenTheSkewChanges(t *testing.T) {
	var o ClockOffset
	for i := range 20 {
		sent := lt0.Add(time.Duration(i) * 137 * time.Millisecond)
		o.observe(stampAt(sent, 0), sent, sent.Add(time.Millisecond))
	}
	require.Less(t, o.Width(), 100*time.Millisecond)

	// Okta's clock is set three seconds ahead: the next answer contradicts
	// the estimate, which starts again from that answer.
	sent := lt0.Add(time.Minute)
	o.observe(stampAt(sent, 3*time.Second), sent, sent.Add(time.Millisecond))
	assert.Equal(t, 1, o.Restarts)
	assert.Equal(t, 1, o.Samples)
	assert.LessOrEqual(t, o.Low, 3*time.Second)
	assert.GreaterOrEqual(t, o.High, 3*time.Second)
}

func TestClockOffsetNarrowable(t *testing.T) {
	tests := []struct {
		name string
		o    ClockOffset
		want bool
	}{
		{"unknown", ClockOffset{}, false},
		{"a second wide", ClockOffset{Low: 0, High: time.Second, Known: true,
			MinRTT: 2 * time.Millisecond}, true},
		{"about the round trip", ClockOffset{Low: 0, High: 8 * time.Millisecond, Known: true,
			MinRTT: 2 * time.Millisecond}, false},
		{"a long round trip", ClockOffset{Low: 0, High: 200 * time.Millisecond, Known: true,
			MinRTT: 150 * time.Millisecond}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.o.narrowable())
		})
	}
}

func TestClockOffsetConversions(t *testing.T) {
	reset := lt0.Add(time.Minute)
	unknown := ClockOffset{}
	assert.Equal(t, reset.Add(time.Second), unknown.localLatest(reset, time.Second),
		"with no Date ever seen, the local clock plus a margin")
	assert.Equal(t, reset, unknown.localMid(reset))

	ahead := ClockOffset{Low: 44 * time.Second, High: 46 * time.Second, Known: true}
	assert.Equal(t, reset.Add(-44*time.Second), ahead.localLatest(reset, time.Second),
		"the latest local instant Okta may reach the reset")
	assert.Equal(t, reset.Add(-45*time.Second), ahead.localMid(reset))
	assert.Equal(t, lt0.Add(45*time.Second), ahead.oktaNow(lt0))
}
