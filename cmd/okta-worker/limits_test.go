package main

import (
	"flag"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/okta-worker/okta-worker/okta"
	"github.com/okta-worker/okta-worker/worker"
)

func TestLimitFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want okta.LimiterConfig
	}{
		{name: "defaults", want: okta.LimiterConfig{MinWait: worker.DefaultMinPause,
			MaxWait: worker.DefaultMaxPause, ConcurrencyWait: okta.DefaultConcurrencyWait}},
		{name: "flags",
			args: []string{"--rate-reserve", "12.5", "--min-pause", "2s", "--max-pause", "1m",
				"--concurrency-backoff", "250ms"},
			want: okta.LimiterConfig{ReservePercent: 12.5, MinWait: 2 * time.Second,
				MaxWait: time.Minute, ConcurrencyWait: 250 * time.Millisecond}},
		{name: "environment",
			env: map[string]string{"OKTA_WORKER_RATE_RESERVE": "10",
				"OKTA_WORKER_MAX_PAUSE": "90s", "OKTA_WORKER_CONCURRENCY_BACKOFF": "1s"},
			want: okta.LimiterConfig{ReservePercent: 10, MinWait: worker.DefaultMinPause,
				MaxWait: 90 * time.Second, ConcurrencyWait: time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("run", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			var f runFlags
			f.define(fs)
			require.NoError(t, fs.Parse(tt.args))
			lookup := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
			require.NoError(t, applyEnv(fs, lookup))
			assert.Equal(t, tt.want, f.limits.limiterConfig(f.worker))
		})
	}
}

func TestBuildTenantsGivesEachItsLimiter(t *testing.T) {
	confs := []tenantConfig{
		{Name: "acme", BaseURL: "http://127.0.0.1:1", TokenEnv: "TOKEN_ACME"},
		{Name: "globex", BaseURL: "http://127.0.0.1:2", TokenEnv: "TOKEN_GLOBEX"},
	}
	getenv := func(string) string { return "secret-token" }
	tenants, err := buildTenants(confs, http.DefaultClient, getenv, okta.LimiterConfig{})
	require.NoError(t, err)
	require.Len(t, tenants, 2)
	require.NotNil(t, tenants[0].Limiter)
	require.NotNil(t, tenants[1].Limiter)
	assert.NotSame(t, tenants[0].Limiter, tenants[1].Limiter,
		"an org's buckets are its own: one limiter per tenant")

	_, err = buildTenants(confs, http.DefaultClient, getenv,
		okta.LimiterConfig{ReservePercent: 150})
	require.ErrorIs(t, err, okta.ErrInvalidConfig)
	assert.Contains(t, err.Error(), `tenant "acme"`)
	assert.NotContains(t, err.Error(), "secret-token")
}
