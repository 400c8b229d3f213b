package worker

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStreamsAndConsumers(t *testing.T) {
	_, js := connect(t, startNATS(t))
	ctx := context.Background()
	// A stream left by a replica whose tenants file names "old", with a
	// limit an operator added.
	_, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name: DefaultRequestsStream, Subjects: []string{"okta.requests.old.>"},
		Retention: jetstream.WorkQueuePolicy, Storage: jetstream.FileStorage, MaxMsgs: 1000,
	})
	require.NoError(t, err)
	acme := newOrg(t, testToken)
	cfg := testConfig()
	cfg.RepliesMaxAge = time.Hour
	cfg.RepliesDuplicates = 2 * time.Hour
	cfg.AckWait = 20 * time.Second
	cfg.Concurrency = 3
	startWorker(t, js, []Tenant{{Name: "acme", Okta: acme.client}}, cfg)

	req := streamInfo(t, js, DefaultRequestsStream)
	assert.Equal(t, []string{"okta.requests.old.>", "okta.requests.acme.>"}, req.Subjects)
	assert.Equal(t, jetstream.WorkQueuePolicy, req.Retention)
	assert.Equal(t, jetstream.FileStorage, req.Storage)
	assert.Equal(t, int64(1000), req.MaxMsgs, "the operator's limit survives")

	rep := streamInfo(t, js, DefaultRepliesStream)
	assert.Equal(t, []string{"okta.replies.>"}, rep.Subjects)
	assert.Equal(t, jetstream.LimitsPolicy, rep.Retention)
	assert.Equal(t, time.Hour, rep.MaxAge)
	assert.Equal(t, time.Hour, rep.Duplicates, "the window is capped at the max age")

	dead := streamInfo(t, js, DefaultDeadStream)
	assert.Equal(t, []string{"okta.dead.>"}, dead.Subjects)

	c := consumerInfo(t, js, "acme").Config
	assert.Equal(t, "okta-worker-acme", c.Durable)
	assert.Equal(t, "okta.requests.acme.>", c.FilterSubject)
	assert.Equal(t, jetstream.AckExplicitPolicy, c.AckPolicy)
	assert.Equal(t, 20*time.Second, c.AckWait)
	assert.Equal(t, 6, c.MaxAckPending)
	assert.Zero(t, c.InactiveThreshold, "a durable worker consumer never expires")

	// A replica with an older tenants file adds its tenant and removes
	// none.
	beta := newOrg(t, testToken)
	_, js2 := connect(t, serverURL(t, js))
	startWorker(t, js2, []Tenant{{Name: "beta", Okta: beta.client}}, cfg)
	assert.Equal(t,
		[]string{"okta.requests.old.>", "okta.requests.acme.>", "okta.requests.beta.>"},
		streamInfo(t, js, DefaultRequestsStream).Subjects)
}

// serverURL returns the URL of the server js is connected to.
func serverURL(t *testing.T, js jetstream.JetStream) string {
	t.Helper()
	return js.Conn().ConnectedUrl()
}

// streamInfo returns a stream's configuration.
func streamInfo(t *testing.T, js jetstream.JetStream, name string) jetstream.StreamConfig {
	t.Helper()
	s, err := js.Stream(context.Background(), name)
	require.NoError(t, err)
	return s.CachedInfo().Config
}

func TestMergeSubjects(t *testing.T) {
	tests := []struct {
		name           string
		have, add, out []string
	}{
		{name: "new stream", add: []string{"a.>"}, out: []string{"a.>"}},
		{name: "keeps what it has", have: []string{"x.>"}, add: []string{"a.>"},
			out: []string{"x.>", "a.>"}},
		{name: "no duplicates", have: []string{"a.>", "x.>"}, add: []string{"x.>", "a.>"},
			out: []string{"a.>", "x.>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.out, mergeSubjects(tt.have, tt.add))
		})
	}
}
