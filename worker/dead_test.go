package worker

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/okta-worker/okta-worker/messages"
	"github.com/okta-worker/okta-worker/okta/oktasim"
)

// deadLetters lists the dead letters, failing the test on error.
func deadLetters(t *testing.T, js jetstream.JetStream, cfg Config) []DeadEntry {
	t.Helper()
	d, err := NewDead(js, cfg)
	require.NoError(t, err)
	got, err := d.List(context.Background(), "")
	require.NoError(t, err)
	return got
}

// awaitDead waits until the dead-letter stream holds n letters and the
// work queue is empty.
func awaitDead(t *testing.T, js jetstream.JetStream, n uint64) {
	t.Helper()
	require.Eventually(t, func() bool {
		return streamMsgs(t, js, DefaultDeadStream) == n &&
			streamMsgs(t, js, DefaultRequestsStream) == 0
	}, waitFor, poll, "dead letters never reached %d", n)
}

// deadStreamText returns every stored dead letter's body, concatenated.
func deadStreamText(t *testing.T, js jetstream.JetStream) string {
	t.Helper()
	var b strings.Builder
	for _, e := range deadLetters(t, js, Config{}) {
		b.Write(mustJSON(e.Letter))
	}
	return b.String()
}

func TestExhaustedAttemptsAreDeadLetteredAndReplayed(t *testing.T) {
	tests := []struct {
		name string
		key  []byte
	}{
		{
			name: "password sealed with the dead-letter key",
			key:  []byte("0123456789abcdef0123456789abcdef"),
		},
		{name: "password removed without a key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, js := connect(t, startNATS(t))
			acme := newOrg(t, testToken)
			cfg := testConfig()
			cfg.DeadLetterKey = tt.key
			acme.sim.Inject(oktasim.Injection{Method: "POST", Path: "/api/v1/users",
				Fault: oktasim.Fault500, Count: cfg.MaxAttempts})
			log, _ := observed(t)
			startWorker(t, js, []Tenant{{Name: "acme", Okta: acme.client}}, cfg,
				WithLogger(log))
			request(t, js, messages.Subjects{}.Request("acme", messages.ActionCreateUser),
				"m-1", createBody("dl-1", "dl@example.com", "Dl"))

			first := awaitReply(t, js, "dl-1")
			require.False(t, first.Success)
			assert.Equal(t, messages.CodeUpstreamUnavailable, first.Error.Code)
			awaitDead(t, js, 1)
			letters := deadLetters(t, js, cfg)
			require.Len(t, letters, 1)
			dl := letters[0].Letter
			assert.Equal(t, "dl-1", dl.ID)
			assert.Equal(t, "acme", dl.Tenant)
			assert.Equal(t, "create_user", dl.Action)
			assert.Contains(t, dl.Reason, "attempts exhausted")
			assert.NotContains(t, deadStreamText(t, js), testPassword)
			assert.Equal(t, tt.key == nil, dl.PasswordRemoved)
			assert.Equal(t, tt.key != nil, dl.SealedPassword != "")

			d, err := NewDead(js, cfg)
			require.NoError(t, err)
			ctx := context.Background()
			sel := ReplaySelect{ID: "dl-1"}
			if tt.key == nil {
				_, err := d.Replay(ctx, sel)
				require.ErrorContains(t, err, "password")
				assert.Len(t, deadLetters(t, js, cfg), 1, "a refused letter stays")
				sel.DropPassword = true
			}
			replayed, err := d.Replay(ctx, sel)
			require.NoError(t, err)
			require.Len(t, replayed, 1)

			require.Eventually(t, func() bool {
				got, err := repliesTo(js, "dl-1")
				return err == nil && len(got) == 2 && got[1].Success
			}, waitFor, poll, "the replayed request was not answered")
			assert.Equal(t, 1, acme.sim.CountByLogin("dl@example.com"))
			assert.Empty(t, deadLetters(t, js, cfg))
		})
	}
}

func TestOutOfDeliveries(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(t *testing.T, js jetstream.JetStream, acme *org) map[string]any
		wantReply  messages.Code // "" when the reply cannot be published
		wantReason string
	}{{
		name: "never answered",
		setup: func(t *testing.T, _ jetstream.JetStream, acme *org) map[string]any {
			// Okta holds every call until the test ends.
			acme.sim.Inject(oktasim.Injection{Fault: oktasim.FaultTimeout, Count: 100})
			return map[string]any{"id": "od-1"}
		},
		wantReply:  messages.CodeInternal,
		wantReason: "without an answer",
	}, {
		name: "reply cannot be published",
		setup: func(t *testing.T, js jetstream.JetStream, _ *org) map[string]any {
			ctx := context.Background()
			_, err := js.CreateStream(ctx, jetstream.StreamConfig{
				Name: "APP_FULL", Subjects: []string{"app.full.>"},
				MaxMsgs: 1, Discard: jetstream.DiscardNew,
			})
			require.NoError(t, err)
			_, err = js.Publish(ctx, "app.full.filler", []byte("{}"))
			require.NoError(t, err)
			return map[string]any{"id": "od-1", "reply_to": "app.full.r1"}
		},
		wantReason: "reply could not be published",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, js := connect(t, startNATS(t))
			acme := newOrg(t, testToken)
			cfg := testConfig()
			cfg.MaxDeliver = 2
			cfg.AckWait = time.Second
			cfg.KeepAlive = -1
			cfg.ShutdownGrace = 50 * time.Millisecond
			body := tt.setup(t, js, acme)
			log, _ := observed(t)
			startWorker(t, js, []Tenant{{Name: "acme", Okta: acme.client}}, cfg,
				WithLogger(log))
			request(t, js, messages.Subjects{}.Request("acme", messages.ActionListTypeIDOptions),
				"m-1", body)

			awaitDead(t, js, 1)
			letters := deadLetters(t, js, cfg)
			require.Len(t, letters, 1)
			assert.Contains(t, letters[0].Letter.Reason, tt.wantReason)
			assert.Equal(t, uint64(2), letters[0].Letter.Deliveries)
			if tt.wantReply != "" {
				got := awaitReply(t, js, "od-1")
				require.False(t, got.Success)
				assert.Equal(t, tt.wantReply, got.Error.Code)
			}
		})
	}
}

func TestDuplicateOutOfDeliveriesIsOnlyRemoved(t *testing.T) {
	// The original is held by Okta (and kept alive); its duplicate waits,
	// hands itself back and runs out of deliveries. It is removed without
	// a reply or a dead letter: the original answers the id.
	_, js := connect(t, startNATS(t))
	acme := newOrg(t, testToken)
	acme.sim.Inject(oktasim.Injection{Fault: oktasim.FaultTimeout, Count: 100})
	cfg := testConfig()
	cfg.MaxDeliver = 2
	cfg.AckWait = time.Second
	cfg.ShutdownGrace = 50 * time.Millisecond
	log, logs := observed(t)
	startWorker(t, js, []Tenant{{Name: "acme", Okta: acme.client}}, cfg, WithLogger(log))
	subject := messages.Subjects{}.Request("acme", messages.ActionListTypeIDOptions)

	request(t, js, subject, "orig", map[string]any{"id": "dup-od-1"})
	require.Eventually(t, func() bool { return acme.sim.InFlight() == 1 }, waitFor, poll)
	request(t, js, subject, "again", map[string]any{"id": "dup-od-1"})
	msg := "duplicate out of deliveries removed; the message holding its id answers it"
	require.Eventually(t, func() bool { return logs.FilterMessage(msg).Len() == 1 },
		waitFor, poll, "the duplicate was not removed")
	assert.Equal(t, uint64(1), streamMsgs(t, js, DefaultRequestsStream), "original kept")
	assert.Zero(t, streamMsgs(t, js, DefaultDeadStream))
	got, err := repliesTo(js, "dup-od-1")
	require.NoError(t, err)
	assert.Empty(t, got, "only the original answers")
}
