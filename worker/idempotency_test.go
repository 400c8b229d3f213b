package worker

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/okta-worker/okta-worker/messages"
	"github.com/okta-worker/okta-worker/okta/oktasim"
)

// createBody is a create_user request for login with the given id.
func createBody(id, login, first string) map[string]any {
	return map[string]any{"id": id, "params": map[string]any{
		"email": login, "first_name": first, "last_name": "Tester", "password": testPassword,
	}}
}

func TestSameIDUnderNewMsgIDGetsRecordedReply(t *testing.T) {
	_, js := connect(t, startNATS(t))
	acme := newOrg(t, testToken)
	log, _ := observed(t)
	startWorker(t, js, []Tenant{{Name: "acme", Okta: acme.client}}, testConfig(),
		WithLogger(log))
	subject := messages.Subjects{}.Request("acme", messages.ActionCreateUser)

	request(t, js, subject, "msg-1", createBody("dup-1", "dup@example.com", "Dee"))
	first := awaitReply(t, js, "dup-1")
	require.True(t, first.Success, "%+v", first.Error)
	calls := acme.sim.Requests()

	// The same request id under a new message id passes JetStream's
	// dedupe; the recorded outcome must answer it, without Okta.
	request(t, js, subject, "msg-2", createBody("dup-1", "dup@example.com", "Dee"))
	require.Eventually(t, func() bool {
		return streamMsgs(t, js, DefaultRequestsStream) == 0
	}, waitFor, poll, "second request not settled")

	assert.Equal(t, calls, acme.sim.Requests(), "okta called again")
	assert.Equal(t, 1, acme.sim.CountByLogin("dup@example.com"))
	got, err := repliesTo(js, "dup-1")
	require.NoError(t, err)
	require.Len(t, got, 1, "exactly one reply in the replies stream")
	assert.Equal(t, first, got[0])
}

func TestOutcomeRecordedInBucket(t *testing.T) {
	_, js := connect(t, startNATS(t))
	acme := newOrg(t, testToken)
	cfg := testConfig()
	cfg.IdempotencyBucket = "outcomes-test"
	cfg.IdempotencyTTL = time.Hour
	startWorker(t, js, []Tenant{{Name: "acme", Okta: acme.client}}, cfg)
	request(t, js, messages.Subjects{}.Request("acme", messages.ActionListTypeIDOptions),
		"m-1", map[string]any{"id": "types-1"})
	awaitReply(t, js, "types-1")

	ctx := context.Background()
	kv, err := js.KeyValue(ctx, "outcomes-test")
	require.NoError(t, err)
	st, err := kv.Status(ctx)
	require.NoError(t, err)
	assert.Equal(t, time.Hour, st.TTL())
	e, err := kv.Get(ctx, outcomeKey("acme", "types-1"))
	require.NoError(t, err)
	var rec record
	require.NoError(t, json.Unmarshal(e.Value(), &rec))
	assert.Equal(t, stateDone, rec.State)
	require.NotNil(t, rec.Reply)
	assert.True(t, rec.Reply.Success)
	assert.Equal(t, "okta.replies.acme.list_type_id_options", rec.Subject)
	assert.NotZero(t, rec.Seq)
}

func TestRecordedOutcomeAnswersRedelivery(t *testing.T) {
	// A crash after recording the outcome and before publishing the reply
	// leaves a done record and an unacknowledged request: the redelivery
	// must publish the recorded reply and not call Okta.
	_, js := connect(t, startNATS(t))
	acme := newOrg(t, testToken)
	w, err := New(js, []Tenant{{Name: "acme", Okta: acme.client}}, testConfig())
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, w.ensureOutcomes(ctx))
	recorded := &messages.Reply{ID: "crash-1", Tenant: "acme",
		Action: messages.ActionCreateUser, Success: true, Attempts: 1,
		Data: json.RawMessage(`{"id":"00urecorded"}`), CompletedAt: time.Now().UTC()}
	_, err = w.kv().Create(ctx, outcomeKey("acme", "crash-1"), mustJSON(record{
		State: stateDone, Seq: 1, Subject: "okta.replies.acme.create_user", Reply: recorded,
	}))
	require.NoError(t, err)

	startWorker(t, js, []Tenant{{Name: "acme", Okta: acme.client}}, testConfig())
	request(t, js, messages.Subjects{}.Request("acme", messages.ActionCreateUser), "m-1",
		createBody("crash-1", "crash@example.com", "Cr"))
	got := awaitReply(t, js, "crash-1")
	assert.Equal(t, "00urecorded", userField(t, got.Data, "id"))
	assert.Equal(t, 0, acme.sim.Len(), "okta was called")
}

func TestAmbiguousCreates(t *testing.T) {
	tests := []struct {
		name  string
		seed  map[string]any // a user holding the login before the request, if any
		age   time.Duration  // how long before the request the seeded user was created
		clock func() clockwork.Clock
		okta  time.Duration // Okta's clock ahead of the worker's
		fault oktasim.Fault
		want  messages.Code // "" for success
	}{{
		name:  "created then timed out resolves to that user",
		fault: oktasim.FaultTimeoutAfterEffect,
	}, {
		name: "5xx then existing user with another profile is a conflict",
		seed: map[string]any{"login": "amb@example.com", "email": "amb@example.com",
			"firstName": "Someone", "lastName": "Else"},
		fault: oktasim.Fault503,
		want:  messages.CodeConflict,
	}, {
		name: "5xx then matching user created long before the first attempt is a conflict",
		seed: map[string]any{"login": "amb@example.com", "email": "amb@example.com",
			"firstName": "Amb", "lastName": "Tester"},
		age:   time.Hour,
		fault: oktasim.Fault503,
		want:  messages.CodeConflict,
	}, {
		name: "created then timed out, okta's clock an hour behind and a fake worker clock",
		clock: func() clockwork.Clock {
			return clockwork.NewFakeClockAt(time.Now().Add(time.Minute))
		},
		okta:  -time.Hour,
		fault: oktasim.FaultTimeoutAfterEffect,
	}, {
		name: "no earlier attempt: an existing user is a plain conflict",
		seed: map[string]any{"login": "amb@example.com", "email": "amb@example.com",
			"firstName": "Amb", "lastName": "Tester"},
		want: messages.CodeConflict,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, js := connect(t, startNATS(t))
			acme := newOrg(t, testToken, oktasim.WithFaults(oktasim.Faults{
				TimeoutDelay: 50 * time.Millisecond}), oktasim.WithClockOffset(-tt.age))
			var seeded string
			if tt.seed != nil {
				seeded = acme.sim.AddUser(tt.seed)
			}
			acme.sim.SetClockOffset(tt.okta)
			if tt.fault != oktasim.FaultNone {
				acme.sim.Inject(oktasim.Injection{Method: "POST", Path: "/api/v1/users",
					Fault: tt.fault})
			}
			log, _ := observed(t)
			opts := []Option{WithLogger(log)}
			if tt.clock != nil {
				fc := tt.clock().(*clockwork.FakeClock)
				opts = append(opts, WithClock(fc))
				advanceWhenWaited(t, fc)
			}
			startWorker(t, js, []Tenant{{Name: "acme", Okta: acme.client}}, testConfig(),
				opts...)
			request(t, js, messages.Subjects{}.Request("acme", messages.ActionCreateUser),
				"m-1", createBody("amb-1", "amb@example.com", "Amb"))
			got := awaitReply(t, js, "amb-1")

			assert.Equal(t, 1, acme.sim.CountByLogin("amb@example.com"))
			if tt.want == "" {
				require.True(t, got.Success, "%+v", got.Error)
				assert.Equal(t, 2, got.Attempts)
				assert.Equal(t, "amb@example.com", userField(t, got.Data, "profile.login"))
				return
			}
			require.False(t, got.Success)
			assert.Equal(t, tt.want, got.Error.Code)
			if tt.fault != oktasim.FaultNone {
				assert.Contains(t, got.Error.Message, seeded)
			}
		})
	}
}

func TestResumedCreateResolvesToItsUser(t *testing.T) {
	// An earlier delivery of the same message created the user and
	// crashed: the record says started by this message, so the conflict
	// the redelivery meets is resolved to the user.
	_, js := connect(t, startNATS(t))
	acme := newOrg(t, testToken)
	ctx := context.Background()
	w, err := New(js, []Tenant{{Name: "acme", Okta: acme.client}}, testConfig())
	require.NoError(t, err)
	require.NoError(t, w.ensureStreams(ctx))
	require.NoError(t, w.ensureOutcomes(ctx))
	began := time.Now().Add(-time.Second)
	ack, err := js.Publish(ctx, messages.Subjects{}.Request("acme", messages.ActionCreateUser),
		mustJSON(createBody("res-1", "res@example.com", "Res")), jetstream.WithMsgID("m-1"))
	require.NoError(t, err)
	_, err = w.kv().Create(ctx, outcomeKey("acme", "res-1"),
		mustJSON(record{State: stateStarted, Seq: ack.Sequence, Began: began}))
	require.NoError(t, err)
	id := acme.sim.AddUser(map[string]any{"login": "res@example.com",
		"email": "res@example.com", "firstName": "Res", "lastName": "Tester"})

	startWorker(t, js, []Tenant{{Name: "acme", Okta: acme.client}}, testConfig())
	got := awaitReply(t, js, "res-1")
	require.True(t, got.Success, "%+v", got.Error)
	assert.Equal(t, id, userField(t, got.Data, "id"))
	assert.Equal(t, 1, acme.sim.CountByLogin("res@example.com"))
}

// advanceWhenWaited moves a fake clock on whenever something waits on
// it (the backoff between retries), until the test ends.
func advanceWhenWaited(t *testing.T, fc *clockwork.FakeClock) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() {
		cancel()
		<-done
	})
	go func() {
		defer close(done)
		for fc.BlockUntilContext(ctx, 1) == nil {
			fc.Advance(time.Second)
		}
	}()
}

func TestTakesOverRecordOfVanishedMessage(t *testing.T) {
	// The record names a message the requests stream no longer holds and
	// no outcome: nobody else will answer, so this message takes over.
	_, js := connect(t, startNATS(t))
	acme := newOrg(t, testToken)
	ctx := context.Background()
	w, err := New(js, []Tenant{{Name: "acme", Okta: acme.client}}, testConfig())
	require.NoError(t, err)
	require.NoError(t, w.ensureOutcomes(ctx))
	_, err = w.kv().Create(ctx, outcomeKey("acme", "gone-1"),
		mustJSON(record{State: stateStarted, Seq: 999, Began: time.Now()}))
	require.NoError(t, err)
	log, logs := observed(t)
	startWorker(t, js, []Tenant{{Name: "acme", Okta: acme.client}}, testConfig(),
		WithLogger(log))

	request(t, js, messages.Subjects{}.Request("acme", messages.ActionCreateUser), "m-1",
		createBody("gone-1", "gone@example.com", "Gone"))
	got := awaitReply(t, js, "gone-1")
	require.True(t, got.Success, "%+v", got.Error)
	assert.Equal(t, 1, acme.sim.CountByLogin("gone@example.com"))
	assert.Equal(t, 1,
		logs.FilterMessage("request id held by a message that is gone, taking it over").Len())
}

func TestDuplicateWaitsForRequestInFlight(t *testing.T) {
	_, js := connect(t, startNATS(t))
	acme := newOrg(t, testToken, oktasim.WithFaults(oktasim.Faults{
		TimeoutDelay: 300 * time.Millisecond}))
	// The first create is held, then times out; its retry succeeds.
	acme.sim.Inject(oktasim.Injection{Method: "POST", Path: "/api/v1/users",
		Fault: oktasim.FaultTimeout})
	log, logs := observed(t)
	startWorker(t, js, []Tenant{{Name: "acme", Okta: acme.client}}, testConfig(),
		WithLogger(log))
	subject := messages.Subjects{}.Request("acme", messages.ActionCreateUser)

	request(t, js, subject, "busy-msg-1", createBody("busy-1", "busy@example.com", "Busy"))
	require.Eventually(t, func() bool { return acme.sim.InFlight() == 1 }, waitFor, poll,
		"the first create never reached okta")
	request(t, js, subject, "busy-msg-2", createBody("busy-1", "busy@example.com", "Busy"))

	require.Eventually(t, func() bool {
		return streamMsgs(t, js, DefaultRequestsStream) == 0
	}, waitFor, poll, "requests not settled")
	got, err := repliesTo(js, "busy-1")
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.True(t, got[0].Success, "%+v", got[0].Error)
	assert.Equal(t, 2, got[0].Attempts)
	assert.Equal(t, 1, acme.sim.CountByLogin("busy@example.com"))
	assert.Equal(t, 1,
		logs.FilterMessage("request id held by another message, waiting for its outcome").Len())
	assert.Equal(t, 1,
		logs.FilterMessage("request already answered, sending the recorded reply again").Len())
}
