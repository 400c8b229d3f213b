package worker

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/okta-worker/okta-worker/messages"
	"github.com/okta-worker/okta-worker/okta"
	"github.com/okta-worker/okta-worker/okta/oktasim"
)

func TestActionsSucceed(t *testing.T) {
	_, js := connect(t, startNATS(t))
	acme := newOrg(t, testToken)
	log, _ := observed(t)
	startWorker(t, js, []Tenant{{Name: "acme", Okta: acme.client}}, testConfig(),
		WithLogger(log))
	seeded := acme.sim.AddUser(map[string]any{
		"login": "ada@example.com", "email": "ada@example.com",
		"firstName": "Ada", "lastName": "Lovelace",
	})

	tests := []struct {
		name   string
		action messages.Action
		params map[string]any
		check  func(t *testing.T, data json.RawMessage)
	}{{
		name:   "create_user",
		action: messages.ActionCreateUser,
		params: map[string]any{
			"email": "grace@example.com", "first_name": "Grace", "last_name": "Hopper",
			"password": testPassword,
		},
		check: func(t *testing.T, data json.RawMessage) {
			assert.Equal(t, "grace@example.com", userField(t, data, "profile.login"))
			assert.NotContains(t, string(data), `"credentials"`)
			assert.Equal(t, 1, acme.sim.CountByLogin("grace@example.com"))
		},
	}, {
		name:   "get_user",
		action: messages.ActionGetUser,
		params: map[string]any{"user_id": "ada@example.com"},
		check: func(t *testing.T, data json.RawMessage) {
			assert.Equal(t, seeded, userField(t, data, "id"))
		},
	}, {
		name:   "update_user",
		action: messages.ActionUpdateUser,
		params: map[string]any{"user_id": seeded, "first_name": "Augusta"},
		check: func(t *testing.T, data json.RawMessage) {
			assert.Equal(t, "Augusta", userField(t, data, "profile.firstName"))
			stored, ok := acme.sim.User(seeded)
			require.True(t, ok)
			assert.Equal(t, "Augusta", userField(t, stored, "profile.firstName"))
			assert.Equal(t, "Lovelace", userField(t, stored, "profile.lastName"))
		},
	}, {
		name:   "list_type_id_options",
		action: messages.ActionListTypeIDOptions,
		check: func(t *testing.T, data json.RawMessage) {
			var types []messages.UserType
			require.NoError(t, json.Unmarshal(data, &types))
			require.Len(t, types, 1)
			assert.Equal(t, "user", types[0].Name)
			assert.Equal(t, "User", types[0].DisplayName)
			assert.True(t, types[0].Default)
			assert.NotEmpty(t, types[0].ID)
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := "ok-" + tt.name
			body := map[string]any{"id": id}
			if tt.params != nil {
				body["params"] = tt.params
			}
			request(t, js, "okta.requests.acme."+string(tt.action), id, body)

			r := awaitReply(t, js, id)
			require.True(t, r.Success, "reply error %+v", r.Error)
			assert.Equal(t, "acme", r.Tenant)
			assert.Equal(t, tt.action, r.Action)
			assert.Equal(t, 1, r.Attempts)
			assert.False(t, r.CompletedAt.IsZero())
			assert.NotContains(t, string(r.Data), testPassword)
			tt.check(t, r.Data)
		})
	}
}

// panicky is an Okta client double that panics, the one way to make the
// worker meet a bug in the middle of a call.
type panicky struct{ Okta }

func (panicky) GetUser(context.Context, string) (*okta.User, error) {
	panic("client bug: nil map")
}

func TestErrorCodes(t *testing.T) {
	_, js := connect(t, startNATS(t))
	acme := newOrg(t, testToken)
	locked := newOrg(t, "not-the-"+testToken, oktasim.WithToken(testToken))
	flaky := newOrg(t, testToken, oktasim.WithFaults(oktasim.Faults{Rate5xx: 1}))
	spent := newOrg(t, testToken, oktasim.WithLimits(oktasim.Limits{Generic: 1}))
	_, err := spent.client.ListUserTypes(context.Background())
	require.NoError(t, err, "spending the only request of the window")

	log, _ := observed(t)
	cfg := testConfig()
	cfg.MaxRateLimitPauses = 2
	startWorker(t, js, []Tenant{
		{Name: "acme", Okta: acme.client}, {Name: "locked", Okta: locked.client},
		{Name: "flaky", Okta: flaky.client}, {Name: "spent", Okta: spent.client},
		{Name: "boom", Okta: panicky{}},
	}, cfg, WithLogger(log))
	acme.sim.AddUser(map[string]any{"login": "kim1@example.com", "email": "kim@example.com"})
	acme.sim.AddUser(map[string]any{"login": "kim2@example.com", "email": "kim@example.com"})
	acme.sim.AddUser(map[string]any{"login": "taken@example.com", "email": "taken@example.com"})

	get := func(ref string) map[string]any { return map[string]any{"user_id": ref} }
	tests := []struct {
		name     string
		subject  string
		body     any // a JSON value, or raw bytes
		code     messages.Code
		attempts int
		check    func(t *testing.T, e *messages.Error)
	}{{
		name:    "malformed JSON",
		subject: "okta.requests.acme.get_user",
		body:    []byte(`{"params": {"user_id": "x"`),
		code:    messages.CodeInvalidRequest,
	}, {
		name:    "unknown field",
		subject: "okta.requests.acme.get_user",
		body:    map[string]any{"params": map[string]any{"user_id": "x", "usr": "y"}},
		code:    messages.CodeInvalidRequest,
		check: func(t *testing.T, e *messages.Error) {
			assert.Contains(t, e.Message, "usr")
		},
	}, {
		name:    "subject and body disagree",
		subject: "okta.requests.acme.get_user",
		body:    map[string]any{"tenant": "other", "params": get("x")},
		code:    messages.CodeInvalidRequest,
		check: func(t *testing.T, e *messages.Error) {
			assert.Contains(t, e.Message, "tenant")
		},
	}, {
		name:    "unknown action",
		subject: "okta.requests.acme.delete_user",
		body:    map[string]any{"params": get("x")},
		code:    messages.CodeUnknownAction,
	}, {
		name:     "not found",
		subject:  "okta.requests.acme.get_user",
		body:     map[string]any{"params": get("nobody@example.com")},
		code:     messages.CodeNotFound,
		attempts: 1,
	}, {
		name:     "ambiguous email",
		subject:  "okta.requests.acme.get_user",
		body:     map[string]any{"params": get("kim@example.com")},
		code:     messages.CodeAmbiguous,
		attempts: 1,
	}, {
		name:    "login taken",
		subject: "okta.requests.acme.create_user",
		body: map[string]any{"params": map[string]any{
			"email": "taken@example.com", "first_name": "T", "last_name": "K",
			"password": testPassword,
		}},
		code:     messages.CodeConflict,
		attempts: 1,
		check: func(t *testing.T, e *messages.Error) {
			assert.Equal(t, 400, e.HTTPStatus)
			assert.Equal(t, "E0000001", e.OktaErrorCode)
		},
	}, {
		name:    "okta rejects the type",
		subject: "okta.requests.acme.create_user",
		body: map[string]any{"params": map[string]any{
			"email": "new@example.com", "type_id": "otyNoSuchType0000000",
			"password": testPassword,
		}},
		code:     messages.CodeOktaRejected,
		attempts: 1,
		check: func(t *testing.T, e *messages.Error) {
			assert.Equal(t, 400, e.HTTPStatus)
			assert.Equal(t, "E0000001", e.OktaErrorCode)
			assert.NotEmpty(t, e.OktaErrorSummary)
			assert.NotEmpty(t, e.OktaErrorCauses)
			assert.NotEmpty(t, e.OktaRequestID)
			assert.False(t, e.Retryable)
		},
	}, {
		name:     "bad token",
		subject:  "okta.requests.locked.get_user",
		body:     map[string]any{"params": get("ada@example.com")},
		code:     messages.CodeUnauthorized,
		attempts: 1,
		check: func(t *testing.T, e *messages.Error) {
			assert.Equal(t, 401, e.HTTPStatus)
			assert.Equal(t, "E0000011", e.OktaErrorCode)
		},
	}, {
		name:     "okta keeps failing",
		subject:  "okta.requests.flaky.get_user",
		body:     map[string]any{"params": get("ada@example.com")},
		code:     messages.CodeUpstreamUnavailable,
		attempts: 3, // MaxAttempts
		check: func(t *testing.T, e *messages.Error) {
			assert.True(t, e.Retryable)
			assert.GreaterOrEqual(t, e.HTTPStatus, 500)
		},
	}, {
		name:     "bucket stays spent",
		subject:  "okta.requests.spent.list_type_id_options",
		body:     map[string]any{},
		code:     messages.CodeRateLimited,
		attempts: 3, // the first call and one after each of the 2 pauses
		check: func(t *testing.T, e *messages.Error) {
			assert.Equal(t, 429, e.HTTPStatus)
			assert.Equal(t, "E0000047", e.OktaErrorCode)
			assert.True(t, e.Retryable)
		},
	}, {
		name:     "client panics",
		subject:  "okta.requests.boom.get_user",
		body:     map[string]any{"params": get("ada@example.com")},
		code:     messages.CodeInternal,
		attempts: 1,
		check: func(t *testing.T, e *messages.Error) {
			assert.NotContains(t, e.Message, "nil map", "the panic stays in the log")
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := "err-" + strings.ReplaceAll(tt.name, " ", "-")
			if m, ok := tt.body.(map[string]any); ok {
				m["id"] = id
			}
			request(t, js, tt.subject, id, tt.body)

			r := awaitReply(t, js, id)
			require.False(t, r.Success)
			require.NotNil(t, r.Error)
			assert.Equal(t, tt.code, r.Error.Code, "message: %s", r.Error.Message)
			assert.NotEmpty(t, r.Error.Message)
			assert.Equal(t, tt.attempts, r.Attempts)
			raw, err := json.Marshal(r)
			require.NoError(t, err)
			assert.NotContains(t, string(raw), testPassword)
			assert.NotContains(t, string(raw), testToken)
			if tt.check != nil {
				tt.check(t, r.Error)
			}
		})
	}
}

func TestNewRejectsInvalidConfig(t *testing.T) {
	_, js := connect(t, startNATS(t))
	acme := Tenant{Name: "acme", Okta: panicky{}}
	tests := []struct {
		name    string
		tenants []Tenant
		cfg     Config
	}{
		{name: "no tenants", tenants: nil},
		{name: "bad tenant name", tenants: []Tenant{{Name: "Acme", Okta: panicky{}}}},
		{name: "no client", tenants: []Tenant{{Name: "acme"}}},
		{name: "tenant twice", tenants: []Tenant{acme, acme}},
		{name: "negative concurrency", tenants: []Tenant{acme}, cfg: Config{Concurrency: -1}},
		{name: "min pause above max", tenants: []Tenant{acme},
			cfg: Config{MinPause: 10 * 60e9, MaxPause: 60e9}},
		{name: "six replicas", tenants: []Tenant{acme}, cfg: Config{Replicas: 6}},
		{name: "dotted stream", tenants: []Tenant{acme}, cfg: Config{RepliesStream: "A.B"}},
		{name: "spaced prefix", tenants: []Tenant{acme}, cfg: Config{ConsumerPrefix: "a b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(js, tt.tenants, tt.cfg)
			require.Error(t, err)
			assert.True(t, errors.Is(err, ErrInvalidConfig), "%v", err)
		})
	}
	_, err := New(nil, []Tenant{acme}, Config{})
	assert.ErrorIs(t, err, ErrInvalidConfig)
	w, err := New(js, []Tenant{acme}, Config{})
	require.NoError(t, err)
	assert.Equal(t, DefaultConcurrency, w.cfg.Concurrency)
	assert.Equal(t, 2*DefaultConcurrency, w.cfg.MaxAckPending)
	assert.Equal(t, DefaultAckWait/3, w.cfg.KeepAlive)
	assert.Equal(t, DefaultShutdownGrace, w.cfg.ShutdownGrace)
}
