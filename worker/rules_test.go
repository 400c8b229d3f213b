package worker

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/okta-worker/okta-worker/messages"
	"github.com/okta-worker/okta-worker/okta"
)

func TestOutcomeKey(t *testing.T) {
	keyChars := regexp.MustCompile(`^[-/_=.a-zA-Z0-9]+$`)
	tests := []struct {
		name string
		id   string
	}{
		{name: "plain", id: "hr-4711"},
		{name: "spaces and symbols", id: "batch 7 / row #12 ✓"},
		{name: "longest", id: strings.Repeat("x", maxIDLen)},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := outcomeKey("acme", tt.id)
			assert.Regexp(t, keyChars, k)
			assert.True(t, strings.HasPrefix(k, "acme."))
			assert.False(t, seen[k], "two ids share a key")
			seen[k] = true
			assert.NotEqual(t, k, outcomeKey("globex", tt.id), "tenants share a key")
		})
	}
}

func TestCreatedByUs(t *testing.T) {
	began := time.Date(2026, 12, 4, 10, 0, 0, 500_000_000, time.UTC)
	want := okta.NewUser{Profile: map[string]json.RawMessage{
		"login": json.RawMessage(`"a@example.com"`), "firstName": json.RawMessage(`"Ada"`),
		"employeeNumber": json.RawMessage(`7`),
	}}
	user := func(created time.Time, first string) *okta.User {
		return &okta.User{ID: "00u1", JSON: mustJSON(map[string]any{
			"id": "00u1", "created": created.Format(time.RFC3339),
			"profile": map[string]any{"login": "a@example.com", "firstName": first,
				"employeeNumber": 7.0, "extra": "kept"},
		})}
	}
	tests := []struct {
		name   string
		user   *okta.User
		offset time.Duration // Okta's clock ahead of the worker's
		want   bool
	}{
		{name: "created after the first attempt", user: user(began.Add(3*time.Second), "Ada"),
			want: true},
		{name: "whole-second stamp just before", user: user(began.Truncate(time.Second), "Ada"),
			want: true},
		{name: "within the skew", user: user(began.Add(-4*time.Second), "Ada"), want: true},
		{name: "before the skew", user: user(began.Add(-6*time.Second), "Ada"), want: false},
		{name: "okta's clock behind", user: user(began.Add(-10*time.Minute), "Ada"),
			offset: -10 * time.Minute, want: true},
		{name: "okta's clock ahead, created before", user: user(began.Add(5*time.Minute), "Ada"),
			offset: 10 * time.Minute, want: false},
		{name: "profile differs", user: user(began.Add(time.Second), "Grace"), want: false},
		{name: "no created", user: &okta.User{ID: "00u1", JSON: json.RawMessage(`{"id":"00u1"}`)},
			want: false},
	}
	tn := &tenant{w: &Worker{cfg: Config{Reliability: Reliability{CreateSkew: 5 * time.Second}}}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := &job{began: began}
			assert.Equal(t, tt.want, tn.createdByUs(j, tt.user, want, tt.offset))
		})
	}
}

func TestSplitPassword(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		wantFound bool
		wantBody  string
	}{
		{name: "create with password",
			body:      `{"id":"r1","params":{"email":"a@b.c","password":"` + testPassword + `"}}`,
			wantFound: true, wantBody: `{"id":"r1","params":{"email":"a@b.c"}}`},
		{name: "no password", body: `{"id":"r1","params":{"user_id":"x"}}`,
			wantBody: `{"id":"r1","params":{"user_id":"x"}}`},
		{name: "not JSON, no password", body: `hello`, wantBody: `"hello"`},
		{name: "not JSON, mentions a password", body: `{"password":"` + testPassword,
			wantFound: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, pw, found := splitPassword([]byte(tt.body))
			assert.Equal(t, tt.wantFound, found)
			assert.NotContains(t, string(body), testPassword)
			if tt.wantBody == "" {
				assert.Empty(t, body)
			} else {
				assert.JSONEq(t, tt.wantBody, string(body))
			}
			if found && tt.wantBody != "" {
				assert.Equal(t, testPassword, pw)
			}
		})
	}
}

func TestSealPassword(t *testing.T) {
	key := []byte("0123456789abcdef")
	sealed, err := sealPassword(key, "acme", "r1", testPassword)
	require.NoError(t, err)
	assert.NotContains(t, sealed, testPassword)

	tests := []struct {
		name    string
		key     []byte
		tenant  string
		id      string
		wantErr string
	}{
		{name: "same key and letter", key: key, tenant: "acme", id: "r1"},
		{name: "no key", tenant: "acme", id: "r1", wantErr: "no dead-letter key"},
		{name: "other key", key: []byte("fedcba9876543210"), tenant: "acme", id: "r1",
			wantErr: "does not open"},
		{name: "moved to another letter", key: key, tenant: "acme", id: "r2",
			wantErr: "does not open"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pw, err := openPassword(tt.key, tt.tenant, tt.id, sealed)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				assert.NotContains(t, err.Error(), testPassword)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, testPassword, pw)
		})
	}
	none, err := sealPassword(nil, "acme", "r1", testPassword)
	require.NoError(t, err)
	assert.Empty(t, none, "without a key nothing is sealed")
}

func TestDeadWorthy(t *testing.T) {
	fail := func(code messages.Code, retry bool) *messages.Reply {
		return &messages.Reply{Error: &messages.Error{Code: code, Retryable: retry}}
	}
	tests := []struct {
		name  string
		reply *messages.Reply
		want  bool
	}{
		{name: "success", reply: &messages.Reply{Success: true}, want: false},
		{name: "upstream unavailable", reply: fail(messages.CodeUpstreamUnavailable, true),
			want: true},
		{name: "rate limited", reply: fail(messages.CodeRateLimited, true), want: true},
		{name: "internal", reply: fail(messages.CodeInternal, false), want: true},
		{name: "conflict", reply: fail(messages.CodeConflict, false), want: false},
		{name: "invalid request", reply: fail(messages.CodeInvalidRequest, false), want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, deadWorthy(tt.reply))
		})
	}
}

func TestReliabilityValidation(t *testing.T) {
	tests := []struct {
		name    string
		rel     Reliability
		wantErr string
	}{
		{name: "defaults"},
		{name: "one delivery", rel: Reliability{MaxDeliver: 1}, wantErr: "MaxDeliver"},
		{name: "bad key", rel: Reliability{DeadLetterKey: []byte("short")},
			wantErr: "DeadLetterKey"},
		{name: "bad bucket", rel: Reliability{IdempotencyBucket: "a.b"},
			wantErr: "idempotency bucket"},
		{name: "negative ttl", rel: Reliability{IdempotencyTTL: -time.Second},
			wantErr: "IdempotencyTTL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{Reliability: tt.rel}.withDefaults()
			err := cfg.validate()
			if tt.wantErr == "" {
				require.NoError(t, err)
				assert.Equal(t, DefaultIdempotencyTTL, cfg.IdempotencyTTL)
				assert.Equal(t, DefaultMaxDeliver, cfg.MaxDeliver)
				return
			}
			require.ErrorIs(t, err, ErrInvalidConfig)
			assert.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestReplaySelect(t *testing.T) {
	letter := DeadLetter{ID: "r1", Tenant: "acme"}
	tests := []struct {
		name string
		sel  ReplaySelect
		want bool
	}{
		{name: "by id", sel: ReplaySelect{ID: "r1"}, want: true},
		{name: "by other id", sel: ReplaySelect{ID: "r2"}, want: false},
		{name: "by id and tenant", sel: ReplaySelect{ID: "r1", Tenant: "acme"}, want: true},
		{name: "by id of another tenant", sel: ReplaySelect{ID: "r1", Tenant: "globex"}},
		{name: "by tenant", sel: ReplaySelect{Tenant: "acme"}, want: true},
		{name: "by other tenant", sel: ReplaySelect{Tenant: "globex"}},
		{name: "all", sel: ReplaySelect{All: true}, want: true},
		{name: "nothing", sel: ReplaySelect{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.sel.matches(letter))
		})
	}
}
