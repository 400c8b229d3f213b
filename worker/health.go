package worker

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/nats-io/nats.go"
)

// health tracks which tenants' consumptions are running, for readiness.
type health struct {
	mu      sync.Mutex
	stopped map[string]bool // tenants whose consumption is not running
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

// HealthHandler serves /livez (200 while the process runs) and /readyz
// (200 when [Worker.Ready] returns nil, else 503 with the reason).
func (w *Worker) HealthHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /livez", func(rw http.ResponseWriter, _ *http.Request) {
		rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = fmt.Fprintln(rw, "ok")
	})
	mux.HandleFunc("GET /readyz", func(rw http.ResponseWriter, _ *http.Request) {
		rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := w.Ready(); err != nil {
			rw.WriteHeader(http.StatusServiceUnavailable)
			_, _ = fmt.Fprintln(rw, err)
			return
		}
		_, _ = fmt.Fprintln(rw, "ready")
	})
	return mux
}
