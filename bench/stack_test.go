package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/okta-worker/okta-worker/messages"
	"github.com/okta-worker/okta-worker/okta"
	"github.com/okta-worker/okta-worker/worker"
)

// concurrency is each replica's in-flight requests per tenant.
const concurrency = 4

// startNATS starts an embedded JetStream server on a random loopback
// port, until the benchmark ends, and returns its client URL.
func startNATS(tb testing.TB) string {
	tb.Helper()
	s, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: -1, JetStream: true,
		StoreDir: tb.TempDir(), NoLog: true, NoSigs: true,
	})
	if err != nil {
		tb.Fatal(err)
	}
	go s.Start()
	tb.Cleanup(func() {
		s.Shutdown()
		s.WaitForShutdown()
	})
	if !s.ReadyForConnections(10 * time.Second) {
		tb.Fatal("nats-server not ready")
	}
	return s.ClientURL()
}

// connect opens a NATS connection and its JetStream context, until the
// benchmark ends.
func connect(tb testing.TB, url string) (*nats.Conn, jetstream.JetStream) {
	tb.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatal(err)
	}
	return nc, js
}

// tenant is a tenant of the benchmark and the org it calls.
type tenant struct {
	name string
	org  *org
}

// replica is one worker process of the stack: its own NATS connection,
// its own Okta clients and its own limiter per tenant.
type replica struct {
	limiters map[string]*okta.Limiter
}

// startReplica runs worker replica number idx for tenants until the
// benchmark ends. Its clients authenticate with a token naming the
// replica, which the orgs' recorders read.
func startReplica(tb testing.TB, natsURL string, idx, replicas int,
	tenants []tenant) *replica {
	tb.Helper()
	_, js := connect(tb, natsURL)
	hc := &http.Client{Timeout: 30 * time.Second}
	r := &replica{limiters: map[string]*okta.Limiter{}}
	var wts []worker.Tenant
	for _, t := range tenants {
		lim, err := okta.NewLimiter(okta.LimiterConfig{})
		if err != nil {
			tb.Fatal(err)
		}
		token := fmt.Sprintf("bench-%s-r%d", t.name, idx)
		c, err := okta.NewClient(t.org.url, token, okta.WithHTTPClient(hc),
			okta.WithLimiter(lim))
		if err != nil {
			tb.Fatal(err)
		}
		r.limiters[t.name] = lim
		wts = append(wts, worker.Tenant{Name: t.name, Okta: c, Limiter: lim})
	}
	cfg := worker.Config{
		Concurrency:   concurrency,
		MaxAckPending: 2 * concurrency * replicas,
		ShutdownGrace: 2 * time.Second,
	}
	w, err := worker.New(js, wts, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- w.Run(context.Background()) }()
	tb.Cleanup(func() {
		w.Close()
		if err := <-done; err != nil {
			tb.Error(err)
		}
	})
	return r
}

// startStack starts nats-server and n replicas serving tenants, and
// waits until every tenant's consumer exists. It returns a connection of
// its own to the server, its JetStream context, and the replicas.
func startStack(tb testing.TB, n int, tenants []tenant) (*nats.Conn, jetstream.JetStream,
	[]*replica) {
	tb.Helper()
	url := startNATS(tb)
	var rs []*replica
	for i := range n {
		rs = append(rs, startReplica(tb, url, i, n, tenants))
	}
	nc, js := connect(tb, url)
	for _, t := range tenants {
		awaitConsumer(tb, js, worker.DefaultConsumerPrefix+t.name)
	}
	return nc, js, rs
}

// awaitConsumer waits up to 30s for a replica to create a consumer.
func awaitConsumer(tb testing.TB, js jetstream.JetStream, durable string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		_, err := js.Consumer(ctx, worker.DefaultRequestsStream, durable)
		if err == nil {
			return
		}
		select {
		case <-ctx.Done():
			tb.Fatalf("consumer %s never appeared: %v", durable, err)
		case <-tick.C:
		}
	}
}

// replies counts the replies of one tenant as they are published.
type replies struct {
	mu     sync.Mutex
	ids    map[string]bool
	failed map[string]int // error code counts
	last   time.Time      // when the latest reply came
	first  time.Time
	want   int
	done   chan struct{}
}

// listen counts the replies of tenant until want distinct ones came.
func listen(tb testing.TB, nc *nats.Conn, tenant string, want int) *replies {
	tb.Helper()
	r := &replies{ids: map[string]bool{}, failed: map[string]int{}, want: want,
		done: make(chan struct{})}
	subj := messages.Subjects{}.Reply(tenant, messages.ActionGetUser)
	sub, err := nc.Subscribe(subj, r.add)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = sub.Unsubscribe() })
	return r
}

// add counts one reply.
func (r *replies) add(m *nats.Msg) {
	var rep messages.Reply
	if json.Unmarshal(m.Data, &rep) != nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ids[rep.ID] {
		return
	}
	r.ids[rep.ID] = true
	if !rep.Success && rep.Error != nil {
		r.failed[string(rep.Error.Code)]++
	}
	now := time.Now()
	if r.first.IsZero() {
		r.first = now
	}
	r.last = now
	if len(r.ids) == r.want {
		close(r.done)
	}
}

// wait waits up to limit for every reply.
func (r *replies) wait(tb testing.TB, limit time.Duration) {
	tb.Helper()
	select {
	case <-r.done:
	case <-time.After(limit):
		r.mu.Lock()
		defer r.mu.Unlock()
		tb.Fatalf("%d of %d replies after %v", len(r.ids), r.want, limit)
	}
}

// span returns the time from the first reply to the last.
func (r *replies) span() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last.Sub(r.first)
}

// failures returns the count of failed replies by error code.
func (r *replies) failures() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int{}
	for k, v := range r.failed {
		out[k] = v
	}
	return out
}

// publish publishes n get_user requests of tenant t, reading its users
// in turn, as fast as JetStream takes them.
func publish(tb testing.TB, js jetstream.JetStream, t tenant, run string, n int) {
	tb.Helper()
	subj := messages.Subjects{}.Request(t.name, messages.ActionGetUser)
	for i := range n {
		body := fmt.Sprintf(`{"params":{"user_id":%q}}`, t.org.users[i%len(t.org.users)])
		id := fmt.Sprintf("%s-%s-%d", run, t.name, i)
		if _, err := js.PublishAsync(subj, []byte(body), jetstream.WithMsgID(id)); err != nil {
			tb.Fatal(err)
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(time.Minute):
		tb.Fatal("publishing the backlog took over a minute")
	}
}
