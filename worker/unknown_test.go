package worker

import (
	"context"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/okta-worker/okta-worker/messages"
)

func TestUnknownTenant(t *testing.T) {
	_, js := connect(t, startNATS(t))
	acme := newOrg(t, testToken)
	log, logs := observed(t)
	startWorker(t, js, []Tenant{{Name: "acme", Okta: acme.client}}, testConfig(),
		WithLogger(log))

	tests := []struct {
		name    string
		subject string
		id      string
		code    messages.Code
		pubErr  string
	}{{
		name:    "valid name",
		subject: "okta.requests.ghost.get_user",
		id:      "ghost-1",
		code:    messages.CodeUnknownTenant,
		pubErr:  `okta-worker: unknown tenant "ghost"`,
	}, {
		name:    "invalid name",
		subject: "okta.requests.Ghost_Co.get_user",
		id:      "ghost-2",
		code:    messages.CodeInvalidRequest,
		pubErr:  `okta-worker: invalid tenant name "Ghost_Co"`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := []byte(`{"id":"` + tt.id + `","params":{"user_id":"a@example.com"}}`)

			// The publisher waits for a PubAck; the worker's answer makes its
			// publish fail at once with a message that says why.
			_, err := js.Publish(context.Background(), tt.subject, body)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.pubErr)

			r := awaitReply(t, js, tt.id)
			assert.False(t, r.Success)
			require.NotNil(t, r.Error)
			assert.Equal(t, tt.code, r.Error.Code)
			assert.Equal(t, messages.ActionGetUser, r.Action)
		})
	}
	assert.Zero(t, acme.sim.Requests()["/api/v1/users/{id:.+}"], "no tenant's Okta was called")
	assert.NotEmpty(t, logs.FilterMessage("request for an unknown tenant").All())
}

// TestMalformedRequestSubject publishes on subjects under the requests
// prefix that name no tenant and action: no stream captures them, and
// the publisher learns why at once instead of waiting for a timeout.
func TestMalformedRequestSubject(t *testing.T) {
	_, js := connect(t, startNATS(t))
	acme := newOrg(t, testToken)
	startWorker(t, js, []Tenant{{Name: "acme", Okta: acme.client}}, testConfig())

	for _, subject := range []string{
		"okta.requests.ghost", "okta.requests.ghost.get_user.extra",
		"okta.requests.acme", // a configured tenant, but no action
	} {
		t.Run(subject, func(t *testing.T) {
			_, err := js.Publish(context.Background(), subject, []byte(`{}`))
			require.Error(t, err)
			assert.Contains(t, err.Error(),
				"okta-worker: subject must be okta.requests.<tenant>.<action>")
		})
	}

	// A configured tenant's stream takes any subject under it; the
	// worker answers that one with an invalid_request reply instead.
	ack, err := js.Publish(context.Background(), "okta.requests.acme.get_user.extra",
		[]byte(`{"id":"extra-1","params":{"user_id":"a@example.com"}}`))
	require.NoError(t, err)
	assert.Equal(t, DefaultRequestsStream, ack.Stream)
	r := awaitReply(t, js, "extra-1")
	require.NotNil(t, r.Error)
	assert.Equal(t, messages.CodeInvalidRequest, r.Error.Code)
}

func TestUnknownTenantLeavesOtherStreamsAlone(t *testing.T) {
	_, js := connect(t, startNATS(t))
	ctx := context.Background()
	// Another replica's newer tenants file may add a tenant this replica
	// does not know; its stream answers the publisher, the worker must not.
	_, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name: "OTHER", Subjects: []string{"okta.requests.newco.>"},
	})
	require.NoError(t, err)
	acme := newOrg(t, testToken)
	startWorker(t, js, []Tenant{{Name: "acme", Okta: acme.client}}, testConfig())

	ack, err := js.Publish(ctx, "okta.requests.newco.get_user",
		[]byte(`{"id":"newco-1","params":{"user_id":"a@example.com"}}`))
	require.NoError(t, err)
	assert.Equal(t, "OTHER", ack.Stream)

	// A request the worker answers after the one above proves the worker
	// has seen it, so the absence of a reply is not a matter of timing.
	_, err = js.Publish(ctx, "okta.requests.ghost.get_user",
		[]byte(`{"id":"ghost-after","params":{"user_id":"a@example.com"}}`))
	require.Error(t, err)
	awaitReply(t, js, "ghost-after")
	got, err := repliesTo(js, "newco-1")
	require.NoError(t, err)
	assert.Empty(t, got)
}
