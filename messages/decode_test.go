package messages

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// subject returns the default request subject of tenant acme.
func subject(a Action) string { return Subjects{}.Request("acme", a) }

// errorCase is a request that Decode must reject.
type errorCase struct {
	name     string
	prefix   string // Subjects.Prefix; "" is the default
	subject  string // "" means subject(action)
	action   Action
	body     string
	code     Code   // "" means invalid_request
	field    string // the message must name it
	mustNot  string // the message must not contain it, if set
	wantID   string // the Decoded must still carry it
	wantRepl string // the Decoded must still carry it as ReplyTo
}

// runErrorCases decodes every case and checks the error it returns.
func runErrorCases(t *testing.T, tests []errorCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			subj := tt.subject
			if subj == "" {
				subj = Subjects{Prefix: tt.prefix}.Request("acme", tt.action)
			}
			d, err := Subjects{Prefix: tt.prefix}.Decode(subj, []byte(tt.body))
			require.NotNil(t, err, "Decode accepted %s", tt.body)
			require.NotNil(t, d)
			want := tt.code
			if want == "" {
				want = CodeInvalidRequest
			}
			assert.Equal(t, want, err.Code)
			assert.Contains(t, err.Message, tt.field)
			assertOneSentence(t, err.Message)
			assert.False(t, err.Retryable)
			assert.Nil(t, d.Params)
			if tt.mustNot != "" {
				assert.NotContains(t, err.Message, tt.mustNot)
				assert.NotContains(t, err.Error(), tt.mustNot)
			}
			assert.Equal(t, tt.wantID, d.ID)
			assert.Equal(t, tt.wantRepl, d.ReplyTo)
		})
	}
}

// assertOneSentence checks the shape of an error message.
func assertOneSentence(t *testing.T, msg string) {
	t.Helper()
	assert.NotEmpty(t, msg)
	assert.NotContains(t, msg, "\n")
	assert.NotContains(t, msg, ". ", "more than one sentence")
	assert.False(t, strings.HasSuffix(msg, "."), "house style: no trailing period")
}

func TestDecodeEnvelopeErrors(t *testing.T) {
	get := ActionGetUser
	ok := `"params":{"user_id":"ann@example.com"}`
	runErrorCases(t, []errorCase{
		{name: "not a request subject", subject: "okta.replies.acme.get_user",
			body: `{"id":"r1",` + ok + `}`, field: "subject", wantID: "r1"},
		{name: "invalid tenant in subject", subject: "okta.requests.ACME.get_user",
			body: `{` + ok + `}`, field: `tenant "ACME"`},
		{name: "unknown action", subject: "okta.requests.acme.delete_user",
			body: `{"id":"r1",` + ok + `}`, code: CodeUnknownAction,
			field: "create_user, get_user, list_type_id_options, update_user", wantID: "r1"},
		{name: "unknown action named", subject: "okta.requests.acme.getuser",
			body: `{` + ok + `}`, code: CodeUnknownAction, field: `"getuser"`},
		{name: "subject error comes before body error", subject: "okta.requests.acme",
			body: `nope`, field: "subject"},
		{name: "not JSON", action: get, body: `{"params":`, field: "body is not valid JSON"},
		{name: "syntax error position", action: get, body: `{"params" 1}`, field: "near byte 11"},
		{name: "empty body", action: get, body: ``, field: "body is empty"},
		{name: "blank body", action: get, body: " \n", field: "body is empty"},
		{name: "array body", action: get, body: `[]`,
			field: "body must be a JSON object, got array"},
		{name: "string body", action: get, body: `"x"`, field: "got string"},
		{name: "null body", action: get, body: `null`, field: "got null"},
		{name: "trailing object", action: get, body: `{` + ok + `} {}`,
			field: "after the JSON object"},
		{name: "trailing garbage", action: get, body: `{` + ok + `}x`,
			field: "after the JSON object"},
		{name: "invalid UTF-8", action: get, body: "{\"id\":\"\xff\"}", field: "UTF-8"},
		{name: "duplicate field", action: get, body: `{` + ok + `,` + ok + `}`,
			field: `"params" twice`},
		{name: "unknown field", action: get, body: `{"id":"r1","param":{},` + ok + `}`,
			field: `"param" is not a request field`, wantID: "r1"},
	})
}

func TestDecodeEnvelopeFieldErrors(t *testing.T) {
	get := ActionGetUser
	ok := `"params":{"user_id":"ann@example.com"}`
	long := strings.Repeat("x", 201)
	runErrorCases(t, []errorCase{
		{name: "id not a string", action: get, body: `{"id":7,` + ok + `}`,
			field: "id must be a string, got number"},
		{name: "id empty", action: get, body: `{"id":"",` + ok + `}`,
			field: "id must be 1 to 200"},
		{name: "id too long", action: get, body: `{"id":"` + long + `",` + ok + `}`,
			field: "id must be"},
		{name: "id with space", action: get, body: `{"id":"a b",` + ok + `}`, field: "id must be"},
		{name: "id with newline", action: get, body: `{"id":"a\nb",` + ok + `}`,
			field: "id must be"},
		{name: "id with NUL", action: get, body: `{"id":"a\u0000b",` + ok + `}`,
			field: "id must be"},
		{name: "id with bad multi-byte length", action: get,
			body: `{"id":"` + strings.Repeat("é", 101) + `",` + ok + `}`, field: "200 bytes"},
		{name: "reply_to wildcard", action: get,
			body:  `{"id":"r1","reply_to":"answers.*",` + ok + `}`,
			field: "reply_to", wantID: "r1"},
		{name: "reply_to full wildcard", action: get, body: `{"reply_to":"answers.>",` + ok + `}`,
			field: "reply_to must be a NATS subject"},
		{name: "reply_to loops into requests", action: get,
			body:  `{"id":"r1","reply_to":"okta.requests.acme.get_user",` + ok + `}`,
			field: "reply_to must not be under okta.", wantID: "r1"},
		{name: "reply_to poses as another tenant's reply", action: get,
			body:  `{"id":"r1","reply_to":"okta.replies.other.create_user",` + ok + `}`,
			field: "reply_to must not be under okta.", wantID: "r1"},
		{name: "reply_to among the dead letters", action: get,
			body:  `{"reply_to":"okta.dead.acme.get_user",` + ok + `}`,
			field: "reply_to must not be under okta."},
		{name: "reply_to is the prefix itself", action: get,
			body:  `{"reply_to":"okta",` + ok + `}`,
			field: "reply_to must not be under okta."},
		{name: "reply_to loops into dotted prefix", prefix: "eu.okta", action: get,
			body:  `{"reply_to":"eu.okta.requests.x.y",` + ok + `}`,
			field: "reply_to must not be under eu.okta."},
		{name: "reply_to reserved", action: get, body: `{"reply_to":"$JS.API.INFO",` + ok + `}`,
			field: "reply_to must not start with $"},
		{name: "reply_to empty token", action: get, body: `{"reply_to":"a..b",` + ok + `}`,
			field: "reply_to"},
		{name: "reply_to trailing dot", action: get, body: `{"reply_to":"a.b.",` + ok + `}`,
			field: "reply_to"},
		{name: "reply_to space", action: get, body: `{"reply_to":"a b",` + ok + `}`,
			field: "reply_to"},
		{name: "reply_to empty", action: get, body: `{"reply_to":"",` + ok + `}`,
			field: "reply_to must be a NATS subject of 1 to 255 bytes"},
		{name: "reply_to too long", action: get,
			body:  `{"reply_to":"` + strings.Repeat("a", 256) + `",` + ok + `}`,
			field: "reply_to must be a NATS subject of 1 to 255 bytes"},
		{name: "reply_to not a string", action: get, body: `{"reply_to":["a"],` + ok + `}`,
			field: "reply_to must be a string, got array"},
		{name: "action differs from subject", action: get,
			body: `{"action":"create_user",` + ok + `}`, field: `action is "create_user"`},
		{name: "action not a string", action: get, body: `{"action":1,` + ok + `}`,
			field: "action must be a string, got number"},
		{name: "tenant differs from subject", action: get,
			body: `{"id":"r1","tenant":"globex",` + ok + `}`, field: `tenant is "globex"`,
			wantID: "r1"},
		{name: "tenant not a string", action: get, body: `{"tenant":null,` + ok + `}`,
			field: "tenant must be a string, got null"},
		{name: "params missing", action: get, body: `{"id":"r1"}`, field: "params is missing",
			wantID: "r1"},
		{name: "params null", action: get, body: `{"params":null}`,
			field: "params must be a JSON object, got null"},
		{name: "params array", action: get, body: `{"params":[]}`,
			field: "params must be a JSON object, got array"},
		{name: "params error keeps id and reply_to", action: get,
			body:  `{"id":"r1","reply_to":"_INBOX.x","params":{}}`,
			field: "params.user_id", wantID: "r1", wantRepl: "_INBOX.x"},
	})
}

func TestDecodeEnvelope(t *testing.T) {
	tests := []struct {
		name    string
		prefix  string
		subject string
		body    string
		want    Request
	}{
		{
			name:    "all fields",
			subject: "okta.requests.acme.get_user",
			body: `{"id":"hr-42","action":"get_user","tenant":"acme",` +
				`"reply_to":"hr.replies.42","params":{"user_id":"ann@example.com"}}`,
			want: Request{ID: "hr-42", Action: ActionGetUser, Tenant: "acme",
				ReplyTo: "hr.replies.42", Params: []byte(`{"user_id":"ann@example.com"}`)},
		},
		{
			name:    "only params",
			subject: "okta.requests.acme.get_user",
			body:    ` {"params" : {"user_id":"00u1"}} `,
			want: Request{Action: ActionGetUser, Tenant: "acme",
				Params: []byte(`{"user_id":"00u1"}`)},
		},
		{
			name:    "dotted prefix",
			prefix:  "eu.okta",
			subject: "eu.okta.requests.acme.get_user",
			body:    `{"reply_to":"okta.requests.other","params":{"user_id":"00u1"}}`,
			want: Request{Action: ActionGetUser, Tenant: "acme",
				ReplyTo: "okta.requests.other", Params: []byte(`{"user_id":"00u1"}`)},
		},
		{
			name:    "id of 200 bytes and an inbox reply_to",
			subject: "okta.requests.acme.list_type_id_options",
			body: `{"id":"` + strings.Repeat("é", 100) + `",` +
				`"reply_to":"_INBOX.abc.def"}`,
			want: Request{ID: strings.Repeat("é", 100), Action: ActionListTypeIDOptions,
				Tenant: "acme", ReplyTo: "_INBOX.abc.def"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Subjects{Prefix: tt.prefix}.Decode(tt.subject, []byte(tt.body))
			require.Nil(t, err)
			assert.Equal(t, tt.want, d.Request)
			assert.NotNil(t, d.Params)
		})
	}
}

func TestDecodeErrorAddressesReply(t *testing.T) {
	tests := []struct {
		name       string
		subject    string
		body       string
		wantTenant string
		wantAction Action
		wantID     string
		wantReply  string
	}{
		{name: "bad subject", subject: "okta.requests.acme",
			body: `{"id":"r1","reply_to":"r.x"}`, wantID: "r1", wantReply: "r.x"},
		{name: "unknown action", subject: "okta.requests.acme.nap",
			body: `{"id":"r1","reply_to":"r.x"}`, wantTenant: "acme", wantAction: "nap",
			wantID: "r1", wantReply: "r.x"},
		{name: "body not JSON", subject: "okta.requests.acme.get_user", body: `{"id":"r1"`,
			wantTenant: "acme", wantAction: ActionGetUser},
		{name: "looping reply_to is dropped", subject: "okta.requests.acme.get_user",
			body: `{"id":"r1","reply_to":"okta.requests.acme.get_user"}`, wantTenant: "acme",
			wantAction: ActionGetUser, wantID: "r1"},
		{name: "malformed id is dropped", subject: "okta.requests.acme.get_user",
			body: `{"id":"r 1","reply_to":"r.x"}`, wantTenant: "acme",
			wantAction: ActionGetUser, wantReply: "r.x"},
		{name: "id after an unknown field", subject: "okta.requests.acme.get_user",
			body: `{"nope":1,"id":"r1","reply_to":"r.x"}`, wantTenant: "acme",
			wantAction: ActionGetUser, wantID: "r1", wantReply: "r.x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Subjects{}.Decode(tt.subject, []byte(tt.body))
			require.NotNil(t, err)
			require.NotNil(t, d)
			assert.Equal(t, tt.wantTenant, d.Tenant)
			assert.Equal(t, tt.wantAction, d.Action)
			assert.Equal(t, tt.wantID, d.ID)
			assert.Equal(t, tt.wantReply, d.ReplyTo)
		})
	}
}

func TestDecodeRejectsOversizedBody(t *testing.T) {
	nick := strings.Repeat("x", MaxBodyBytes)
	body := `{"id":"big-1","params":{"user_id":"00u1","profile":{"nickName":"` + nick + `"}}}`
	d, err := Subjects{}.Decode("okta.requests.acme.update_user", []byte(body))
	require.NotNil(t, err)
	assert.Equal(t, CodeInvalidRequest, err.Code)
	assert.Contains(t, err.Message, "limited to 65536 bytes")
	assert.Equal(t, "big-1", d.ID, "the error reply can still be addressed")

	fits := `{"id":"ok-1","params":{"user_id":"00u1","profile":{"nickName":"` +
		strings.Repeat("x", MaxBodyBytes-100) + `"}}}`
	_, err = Subjects{}.Decode("okta.requests.acme.update_user", []byte(fits))
	assert.Nil(t, err)
}
