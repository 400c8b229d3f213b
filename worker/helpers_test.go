package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"github.com/okta-worker/okta-worker/messages"
	"github.com/okta-worker/okta-worker/okta"
	"github.com/okta-worker/okta-worker/okta/oktasim"
)

// Secrets the tests hand to the worker; no log entry or reply may carry
// them.
const (
	testToken    = "ssws-test-token-3f9a1c"
	testPassword = "Corr3ct-Horse-Battery!"
)

// waitFor is how long a test waits for something the worker does.
const waitFor = 15 * time.Second

// poll is how often a test checks a condition it waits for.
const poll = 10 * time.Millisecond

// startNATS starts an embedded JetStream server on a random loopback
// port and returns its client URL.
func startNATS(t *testing.T) string {
	t.Helper()
	s, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: -1, JetStream: true,
		StoreDir: t.TempDir(), NoLog: true, NoSigs: true,
	})
	require.NoError(t, err)
	go s.Start()
	t.Cleanup(func() {
		s.Shutdown()
		s.WaitForShutdown()
	})
	require.True(t, s.ReadyForConnections(10*time.Second), "nats-server not ready")
	return s.ClientURL()
}

// connect opens a connection and its JetStream context.
func connect(t *testing.T, url string, opts ...nats.Option) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := nats.Connect(url, opts...)
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	return nc, js
}

// org is a simulated Okta org and a real client for it.
type org struct {
	sim    *oktasim.Server
	client *okta.Client
}

// newOrg starts a simulated org on a loopback httptest server and returns
// it with a client that authenticates with token.
func newOrg(t *testing.T, token string, opts ...oktasim.Option) *org {
	t.Helper()
	sim := oktasim.New(opts...)
	srv := httptest.NewServer(sim)
	t.Cleanup(func() {
		// Release held requests first, or Close waits for them.
		sim.Close()
		srv.Close()
	})
	client, err := okta.NewClient(srv.URL, token)
	require.NoError(t, err)
	return &org{sim: sim, client: client}
}

// testConfig is a configuration with delays small enough for tests.
func testConfig() Config {
	return Config{
		RetryInitial:  5 * time.Millisecond,
		RetryMax:      20 * time.Millisecond,
		MaxAttempts:   3,
		MinPause:      20 * time.Millisecond,
		MaxPause:      100 * time.Millisecond,
		NakDelay:      100 * time.Millisecond,
		ShutdownGrace: 5 * time.Second,
	}
}

// observed returns a logger that records every entry at Debug and above.
// When the test ends it checks that no entry carries a test secret.
func observed(t *testing.T) (*zap.Logger, *observer.ObservedLogs) {
	t.Helper()
	core, logs := observer.New(zapcore.DebugLevel)
	t.Cleanup(func() {
		for _, e := range logs.All() {
			text := e.Message + " " + fmt.Sprint(e.ContextMap())
			assert.NotContains(t, text, testToken, "log entry %q", e.Message)
			assert.NotContains(t, text, testPassword, "log entry %q", e.Message)
		}
	})
	if testing.Verbose() {
		return zap.New(zapcore.NewTee(core, zaptest.NewLogger(t).Core())), logs
	}
	return zap.New(core), logs
}

// startWorker runs a worker until the test ends and checks that Run then
// returns nil.
func startWorker(t *testing.T, js jetstream.JetStream, tenants []Tenant, cfg Config,
	opts ...Option) *Worker {
	t.Helper()
	w, err := New(js, tenants, cfg, opts...)
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- w.Run(context.Background()) }()
	select {
	case <-w.ready:
	case err := <-done:
		require.FailNow(t, "worker did not start", "Run returned %v", err)
	}
	t.Cleanup(func() {
		w.Close()
		assert.NoError(t, <-done)
	})
	return w
}

// request publishes a request body (a JSON value, or raw bytes as they
// are) on subject with Nats-Msg-Id id.
func request(t *testing.T, js jetstream.JetStream, subject, id string, body any) {
	t.Helper()
	data, ok := body.([]byte)
	if !ok {
		var err error
		data, err = json.Marshal(body)
		require.NoError(t, err)
	}
	_, err := js.Publish(context.Background(), subject, data, jetstream.WithMsgID(id))
	require.NoError(t, err)
}

// readReplies returns every reply stored in a stream. It does not fail
// the test, so conditions polled by require.Eventually can call it.
func readReplies(js jetstream.JetStream, stream string) ([]messages.Reply, error) {
	ctx := context.Background()
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return nil, err
	}
	var out []messages.Reply
	err = eachMsg(ctx, s, func(m *jetstream.RawStreamMsg) error {
		var r messages.Reply
		if err := json.Unmarshal(m.Data, &r); err != nil {
			return fmt.Errorf("reply %s: %w", m.Data, err)
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// repliesTo returns the replies in OKTA_REPLIES to the request id.
func repliesTo(js jetstream.JetStream, id string) ([]messages.Reply, error) {
	all, err := readReplies(js, DefaultRepliesStream)
	var out []messages.Reply
	for _, r := range all {
		if r.ID == id {
			out = append(out, r)
		}
	}
	return out, err
}

// awaitReply waits for the reply to the request id in OKTA_REPLIES.
func awaitReply(t *testing.T, js jetstream.JetStream, id string) messages.Reply {
	t.Helper()
	var got []messages.Reply
	require.Eventually(t, func() bool {
		var err error
		got, err = repliesTo(js, id)
		return err == nil && len(got) > 0
	}, waitFor, poll, "no reply to %s", id)
	return got[0]
}

// consumerInfo returns the current state of a tenant's consumer.
func consumerInfo(t *testing.T, js jetstream.JetStream, tenant string) *jetstream.ConsumerInfo {
	t.Helper()
	ctx := context.Background()
	c, err := js.Consumer(ctx, DefaultRequestsStream, DefaultConsumerPrefix+tenant)
	require.NoError(t, err)
	info, err := c.Info(ctx)
	require.NoError(t, err)
	return info
}

// streamMsgs returns how many messages a stream holds.
func streamMsgs(t *testing.T, js jetstream.JetStream, stream string) uint64 {
	t.Helper()
	s, err := js.Stream(context.Background(), stream)
	require.NoError(t, err)
	info, err := s.Info(context.Background())
	require.NoError(t, err)
	return info.State.Msgs
}

// userField reads a string attribute of a user's JSON: a top-level one,
// or profile.<name> when name starts with "profile.".
func userField(t *testing.T, user json.RawMessage, name string) string {
	t.Helper()
	var u struct {
		ID      string                     `json:"id"`
		Profile map[string]json.RawMessage `json:"profile"`
	}
	require.NoError(t, json.Unmarshal(user, &u), "user %s", user)
	if name == "id" {
		return u.ID
	}
	var v string
	raw, ok := u.Profile[strings.TrimPrefix(name, "profile.")]
	require.True(t, ok, "user has no %s: %s", name, user)
	require.NoError(t, json.Unmarshal(raw, &v))
	return v
}

// entriesWith returns the log entries with the message whose string
// field key equals value.
func entriesWith(logs *observer.ObservedLogs, msg, key, value string) []observer.LoggedEntry {
	var out []observer.LoggedEntry
	for _, e := range logs.FilterMessage(msg).All() {
		if v, ok := e.ContextMap()[key]; ok && v == value {
			out = append(out, e)
		}
	}
	return out
}
