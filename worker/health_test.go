package worker

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/okta-worker/okta-worker/messages"
)

// restartableNATS is an embedded JetStream server that a test can stop
// and start again on the same port and store.
type restartableNATS struct {
	t    *testing.T
	opts server.Options
	srv  *server.Server
}

// startRestartableNATS starts a server on a random loopback port.
func startRestartableNATS(t *testing.T) *restartableNATS {
	r := &restartableNATS{t: t, opts: server.Options{Host: "127.0.0.1", Port: -1,
		JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true}}
	r.start()
	r.opts.Port = r.srv.Addr().(*net.TCPAddr).Port
	t.Cleanup(r.stop)
	return r
}

// start starts the server.
func (r *restartableNATS) start() {
	opts := r.opts
	s, err := server.NewServer(&opts)
	require.NoError(r.t, err)
	go s.Start()
	require.True(r.t, s.ReadyForConnections(10*time.Second), "nats-server not ready")
	r.srv = s
}

// stop shuts the server down; it may be called when stopped.
func (r *restartableNATS) stop() {
	if r.srv != nil {
		r.srv.Shutdown()
		r.srv.WaitForShutdown()
		r.srv = nil
	}
}

// get returns the status and body of a GET on the handler.
func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	body, err := io.ReadAll(rec.Result().Body)
	require.NoError(t, err)
	return rec.Code, string(body)
}

func TestReadinessAcrossNATSRestart(t *testing.T) {
	ns := startRestartableNATS(t)
	nc, err := nats.Connect(ns.srv.ClientURL(), nats.MaxReconnects(-1),
		nats.ReconnectWait(50*time.Millisecond))
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	acme := newOrg(t, testToken)
	log, _ := observed(t)
	w, err := New(js, []Tenant{{Name: "acme", Okta: acme.client}}, testConfig(),
		WithLogger(log))
	require.NoError(t, err)
	h := w.HealthHandler()
	code, body := get(t, h, "/readyz")
	assert.Equal(t, http.StatusServiceUnavailable, code, "ready before Run: %s", body)

	w = startWorker(t, js, []Tenant{{Name: "acme", Okta: acme.client}}, testConfig(),
		WithLogger(log))
	h = w.HealthHandler()
	code, _ = get(t, h, "/livez")
	assert.Equal(t, http.StatusOK, code)
	code, body = get(t, h, "/readyz")
	require.Equal(t, http.StatusOK, code, body)

	ns.stop()
	require.Eventually(t, func() bool {
		code, body = get(t, h, "/readyz")
		return code == http.StatusServiceUnavailable
	}, waitFor, poll, "still ready without NATS")
	assert.Contains(t, body, "nats connection")
	code, _ = get(t, h, "/livez")
	assert.Equal(t, http.StatusOK, code, "alive while NATS is down")

	ns.start()
	require.Eventually(t, func() bool {
		code, _ = get(t, h, "/readyz")
		return code == http.StatusOK
	}, waitFor, poll, "not ready again after NATS came back")
	request(t, js, messages.Subjects{}.Request("acme", messages.ActionListTypeIDOptions),
		"after-restart", map[string]any{"id": "after-restart"})
	got := awaitReply(t, js, "after-restart")
	assert.True(t, got.Success, "%+v", got.Error)
}

func TestReadinessNamesTenantNotConsumed(t *testing.T) {
	_, js := connect(t, startNATS(t))
	acme := newOrg(t, testToken)
	globex := newOrg(t, testToken)
	log, _ := observed(t)
	w := startWorker(t, js, []Tenant{{Name: "acme", Okta: acme.client},
		{Name: "globex", Okta: globex.client}}, testConfig(), WithLogger(log))
	require.NoError(t, w.Ready())

	// With its consumer gone and the consumer unable to be created again
	// (an operator deleted the stream), no replica consumes the tenants:
	// readiness says so until the consumption is back.
	ctx := context.Background()
	require.NoError(t, js.DeleteStream(ctx, DefaultRequestsStream))
	require.Eventually(t, func() bool {
		err := w.Ready()
		return err != nil && strings.Contains(err.Error(), "acme, globex")
	}, waitFor, poll, "readiness did not report the tenants")
	code, body := get(t, w.HealthHandler(), "/readyz")
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Contains(t, body, "not consuming tenants acme, globex")
}

func TestLivenessFailsForAbandonedTenant(t *testing.T) {
	_, js := connect(t, startNATS(t))
	acme := newOrg(t, testToken)
	w, err := New(js, []Tenant{{Name: "acme", Okta: acme.client}}, testConfig())
	require.NoError(t, err)
	code, _ := get(t, w.HealthHandler(), "/livez")
	assert.Equal(t, http.StatusOK, code)

	// What serve records after a consumption kept ending.
	w.health.abandon("acme")
	code, body := get(t, w.HealthHandler(), "/livez")
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Contains(t, body, "gave up consuming tenants acme")
}
