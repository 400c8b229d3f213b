package worker

import (
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/okta-worker/okta-worker/messages"
	"github.com/okta-worker/okta-worker/okta"
	"github.com/okta-worker/okta-worker/okta/oktasim"
)

// chaosBudget bounds the whole chaos test, cluster start included.
const chaosBudget = 3 * time.Minute

// cluster is a 3-node in-process JetStream cluster whose nodes can be
// stopped and started again on the same ports and stores.
type cluster struct {
	t     *testing.T
	opts  []server.Options
	nodes []*server.Server
	urls  string // every node's client URL, comma-separated
}

// freePorts reserves n loopback ports by listening and closing; another
// process could take one in between, which is acceptable in a test.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	ports := make([]int, n)
	for i := range ports {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		ports[i] = ln.Addr().(*net.TCPAddr).Port
		require.NoError(t, ln.Close())
	}
	return ports
}

// startCluster starts three routed nodes and waits for a meta leader.
func startCluster(t *testing.T) *cluster {
	t.Helper()
	ports := freePorts(t, 6)
	var routes, urls []string
	for i := range 3 {
		routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", ports[3+i]))
		urls = append(urls, fmt.Sprintf("nats://127.0.0.1:%d", ports[i]))
	}
	c := &cluster{t: t, urls: strings.Join(urls, ","), nodes: make([]*server.Server, 3)}
	base := t.TempDir()
	for i := range 3 {
		c.opts = append(c.opts, server.Options{
			ServerName: fmt.Sprintf("n%d", i+1), Host: "127.0.0.1", Port: ports[i],
			JetStream: true, StoreDir: filepath.Join(base, fmt.Sprintf("n%d", i+1)),
			Cluster: server.ClusterOpts{Name: "chaos", Host: "127.0.0.1", Port: ports[3+i]},
			Routes:  server.RoutesFromStr(strings.Join(routes, ",")),
			NoLog:   true, NoSigs: true,
		})
	}
	for i := range 3 {
		c.start(i)
	}
	t.Cleanup(func() {
		for i := range c.nodes {
			c.stop(i)
		}
	})
	// Raft elections can take several seconds: wait until an R3 stream
	// can be created, which needs a meta leader and a quorum.
	_, js := connectCluster(t, c.urls)
	require.Eventually(t, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
			Name: "PROBE", Subjects: []string{"probe.>"}, Replicas: 3})
		return err == nil
	}, 30*time.Second, 100*time.Millisecond, "cluster never got a meta leader")
	require.NoError(t, js.DeleteStream(context.Background(), "PROBE"))
	return c
}

// start starts node i.
func (c *cluster) start(i int) {
	opts := c.opts[i]
	s, err := server.NewServer(&opts)
	require.NoError(c.t, err)
	go s.Start()
	require.True(c.t, s.ReadyForConnections(10*time.Second), "node %d not ready", i)
	c.nodes[i] = s
}

// stop shuts node i down; it may be called when it is stopped.
func (c *cluster) stop(i int) {
	if s := c.nodes[i]; s != nil {
		s.Shutdown()
		s.WaitForShutdown()
		c.nodes[i] = nil
	}
}

// leaderOf returns the index of the node leading the stream.
func (c *cluster) leaderOf(js jetstream.JetStream, stream string) int {
	var leader string
	require.Eventually(c.t, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		s, err := js.Stream(ctx, stream)
		if err != nil || s.CachedInfo().Cluster == nil {
			return false
		}
		leader = s.CachedInfo().Cluster.Leader
		return leader != ""
	}, 30*time.Second, 50*time.Millisecond, "stream %s has no leader", stream)
	for i, o := range c.opts {
		if o.ServerName == leader {
			return i
		}
	}
	require.FailNow(c.t, "unknown leader", "%q", leader)
	return -1
}

// connectCluster connects to the cluster, reconnecting forever.
func connectCluster(t *testing.T, urls string) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	return connect(t, urls, nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
}

// replica is one worker process: its own connection, Okta clients and
// worker.
type replica struct {
	nc     *nats.Conn
	cancel context.CancelFunc
	done   chan error
}

// startReplica starts a worker replica and waits until it consumes.
func startReplica(t *testing.T, urls string, orgs map[string]string, cfg Config,
	log *zap.Logger) *replica {
	t.Helper()
	nc, js := connectCluster(t, urls)
	var tenants []Tenant
	for name, url := range orgs {
		client, err := okta.NewClient(url, testToken)
		require.NoError(t, err)
		tenants = append(tenants, Tenant{Name: name, Okta: client})
	}
	w, err := New(js, tenants, cfg, WithLogger(log))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	r := &replica{nc: nc, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- w.Run(ctx) }()
	select {
	case <-w.ready:
	case err := <-r.done:
		require.FailNow(t, "replica did not start", "Run returned %v", err)
	}
	t.Cleanup(func() {
		r.cancel()
		assert.NoError(t, <-r.done)
	})
	return r
}

// kill stops a replica the way a crash does: its connection drops with
// no acknowledgement, hand-back or reply, then its goroutines end.
func (r *replica) kill() {
	r.nc.Close()
	r.cancel()
}

// chaosOrg starts a simulated org that fails like a bad day at Okta and
// returns it with its URL.
func chaosOrg(t *testing.T, seed int64) (*oktasim.Server, string) {
	t.Helper()
	sim := oktasim.New(
		oktasim.WithFaults(oktasim.Faults{Rate5xx: 0.05, RateTimeout: 0.01,
			TimeoutDelay: 100 * time.Millisecond, TimeoutAfterEffect: true, Seed: seed}),
		// Small windows and a concurrency cap give bursts of bucket and
		// concurrency 429s.
		oktasim.WithLimits(oktasim.Limits{Window: 2 * time.Second, Users: 60,
			UserUpdate: 40, Concurrent: 6}),
		oktasim.WithLatency(5*time.Millisecond))
	srv := httptest.NewServer(sim)
	t.Cleanup(func() {
		sim.Close()
		srv.Close()
	})
	return sim, srv.URL
}

// chaosRequest is one request of the batch.
type chaosRequest struct {
	tenant string
	action messages.Action
	id     string
	body   map[string]any
	login  string // create_user: the login it creates
	user   string // update_user: the user and attribute it sets
	attr   string
}

// chaosBatch builds the batch: per tenant, creates of distinct logins,
// four racing updates of each of ten seeded users, and lookups.
func chaosBatch(tenant string, sim *oktasim.Server, creates int) []chaosRequest {
	var out []chaosRequest
	for i := range creates {
		login := fmt.Sprintf("c%03d@%s.example.com", i, tenant)
		out = append(out, chaosRequest{tenant: tenant, action: messages.ActionCreateUser,
			id: fmt.Sprintf("%s-create-%03d", tenant, i), login: login,
			body: map[string]any{"params": map[string]any{"email": login,
				"first_name": "C", "last_name": fmt.Sprint(i), "password": testPassword}}})
	}
	attrs := []string{"title", "department", "city", "organization"}
	for u := range 10 {
		login := fmt.Sprintf("seed%02d@%s.example.com", u, tenant)
		id := sim.AddUser(map[string]any{"login": login, "email": login,
			"firstName": "Seed", "lastName": fmt.Sprint(u)})
		for _, a := range attrs {
			out = append(out, chaosRequest{tenant: tenant, action: messages.ActionUpdateUser,
				id: fmt.Sprintf("%s-update-%02d-%s", tenant, u, a), user: id, attr: a,
				body: map[string]any{"params": map[string]any{"user_id": id,
					"profile": map[string]any{a: "v-" + a}}}})
		}
		out = append(out, chaosRequest{tenant: tenant, action: messages.ActionGetUser,
			id:   fmt.Sprintf("%s-get-%02d", tenant, u),
			body: map[string]any{"params": map[string]any{"user_id": login}}})
	}
	return out
}

// publishChaos publishes a request under msgID, retrying while the
// cluster fails over. It runs on publisher goroutines, so it reports a
// failure with assert rather than stopping the test.
func publishChaos(t *testing.T, js jetstream.JetStream, r chaosRequest, msgID string) {
	body := map[string]any{"id": r.id}
	for k, v := range r.body {
		body[k] = v
	}
	subject := messages.Subjects{}.Request(r.tenant, r.action)
	assert.Eventually(t, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, err := js.Publish(ctx, subject, mustJSON(body), jetstream.WithMsgID(msgID))
		return err == nil
	}, 30*time.Second, 50*time.Millisecond, "publishing %s failed", r.id)
}

// repliesStored returns how many replies OKTA_REPLIES holds, or 0 while
// the cluster cannot say.
func repliesStored(js jetstream.JetStream) uint64 {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, DefaultRepliesStream)
	if err != nil {
		return 0
	}
	info, err := s.Info(ctx)
	if err != nil {
		return 0
	}
	return info.State.Msgs
}

func TestChaos(t *testing.T) {
	began := time.Now()
	c := startCluster(t)
	clusterUp := time.Since(began)
	_, js := connectCluster(t, c.urls)

	acmeSim, acmeURL := chaosOrg(t, 1)
	globexSim, globexURL := chaosOrg(t, 2)
	orgs := map[string]string{"acme": acmeURL, "globex": globexURL}
	sims := map[string]*oktasim.Server{"acme": acmeSim, "globex": globexSim}
	batch := append(chaosBatch("acme", acmeSim, 100), chaosBatch("globex", globexSim, 100)...)

	cfg := Config{
		Replicas: 3, AckWait: 3 * time.Second, Concurrency: 4,
		MaxAttempts: 5, RetryInitial: 20 * time.Millisecond, RetryMax: 200 * time.Millisecond,
		MinPause: 100 * time.Millisecond, MaxPause: 2500 * time.Millisecond,
		MaxRateLimitPauses: 10, NakDelay: 200 * time.Millisecond,
		ShutdownGrace: 50 * time.Millisecond,
		Reliability:   Reliability{MaxDeliver: 8, MaxElapsed: 20 * time.Second},
	}
	core, logs := observer.New(zapcore.InfoLevel)
	log := zap.New(core)
	replicas := []*replica{
		startReplica(t, c.urls, orgs, cfg, log),
		startReplica(t, c.urls, orgs, cfg, log),
		startReplica(t, c.urls, orgs, cfg, log),
	}

	// Publish the batch from several goroutines, as HR flows would.
	var wg sync.WaitGroup
	for p := range 4 {
		wg.Go(func() {
			for i := p; i < len(batch); i += 4 {
				publishChaos(t, js, batch[i], "orig-"+batch[i].id)
				if i%20 == 0 {
					// Half the republished tenth follows its original at
					// once, while the original is likely in flight.
					publishChaos(t, js, batch[i], "again-"+batch[i].id)
				}
			}
		})
	}
	want := uint64(len(batch))
	awaitReplies := func(n uint64, what string) {
		require.Eventually(t, func() bool { return repliesStored(js) >= n },
			chaosBudget, 20*time.Millisecond, "waiting for %d replies before %s", n, what)
	}

	awaitReplies(want/5, "killing a replica")
	replicas[0].kill()
	t.Log("replica 0 killed")
	// The other half of the tenth again, under new message ids.
	for i := 10; i < len(batch); i += 20 {
		wg.Go(func() { publishChaos(t, js, batch[i], "again-"+batch[i].id) })
	}
	replicas[0] = startReplica(t, c.urls, orgs, cfg, log)
	t.Log("replica 0 restarted")

	awaitReplies(want/2, "stopping a node")
	leader := c.leaderOf(js, DefaultRequestsStream)
	c.stop(leader)
	t.Logf("node n%d, leader of the requests stream, stopped", leader+1)
	awaitReplies(want*3/4, "restarting the node")
	c.start(leader)
	t.Logf("node n%d restarted", leader+1)
	wg.Wait()

	// Done when every request id is answered and the work queue is
	// empty (requests out of deliveries are buried by the advisories).
	require.Eventually(t, func() bool {
		return repliesStored(js) >= want && streamMsgs(t, js, DefaultRequestsStream) == 0
	}, chaosBudget, 50*time.Millisecond, "the batch did not finish")
	checkChaos(t, js, batch, sims)
	for _, m := range []string{
		"request resumed: an earlier attempt may have reached okta",
		"ambiguous create resolved: the user is the one an earlier attempt created",
		"request id held by another message, waiting for its outcome",
		"request already answered, sending the recorded reply again",
		"tenant paused after okta rate limit",
		"okta concurrency limit reached, backing off",
		"request out of deliveries removed from the work queue",
	} {
		t.Logf("chaos: %4d × %q", logs.FilterMessage(m).Len(), m)
	}
	t.Logf("chaos: cluster up in %v, batch of %d (+%d republished) done in %v",
		clusterUp.Round(time.Millisecond), len(batch), (len(batch)+9)/10,
		time.Since(began).Round(time.Millisecond))
}

// checkChaos checks the four promises: one reply per request id, one
// user per create, no lost update, nothing left unaccounted for.
func checkChaos(t *testing.T, js jetstream.JetStream, batch []chaosRequest,
	sims map[string]*oktasim.Server) {
	replies, err := readReplies(js, DefaultRepliesStream)
	require.NoError(t, err)
	byID := map[string][]messages.Reply{}
	for _, r := range replies {
		byID[r.ID] = append(byID[r.ID], r)
	}
	dead := map[string]bool{}
	for _, e := range deadLetters(t, js, Config{}) {
		dead[e.Letter.ID] = true
	}
	assert.NotContains(t, deadStreamText(t, js), testPassword)
	assert.Len(t, byID, len(batch), "replies to unknown ids")
	var failed, attempts, creates int
	for _, r := range batch {
		got := byID[r.id]
		if !assert.Len(t, got, 1, "replies to %s", r.id) {
			continue
		}
		reply := got[0]
		attempts += reply.Attempts
		if !reply.Success {
			failed++
			// A failure must be one worth replaying, and in OKTA_DEAD.
			assert.True(t, deadWorthy(&reply), "%s failed with %+v", r.id, reply.Error)
			assert.True(t, dead[r.id], "%s failed without a dead letter", r.id)
			continue
		}
		sim := sims[r.tenant]
		switch r.action {
		case messages.ActionCreateUser:
			creates++
			assert.Equal(t, 1, sim.CountByLogin(r.login), "users with login %s", r.login)
		case messages.ActionUpdateUser:
			stored, ok := sim.User(r.user)
			require.True(t, ok)
			assert.Equal(t, "v-"+r.attr, userField(t, stored, "profile."+r.attr),
				"update %s lost", r.id)
		}
	}
	// No user exists that no successful create accounts for, beyond the
	// ten seeded per tenant: a failed create made no user either.
	total := 0
	for _, sim := range sims {
		total += sim.Len()
	}
	assert.Equal(t, creates+10*len(sims), total, "users in the orgs")
	t.Logf("chaos: %d replies, %d failed and dead-lettered, %d dead letters, "+
		"%d okta attempts", len(replies), failed, len(dead), attempts)
}
