package oktasim

import (
	"bytes"
	"context"
	"net/http"
	"time"
)

// Fault is a failure the simulator can inject into one request.
type Fault int

// The faults. A timeout holds the request until the client gives up,
// [Faults.TimeoutDelay] passes or [Server.Close] is called, then
// answers 504 with an HTML body, as a gateway does (or closes the
// connection when [Faults.TimeoutClose] is set).
const (
	FaultNone               Fault = iota
	Fault500                      // 500 E0000009, no effect
	Fault503                      // 503 E0000010, no effect
	FaultTimeout                  // a timeout before the request takes effect
	FaultTimeoutAfterEffect       // the request takes effect, then times out
)

// Injection queues a fault for the next Count requests that match
// Method and Path, counted after authentication and rate limiting.
type Injection struct {
	Method string // "" matches any method
	Path   string // "" matches any path; else the exact path, e.g. /api/v1/users
	Fault  Fault
	Count  int // 0 counts as 1
}

// Inject queues a fault. Injected faults are used before random ones,
// in the order they were queued.
func (s *Server) Inject(in Injection) {
	if in.Count <= 0 {
		in.Count = 1
	}
	s.mu.Lock()
	s.injected = append(s.injected, in)
	s.mu.Unlock()
}

// drawFault picks the fault for a request: the first matching injected
// one, else a random one drawn from the seeded source.
func (s *Server) drawFault(r *http.Request) Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.injected {
		in := &s.injected[i]
		if !in.matches(r) {
			continue
		}
		in.Count--
		f := in.Fault
		if in.Count == 0 {
			s.injected = append(s.injected[:i], s.injected[i+1:]...)
		}
		return f
	}
	return s.randomFault()
}

// randomFault draws from the rates of [Faults]. The caller holds s.mu.
func (s *Server) randomFault() Fault {
	f := s.faults
	if f.Rate5xx <= 0 && f.RateTimeout <= 0 {
		return FaultNone
	}
	x := s.rng.Float64()
	switch {
	case x < f.Rate5xx && s.rng.IntN(2) == 0:
		return Fault500
	case x < f.Rate5xx:
		return Fault503
	case x < f.Rate5xx+f.RateTimeout && f.TimeoutAfterEffect:
		return FaultTimeoutAfterEffect
	case x < f.Rate5xx+f.RateTimeout:
		return FaultTimeout
	}
	return FaultNone
}

func (in Injection) matches(r *http.Request) bool {
	return (in.Method == "" || in.Method == r.Method) &&
		(in.Path == "" || in.Path == r.URL.Path)
}

// serveWithFault answers the request through its route, or applies the
// fault instead of (or after) it.
func (s *Server) serveWithFault(ex *exchange, f Fault) {
	switch f {
	case Fault500:
		s.writeError(ex, errInternal())
	case Fault503:
		s.writeError(ex, errUnavailable())
	case FaultTimeout:
		s.timeOut(ex)
	case FaultTimeoutAfterEffect:
		lost := *ex
		lost.w = &discardWriter{header: http.Header{}}
		ex.route.serve(s, &lost)
		s.timeOut(ex)
	default:
		ex.route.serve(s, ex)
	}
}

// timeOut holds the request, then answers 504 or drops the connection.
// Nothing is written when the client has already gone.
func (s *Server) timeOut(ex *exchange) {
	if !s.hold(ex.r.Context(), s.faults.TimeoutDelay) {
		return
	}
	if s.faults.TimeoutClose {
		// net/http closes the connection without an answer and without
		// logging when a handler panics with this value.
		panic(http.ErrAbortHandler)
	}
	ex.now = s.Now()
	s.stamp(ex)
	ex.w.Header().Set("Content-Type", "text/html")
	ex.w.WriteHeader(http.StatusGatewayTimeout)
	_, _ = ex.w.Write([]byte(gatewayTimeoutPage))
}

const gatewayTimeoutPage = "<html><head><title>504 Gateway Time-out</title></head>" +
	"<body><h1>504 Gateway Time-out</h1></body></html>\n"

// pause waits d on the real clock, for latency; d <= 0 is no wait. It
// reports false when the client went away first.
func (s *Server) pause(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	return s.hold(ctx, d)
}

// hold waits until d passes on the real clock (never when d <= 0), the
// client goes away or the server closes. It reports false when the
// client went away first.
func (s *Server) hold(ctx context.Context, d time.Duration) bool {
	var timer <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-timer:
		return true
	case <-s.closed:
		return ctx.Err() == nil
	case <-ctx.Done():
		return false
	}
}

// discardWriter takes the answer of a request whose answer is lost.
type discardWriter struct {
	header http.Header
	body   bytes.Buffer
}

func (d *discardWriter) Header() http.Header { return d.header }

func (d *discardWriter) Write(p []byte) (int, error) { return d.body.Write(p) }

func (d *discardWriter) WriteHeader(int) {}
