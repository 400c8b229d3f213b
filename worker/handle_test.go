package worker

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/okta-worker/okta-worker/messages"
	"github.com/okta-worker/okta-worker/okta/oktasim"
)

func TestOneReplyUnderRedelivery(t *testing.T) {
	url := startNATS(t)
	// Okta answers after 1.5 s, the ack deadline is 0.5 s and keep-alives
	// are off, so the request is delivered again while the first delivery
	// is still waiting on Okta, to whichever replica pulls first.
	acme := newOrg(t, testToken, oktasim.WithLatency(1500*time.Millisecond))
	acme.sim.AddUser(map[string]any{"login": "ada@example.com", "email": "ada@example.com"})
	cfg := testConfig()
	cfg.AckWait = 500 * time.Millisecond
	cfg.KeepAlive = -1
	cfg.Concurrency = 1
	log, logs := observed(t)
	var js jetstream.JetStream
	for range 2 {
		_, js = connect(t, url)
		startWorker(t, js, []Tenant{{Name: "acme", Okta: acme.client}}, cfg, WithLogger(log))
	}

	request(t, js, "okta.requests.acme.get_user", "redelivered-1", map[string]any{
		"id": "redelivered-1", "params": map[string]any{"user_id": "ada@example.com"},
	})
	require.Eventually(t, func() bool {
		return acme.sim.Requests()[oktasim.BucketUserByID] >= 2 &&
			streamMsgs(t, js, DefaultRequestsStream) == 0 && acme.sim.InFlight() == 0
	}, waitFor, poll, "request not delivered twice and then acknowledged")

	got, err := repliesTo(js, "redelivered-1")
	require.NoError(t, err)
	require.Len(t, got, 1, "the replies stream drops the second reply")
	assert.True(t, got[0].Success)
	assert.NotEmpty(t, logs.FilterMessage("request redelivered").All())
}

func TestKeepAliveHoldsSlowRequest(t *testing.T) {
	_, js := connect(t, startNATS(t))
	// Okta takes three ack deadlines to answer; InProgress every third of
	// one keeps the single delivery alive.
	acme := newOrg(t, testToken, oktasim.WithLatency(1500*time.Millisecond))
	cfg := testConfig()
	cfg.AckWait = 500 * time.Millisecond
	log, logs := observed(t)
	startWorker(t, js, []Tenant{{Name: "acme", Okta: acme.client}}, cfg, WithLogger(log))

	request(t, js, "okta.requests.acme.list_type_id_options", "slow-1",
		map[string]any{"id": "slow-1"})
	r := awaitReply(t, js, "slow-1")
	assert.True(t, r.Success)
	require.Eventually(t, func() bool {
		return streamMsgs(t, js, DefaultRequestsStream) == 0
	}, waitFor, poll)
	info := consumerInfo(t, js, "acme")
	assert.Zero(t, info.NumRedelivered)
	assert.Equal(t, 1, acme.sim.Requests()[oktasim.BucketGeneric])
	assert.Empty(t, logs.FilterMessage("request redelivered").All())
}

func TestUnparseableIsTerminated(t *testing.T) {
	_, js := connect(t, startNATS(t))
	acme := newOrg(t, testToken)
	log, _ := observed(t)
	cfg := testConfig()
	cfg.AckWait = 500 * time.Millisecond
	startWorker(t, js, []Tenant{{Name: "acme", Okta: acme.client}}, cfg, WithLogger(log))

	request(t, js, "okta.requests.acme.create_user", "garbled-1", []byte(`{"params": [`))
	r := awaitReply(t, js, "garbled-1")
	assert.Equal(t, messages.CodeInvalidRequest, r.Error.Code)
	assert.Zero(t, r.Attempts)

	require.Eventually(t, func() bool {
		info := consumerInfo(t, js, "acme")
		return streamMsgs(t, js, DefaultRequestsStream) == 0 && info.NumAckPending == 0
	}, waitFor, poll, "the request was not terminated")
	// Terminated, the message left the work queue and cannot come back;
	// a later request shows the worker went on, and one reply exists.
	request(t, js, "okta.requests.acme.list_type_id_options", "after-1",
		map[string]any{"id": "after-1"})
	awaitReply(t, js, "after-1")
	got, err := repliesTo(js, "garbled-1")
	require.NoError(t, err)
	assert.Len(t, got, 1)
	assert.Zero(t, consumerInfo(t, js, "acme").NumRedelivered)
	assert.Empty(t, acme.sim.Requests()[oktasim.BucketUsers], "okta never called")
}

func TestNewUser(t *testing.T) {
	tests := []struct {
		name     string
		params   messages.CreateUserParams
		want     map[string]string // profile attribute → JSON
		password string
	}{{
		name: "named params and custom attributes",
		params: messages.CreateUserParams{
			Email: "a@example.com", FirstName: "A", LastName: "B",
			MobilePhone: "+1 555", SecondEmail: "b@example.com", Login: "a-login",
			Profile:  map[string]json.RawMessage{"costCenter": json.RawMessage(`9007199254740993`)},
			Password: messages.NewSecret("p4ss"), Activate: true,
		},
		want: map[string]string{
			"email": `"a@example.com"`, "login": `"a-login"`, "firstName": `"A"`,
			"lastName": `"B"`, "mobilePhone": `"+1 555"`, "secondEmail": `"b@example.com"`,
			"costCenter": `9007199254740993`,
		},
		password: "p4ss",
	}, {
		name:   "login defaults to email",
		params: messages.CreateUserParams{Email: "a@example.com", TypeID: "oty1"},
		want:   map[string]string{"email": `"a@example.com"`, "login": `"a@example.com"`},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := newUser(&tt.params)
			require.Len(t, got.Profile, len(tt.want))
			for k, v := range tt.want {
				assert.JSONEq(t, v, string(got.Profile[k]), k)
			}
			assert.Equal(t, tt.password, got.Password)
			assert.Equal(t, tt.params.TypeID, got.TypeID)
			assert.Equal(t, tt.params.Activate, got.Activate)
		})
	}
}

func TestReplyFailureIsNotAcked(t *testing.T) {
	_, js := connect(t, startNATS(t))
	ctx := context.Background()
	// The caller's reply stream is full and refuses new messages, so the
	// reply cannot be published.
	full, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name: "APP_FULL", Subjects: []string{"app.full.>"},
		MaxMsgs: 1, Discard: jetstream.DiscardNew,
	})
	require.NoError(t, err)
	_, err = js.Publish(ctx, "app.full.filler", []byte("{}"))
	require.NoError(t, err)
	acme := newOrg(t, testToken)
	log, logs := observed(t)
	// Enough deliveries that the request is not dead-lettered while the
	// test watches it come back (TestOutOfDeliveries covers that).
	cfg := testConfig()
	cfg.MaxDeliver = 1000
	startWorker(t, js, []Tenant{{Name: "acme", Okta: acme.client}}, cfg, WithLogger(log))

	request(t, js, "okta.requests.acme.list_type_id_options", "full-1",
		map[string]any{"id": "full-1", "reply_to": "app.full.r1"})
	require.Eventually(t, func() bool {
		return len(logs.FilterMessage("publishing reply failed, request will come back").
			All()) >= 2
	}, waitFor, poll, "the request did not come back after its reply failed")
	assert.Equal(t, uint64(1), streamMsgs(t, js, DefaultRequestsStream), "not acknowledged")

	// Once the reply can be published, the request is answered and acked.
	require.NoError(t, full.Purge(ctx))
	require.Eventually(t, func() bool {
		m, err := full.GetLastMsgForSubject(ctx, "app.full.r1")
		return err == nil && len(m.Data) > 0 && streamMsgs(t, js, DefaultRequestsStream) == 0
	}, waitFor, poll, "the request was not answered once the reply stream had room")
}
