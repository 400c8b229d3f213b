package messages

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSubjectsBuilders(t *testing.T) {
	tests := []struct {
		name     string
		subjects Subjects
		want     map[string]string
	}{
		{
			name:     "default prefix",
			subjects: Subjects{},
			want: map[string]string{
				"request":  "okta.requests.acme.create_user",
				"reply":    "okta.replies.acme.create_user",
				"dead":     "okta.dead.acme.create_user",
				"requests": "okta.requests.>",
				"replies":  "okta.replies.>",
				"deads":    "okta.dead.>",
				"tenant":   "okta.requests.acme.>",
			},
		},
		{
			name:     "dotted prefix",
			subjects: Subjects{Prefix: "eu.okta"},
			want: map[string]string{
				"request":  "eu.okta.requests.acme.create_user",
				"reply":    "eu.okta.replies.acme.create_user",
				"dead":     "eu.okta.dead.acme.create_user",
				"requests": "eu.okta.requests.>",
				"replies":  "eu.okta.replies.>",
				"deads":    "eu.okta.dead.>",
				"tenant":   "eu.okta.requests.acme.>",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.subjects
			got := map[string]string{
				"request":  s.Request("acme", ActionCreateUser),
				"reply":    s.Reply("acme", ActionCreateUser),
				"dead":     s.Dead("acme", ActionCreateUser),
				"requests": s.Requests(),
				"replies":  s.Replies(),
				"deads":    s.Deads(),
				"tenant":   s.TenantRequests("acme"),
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseRequest(t *testing.T) {
	tests := []struct {
		name       string
		prefix     string
		subject    string
		wantTenant string
		wantAction Action
		wantErr    string // a part of the message; "" means success
	}{
		{name: "default prefix", subject: "okta.requests.acme.get_user",
			wantTenant: "acme", wantAction: ActionGetUser},
		{name: "unknown action is parsed", subject: "okta.requests.acme.delete_user",
			wantTenant: "acme", wantAction: "delete_user"},
		{name: "dotted prefix", prefix: "acme.okta", subject: "acme.okta.requests.t-1.get_user",
			wantTenant: "t-1", wantAction: ActionGetUser},
		{name: "round trip of the builder", prefix: "x",
			subject:    Subjects{Prefix: "x"}.Request("a9", ActionUpdateUser),
			wantTenant: "a9", wantAction: ActionUpdateUser},
		{name: "dotted prefix not given", prefix: "acme.okta",
			subject: "okta.requests.acme.get_user", wantErr: "acme.okta.requests.<tenant>"},
		{name: "other prefix", subject: "otka.requests.acme.get_user",
			wantErr: "okta.requests.<tenant>.<action>"},
		{name: "reply subject", subject: "okta.replies.acme.get_user",
			wantErr: "not a request subject"},
		{name: "three tokens", subject: "okta.requests.acme", wantErr: "not a request subject"},
		{name: "five tokens", subject: "okta.requests.acme.get_user.x",
			wantErr: "not a request subject"},
		{name: "empty tenant token", subject: "okta.requests..get_user",
			wantErr: "not a request subject"},
		{name: "empty action token", subject: "okta.requests.acme.",
			wantErr: "not a request subject"},
		{name: "wildcard tenant", subject: "okta.requests.*.get_user",
			wantErr: "not a request subject"},
		{name: "wildcard action", subject: "okta.requests.acme.>",
			wantErr: "not a request subject"},
		{name: "empty", subject: "", wantErr: "not a request subject"},
		{name: "upper-case tenant", subject: "okta.requests.Acme.get_user",
			wantErr: `tenant "Acme"`},
		{name: "tenant with leading hyphen", subject: "okta.requests.-acme.get_user",
			wantErr: `tenant "-acme"`},
		{name: "tenant too long",
			subject: "okta.requests." + strings.Repeat("a", 64) + ".get_user",
			wantErr: "not a valid tenant name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tenant, action, err := Subjects{Prefix: tt.prefix}.ParseRequest(tt.subject)
			if tt.wantErr != "" {
				if assert.NotNil(t, err) {
					assert.Equal(t, CodeInvalidRequest, err.Code)
					assert.Contains(t, err.Message, tt.wantErr)
				}
				assert.Empty(t, tenant)
				assert.Empty(t, action)
				return
			}
			assert.Nil(t, err)
			assert.Equal(t, tt.wantTenant, tenant)
			assert.Equal(t, tt.wantAction, action)
		})
	}
}

func TestValidTenant(t *testing.T) {
	tests := []struct {
		name   string
		tenant string
		want   bool
	}{
		{name: "letters", tenant: "acme", want: true},
		{name: "one digit", tenant: "7", want: true},
		{name: "hyphen inside", tenant: "acme-eu-1", want: true},
		{name: "trailing hyphen", tenant: "acme-", want: true},
		{name: "63 characters", tenant: strings.Repeat("a", 63), want: true},
		{name: "empty", tenant: "", want: false},
		{name: "64 characters", tenant: strings.Repeat("a", 64), want: false},
		{name: "leading hyphen", tenant: "-acme", want: false},
		{name: "upper case", tenant: "Acme", want: false},
		{name: "dot", tenant: "acme.eu", want: false},
		{name: "underscore", tenant: "acme_eu", want: false},
		{name: "wildcard", tenant: "*", want: false},
		{name: "host name", tenant: "acme.okta.com", want: false},
		{name: "non-ASCII", tenant: "äcme", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, ValidTenant(tt.tenant))
		})
	}
}

func TestSubjectsValidate(t *testing.T) {
	tests := []struct {
		name    string
		prefix  string
		wantErr bool
	}{
		{name: "default", prefix: ""},
		{name: "one token", prefix: "okta"},
		{name: "dotted", prefix: "acme.okta"},
		{name: "wildcard", prefix: "okta.*", wantErr: true},
		{name: "full wildcard", prefix: ">", wantErr: true},
		{name: "empty token", prefix: "acme..okta", wantErr: true},
		{name: "trailing dot", prefix: "okta.", wantErr: true},
		{name: "space", prefix: "ok ta", wantErr: true},
		{name: "reserved", prefix: "$okta", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Subjects{Prefix: tt.prefix}.Validate()
			if tt.wantErr {
				assert.ErrorContains(t, err, "messages: subject prefix")
				return
			}
			assert.NoError(t, err)
		})
	}
}

func TestClip(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "short", in: "abc", want: "abc"},
		{name: "64 bytes", in: strings.Repeat("a", 64), want: strings.Repeat("a", 64)},
		{name: "65 bytes", in: strings.Repeat("a", 65), want: strings.Repeat("a", 64) + "..."},
		{name: "cut before a split rune", in: strings.Repeat("a", 63) + "é",
			want: strings.Repeat("a", 63) + "..."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, clip(tt.in))
		})
	}
}
