package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/okta-worker/okta-worker/okta/oktasim"
)

// TestMain lets a test run the command itself in a child process: with
// OKTA_WORKER_TEST_ARGS set, the test binary is okta-worker.
func TestMain(m *testing.M) {
	if raw := os.Getenv("OKTA_WORKER_TEST_ARGS"); raw != "" {
		var args []string
		if err := json.Unmarshal([]byte(raw), &args); err != nil {
			fmt.Fprintln(os.Stderr, "bad OKTA_WORKER_TEST_ARGS:", err)
			os.Exit(2)
		}
		os.Args = append([]string{"okta-worker"}, args...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestSIGTERMExitsZero runs "okta-worker run" as a process, waits until
// its readiness endpoint says ready, sends SIGTERM and expects exit 0.
func TestSIGTERMExitsZero(t *testing.T) {
	srv, err := startEmbeddedNATS("127.0.0.1:0", t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	sim := oktasim.New()
	hs := httptest.NewServer(sim)
	t.Cleanup(func() { sim.Close(); hs.Close() })
	tenants := writeFile(t, t.TempDir(), "tenants.yaml", "tenants:\n  - name: local\n"+
		"    base_url: "+hs.URL+"\n    token_env: OKTA_TOKEN_LOCAL\n")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	healthAddr := ln.Addr().String()
	require.NoError(t, ln.Close())

	args, _ := json.Marshal([]string{"run", "--tenants", tenants, "--nats-url", srv.ClientURL(),
		"--health-addr", healthAddr, "--shutdown-grace", "2s", "--log-level", "error"})
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "OKTA_WORKER_TEST_ARGS="+string(args),
		"OKTA_TOKEN_LOCAL=tok-sigterm")
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	})

	ready := func() bool {
		resp, err := http.Get("http://" + healthAddr + "/readyz")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode == http.StatusOK
	}
	require.Eventually(t, ready, 30*time.Second, 20*time.Millisecond, "never ready")

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	select {
	case err := <-exited:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			assert.Equal(t, 0, ee.ExitCode(), "exit status after SIGTERM")
		}
		require.NoError(t, err)
	case <-ctx.Done():
		require.FailNow(t, "still running 30 s after SIGTERM")
	}
	assert.False(t, ready(), "health endpoint still up after exit")
}
