package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/okta-worker/okta-worker/messages"
	"github.com/okta-worker/okta-worker/okta"
	"github.com/okta-worker/okta-worker/okta/oktasim"
	"github.com/okta-worker/okta-worker/worker"
)

// TestDeadListAndReplay makes a dead letter with a worker whose Okta
// fails, then lists and replays it with the CLI.
func TestDeadListAndReplay(t *testing.T) {
	srv, err := startEmbeddedNATS("127.0.0.1:0", t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	url := srv.ClientURL()
	nc, err := nats.Connect(url)
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	require.NoError(t, err)

	keyFile := filepath.Join(t.TempDir(), "dead.key")
	require.NoError(t, os.WriteFile(keyFile,
		[]byte("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n"), 0o600))
	key, err := readKeyFile(keyFile)
	require.NoError(t, err)

	sim := oktasim.New()
	hs := httptest.NewServer(sim)
	t.Cleanup(func() { sim.Close(); hs.Close() })
	client, err := okta.NewClient(hs.URL, "tok-dead")
	require.NoError(t, err)
	cfg := worker.Config{MaxAttempts: 2, RetryInitial: time.Millisecond,
		RetryMax: time.Millisecond, Reliability: worker.Reliability{DeadLetterKey: key}}
	sim.Inject(oktasim.Injection{Method: "POST", Path: "/api/v1/users",
		Fault: oktasim.Fault503, Count: cfg.MaxAttempts})
	w, err := worker.New(js, []worker.Tenant{{Name: "acme", Okta: client}}, cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	runDone := make(chan error, 1)
	go func() { runDone <- w.Run(ctx) }()
	t.Cleanup(func() { cancel(); assert.NoError(t, <-runDone) })
	waitForConsumer(t, url, "acme")

	const password = "Dead-Letter-Pa55word!"
	body, _ := json.Marshal(map[string]any{"id": "cli-1", "params": map[string]any{
		"email": "cli@example.com", "first_name": "C", "last_name": "Li", "password": password}})
	_, err = js.Publish(ctx, messages.Subjects{}.Request("acme", messages.ActionCreateUser),
		body, jetstream.WithMsgID("cli-msg-1"))
	require.NoError(t, err)

	var out bytes.Buffer
	stdout = &out
	t.Cleanup(func() { stdout = os.Stdout })
	list := []string{"dead", "list", "--nats-url", url, "--tenant", "acme"}
	require.Eventually(t, func() bool {
		out.Reset()
		return dispatch(ctx, list, &out) == nil && strings.Contains(out.String(), "cli-1")
	}, 15*time.Second, 20*time.Millisecond, "no dead letter listed")
	assert.Contains(t, out.String(), "sealed")
	assert.Contains(t, out.String(), "attempts exhausted: upstream_unavailable")
	assert.NotContains(t, out.String(), password)

	var stderr bytes.Buffer
	require.ErrorContains(t, dispatch(ctx, []string{"dead", "replay", "--nats-url", url},
		&stderr), "--id, --tenant or --all")
	out.Reset()
	require.NoError(t, dispatch(ctx, []string{"dead", "replay", "--nats-url", url,
		"--id", "cli-1", "--dead-letter-key-file", keyFile}, &stderr))
	assert.Contains(t, out.String(), "1 replayed")

	require.Eventually(t, func() bool { return sim.CountByLogin("cli@example.com") == 1 },
		15*time.Second, 20*time.Millisecond, "replayed request not performed")
	out.Reset()
	require.NoError(t, dispatch(ctx, list, &out))
	assert.NotContains(t, out.String(), "cli-1")
}
