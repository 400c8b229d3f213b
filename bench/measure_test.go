package bench

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// answers returns n answers of one status for the window that resets
// at the epoch second reset, from replica r.
func answers(n, status int, reset int64, r string) []answer {
	out := make([]answer, n)
	for i := range out {
		out[i] = answer{replica: r, status: status, reset: reset}
	}
	return out
}

func TestMeasure(t *testing.T) {
	var as []answer
	as = append(as, answers(5, http.StatusOK, 100, "r0")...)
	as = append(as, answers(2, http.StatusTooManyRequests, 100, "r1")...) // the first window
	for reset := int64(101); reset <= 104; reset++ {
		as = append(as, answers(5, http.StatusOK, reset, "r0")...)
	}
	as = append(as, answers(1, http.StatusTooManyRequests, 102, "r1")...)
	as = append(as, answers(2, http.StatusOK, 105, "r0")...) // the last, part empty
	as = append(as, answer{replica: "r0", status: http.StatusNotFound})

	u := measure(as, 5, time.Second, 2)
	assert.Equal(t, usage{windows: 4, utilisation: 1, accepted: 27, refused: 3,
		firstRefuse: 2, perReplica: 10}, u)
}

func TestMeasureCountsTimeBetweenWindows(t *testing.T) {
	// Windows of 2s, the third of which never opened: a gap between
	// windows is throughput lost, although each window was full.
	var as []answer
	for _, reset := range []int64{100, 102, 104, 108, 110} {
		as = append(as, answers(4, http.StatusOK, reset, "r0")...)
	}
	u := measure(as, 4, 2*time.Second, 1)
	assert.Equal(t, 4, u.windows)
	assert.InDelta(t, 0.75, u.utilisation, 1e-9)
	assert.Zero(t, u.perReplica)
}
