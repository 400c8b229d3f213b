package main

import (
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/okta-worker/okta-worker/messages"
	"github.com/okta-worker/okta-worker/okta/oktasim"
	"github.com/okta-worker/okta-worker/worker"
)

// TestRunAndSubmit wires "okta-worker sim", "okta-worker run --nats-url"
// and "okta-worker submit" together as an operator would by hand.
func TestRunAndSubmit(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	srv, err := startEmbeddedNATS("127.0.0.1:0", t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	simDone := make(chan error, 1)
	go func() { simDone <- serveHTTP(ctx, ln, oktasim.New(oktasim.WithToken("tok-123"))) }()

	dir := t.TempDir()
	tenants := writeFile(t, dir, "tenants.yaml", "tenants:\n  - name: local\n    base_url: http://"+
		ln.Addr().String()+"\n    token_env: OKTA_TOKEN_LOCAL\n")
	t.Setenv("OKTA_TOKEN_LOCAL", "tok-123")
	f := runFlags{tenants: tenants, natsURL: srv.ClientURL(), dataDir: filepath.Join(dir, "x"),
		httpTimeout: 5 * time.Second}
	runDone := make(chan error, 1)
	go func() { runDone <- runWorker(ctx, f, zap.NewNop()) }()
	waitForConsumer(t, srv.ClientURL(), "local")

	sf := submitFlags{natsURL: srv.ClientURL(), prefix: messages.DefaultPrefix,
		repliesStream: worker.DefaultRepliesStream, tenant: "local",
		action: string(messages.ActionCreateUser),
		params: `{"email":"newcomer@example.com","first_name":"New","last_name":"Comer"}`}
	r, err := submit(ctx, sf)
	require.NoError(t, err)
	require.True(t, r.Success, "%+v", r.Error)
	assert.Contains(t, string(r.Data), `"login":"newcomer@example.com"`)

	// The same request id again, moments later: the worker answers from
	// its record without calling Okta, and the stream drops that reply
	// as a duplicate, so submit must find the first one.
	sf.id = r.ID
	again, err := submit(ctx, sf)
	require.NoError(t, err)
	assert.Equal(t, r, again)

	cancel()
	require.NoError(t, <-runDone)
	<-simDone
}

func waitForConsumer(t *testing.T, url, tenant string) {
	t.Helper()
	nc, err := nats.Connect(url)
	require.NoError(t, err)
	defer nc.Close()
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		_, err := js.Consumer(context.Background(), worker.DefaultRequestsStream,
			worker.DefaultConsumerPrefix+tenant)
		return err == nil
	}, 15*time.Second, 20*time.Millisecond)
}

// TestReplyReaderKeepsRepliesStoredBeforeTheFirstRead pins the reader
// submit uses: a reply stored after the reader was made but before its
// first read must still be read.
func TestReplyReaderKeepsRepliesStoredBeforeTheFirstRead(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	srv, err := startEmbeddedNATS("127.0.0.1:0", t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	nc, err := nats.Connect(srv.ClientURL())
	require.NoError(t, err)
	defer nc.Close()
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	_, err = js.CreateStream(ctx, jetstream.StreamConfig{Name: "R", Subjects: []string{"r.>"}})
	require.NoError(t, err)
	_, err = js.Publish(ctx, "r.t.get_user", []byte(`{"id":"old"}`))
	require.NoError(t, err)

	cons, err := replyReader(ctx, js, "R", "r.t.get_user")
	require.NoError(t, err)
	_, err = js.Publish(ctx, "r.t.get_user", []byte(`{"id":"mine","success":true}`))
	require.NoError(t, err)

	r, err := awaitReply(ctx, cons, "mine")
	require.NoError(t, err)
	assert.True(t, r.Success)
}
