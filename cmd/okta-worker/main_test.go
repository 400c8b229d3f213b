package main

import (
	"bytes"
	"context"
	"flag"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestApplyEnv(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	conc := fs.Int("concurrency", 4, "")
	wait := fs.Duration("ack-wait", time.Second, "")
	url := fs.String("nats-url", "", "")
	require.NoError(t, fs.Parse([]string{"--nats-url", "nats://flag:4222"}))
	env := map[string]string{
		"OKTA_WORKER_CONCURRENCY": "9",
		"OKTA_WORKER_ACK_WAIT":    "45s",
		"OKTA_WORKER_NATS_URL":    "nats://env:4222",
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }

	require.NoError(t, applyEnv(fs, lookup))
	assert.Equal(t, 9, *conc)
	assert.Equal(t, 45*time.Second, *wait)
	assert.Equal(t, "nats://flag:4222", *url, "a flag on the command line beats the environment")

	env["OKTA_WORKER_CONCURRENCY"] = "many"
	fs2 := flag.NewFlagSet("t", flag.ContinueOnError)
	fs2.Int("concurrency", 4, "")
	require.NoError(t, fs2.Parse(nil))
	err := applyEnv(fs2, lookup)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "OKTA_WORKER_CONCURRENCY")
}

func TestDispatchRejectsUnknownCommand(t *testing.T) {
	var stderr bytes.Buffer
	err := dispatch(context.Background(), []string{"frobnicate"}, &stderr)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "frobnicate")
	assert.Contains(t, stderr.String(), "okta-worker run")
}

func TestRunNeedsTenants(t *testing.T) {
	var stderr bytes.Buffer
	err := dispatch(context.Background(), []string{"run"}, &stderr)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "--tenants")
}

func TestDispatchDeadNeedsASubcommand(t *testing.T) {
	var stderr bytes.Buffer
	err := dispatch(context.Background(), []string{"dead"}, &stderr)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "list or replay")

	stderr.Reset()
	err = dispatch(context.Background(), []string{"dead", "-h"}, &stderr)
	assert.ErrorIs(t, err, flag.ErrHelp)
	assert.Contains(t, stderr.String(), "okta-worker dead replay")
}
