package worker

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/nats-io/nats.go"
)

// health tracks which tenants' consumptions are running, for readiness,
// and which this replica gave up, for liveness.
type health struct {
	mu        sync.Mutex
	stopped   map[string]bool // tenants whose consumption is not running
	abandoned []string        // tenants whose consumption kept ending
}

// abandon records that the replica gave a tenant up.
func (h *health) abandon(tenant string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.abandoned = append(h.abandoned, tenant)
}

// Live returns nil unless this replica gave up consuming a tenant whose
// consumption kept ending; restarting the process is then the remedy,
// and the error says which tenants.
func (w *Worker) Live() error {
	w.health.mu.Lock()
	defer w.health.mu.Unlock()
	if len(w.health.abandoned) > 0 {
		return fmt.Errorf("worker: gave up consuming tenants %s",
			strings.Join(w.health.abandoned, ", "))
	}
	return nil
}

// set records whether a tenant's consumption is running.
func (h *health) set(tenant string, consuming bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopped == nil {
		h.stopped = map[string]bool{}
	}
	if consuming {
		delete(h.stopped, tenant)
		return
	}
	h.stopped[tenant] = true
}

// idle returns the tenants whose consumption is not running, sorted.
func (h *health) idle() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]string, 0, len(h.stopped))
	for t := range h.stopped {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Ready returns nil when the worker can take requests: Run has started,
// the NATS connection is up and every tenant's consumption is running.
// Otherwise the error says what is missing, so that a readiness probe
// shows the gap during a NATS restart or a consumer re-creation.
func (w *Worker) Ready() error {
	select {
	case <-w.ready:
	default:
		return fmt.Errorf("worker: not started")
	}
	select {
	case <-w.done:
		return fmt.Errorf("worker: stopped")
	default:
	}
	if st := w.js.Conn().Status(); st != nats.CONNECTED {
		return fmt.Errorf("worker: nats connection %s", st)
	}
	if idle := w.health.idle(); len(idle) > 0 {
		return fmt.Errorf("worker: not consuming tenants %s", strings.Join(idle, ", "))
	}
	return nil
}

// HealthHandler serves /livez (200 when [Worker.Live] returns nil) and
// /readyz (200 when [Worker.Ready] returns nil); otherwise 503 with the
// reason.
func (w *Worker) HealthHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /livez", probe(w.Live, "ok"))
	mux.HandleFunc("GET /readyz", probe(w.Ready, "ready"))
	return mux
}

// probe answers a health check: 200 and ok when check returns nil, else
// 503 and the error.
func probe(check func() error, ok string) http.HandlerFunc {
	return func(rw http.ResponseWriter, _ *http.Request) {
		rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := check(); err != nil {
			rw.WriteHeader(http.StatusServiceUnavailable)
			_, _ = fmt.Fprintln(rw, err)
			return
		}
		_, _ = fmt.Fprintln(rw, ok)
	}
}
