package messages

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// params wraps a params object into a request body.
func params(p string) string { return `{"params":` + p + `}` }

// decodeParamsOK decodes body for action a and requires success.
func decodeParamsOK(t *testing.T, a Action, body string) any {
	t.Helper()
	d, err := Subjects{}.Decode(subject(a), []byte(body))
	require.Nil(t, err, "Decode rejected %s", body)
	return d.Params
}

func TestDecodeCreateUserAttributeErrors(t *testing.T) {
	c := ActionCreateUser
	names := `"first_name":"Ann","last_name":"Lee"`
	base := `"email":"ann@example.com",` + names
	with := func(extra string) string { return params(`{` + base + `,` + extra + `}`) }
	runErrorCases(t, []errorCase{
		{name: "misspelt param", action: c, body: with(`"frist_name":"Ann"`),
			field: "params.frist_name is not a parameter of create_user"},
		{name: "misspelt param lists the valid ones", action: c, body: with(`"e_mail":"x"`),
			field: "email, first_name, last_name, login"},
		{name: "user_id is not a create param", action: c, body: with(`"user_id":"x"`),
			field: "params.user_id"},
		{name: "params missing", action: c, body: `{}`, field: "email and first_name"},
		{name: "params not an object", action: c, body: params(`"ann@example.com"`),
			field: "params must be a JSON object, got string"},
		{name: "duplicate param", action: c, body: with(`"email":"ann@example.com"`),
			field: `params has the field "email" twice`},
		{name: "email missing", action: c, body: params(`{` + names + `}`),
			field: "params.email is missing"},
		{name: "email a number", action: c, body: params(`{"email":1,` + names + `}`),
			field: "params.email must be a string, got number"},
		{name: "email null", action: c, body: params(`{"email":null,` + names + `}`),
			field: "params.email must be a string, got null"},
		{name: "email with display name", action: c,
			body:  params(`{"email":"Ann Lee <ann@example.com>",` + names + `}`),
			field: "params.email must be a bare email address"},
		{name: "email in angle brackets", action: c,
			body:  params(`{"email":"<ann@example.com>",` + names + `}`),
			field: "params.email must be a bare email address"},
		{name: "email without at", action: c,
			body:  params(`{"email":"ann.example.com",` + names + `}`),
			field: "params.email must be a bare email address"},
		{name: "email with trailing space", action: c,
			body:  params(`{"email":"ann@example.com ",` + names + `}`),
			field: "params.email must be a bare email address"},
		{name: "email too short", action: c, body: params(`{"email":"a@b",` + names + `}`),
			field: "params.email must be an email address of 5 to 100 characters"},
		{name: "email too long", action: c,
			body:  params(`{"email":"` + strings.Repeat("a", 89) + `@example.com",` + names + `}`),
			field: "params.email must be an email address of 5 to 100 characters"},
		{name: "first_name missing", action: c,
			body:  params(`{"email":"ann@example.com","last_name":"Lee"}`),
			field: "params.first_name"},
		{name: "last_name missing", action: c,
			body:  params(`{"email":"ann@example.com","first_name":"Ann"}`),
			field: "params.last_name"},
		{name: "first_name empty", action: c,
			body:  params(`{"email":"ann@example.com","first_name":"","last_name":"Lee"}`),
			field: "params.first_name must not be empty"},
		{name: "last_name a number", action: c,
			body:  params(`{"email":"ann@example.com","first_name":"Ann","last_name":7}`),
			field: "params.last_name must be a string, got number"},
		{name: "login too long", action: c,
			body:  with(`"login":"` + strings.Repeat("l", 101) + `"`),
			field: "params.login must be 1 to 100 characters"},
		{name: "login empty", action: c, body: with(`"login":""`), field: "params.login"},
		{name: "login with control character", action: c, body: with(`"login":"ann\u0007"`),
			field: "params.login must not contain control characters"},
		{name: "login an object", action: c, body: with(`"login":{}`),
			field: "params.login must be a string, got object"},
		{name: "second_email invalid", action: c, body: with(`"second_email":"ann"`),
			field: "params.second_email must be an email address"},
		{name: "second_email null", action: c, body: with(`"second_email":null`),
			field: "params.second_email must be a string, got null"},
		{name: "mobile_phone too long", action: c,
			body:  with(`"mobile_phone":"` + strings.Repeat("1", 101) + `"`),
			field: "params.mobile_phone must be at most 100 characters"},
	})
}

func TestDecodeCreateUserOptionErrors(t *testing.T) {
	c := ActionCreateUser
	names := `"first_name":"Ann","last_name":"Lee"`
	base := `"email":"ann@example.com",` + names
	with := func(extra string) string { return params(`{` + base + `,` + extra + `}`) }
	runErrorCases(t, []errorCase{
		{name: "profile an array", action: c, body: with(`"profile":[]`),
			field: "params.profile must be a JSON object, got array"},
		{name: "profile null", action: c, body: with(`"profile":null`),
			field: "params.profile must be a JSON object, got null"},
		{name: "profile empty key", action: c, body: with(`"profile":{"":1}`),
			field: "params.profile has an empty attribute name"},
		{name: "profile duplicate key", action: c, body: with(`"profile":{"a":1,"a":2}`),
			field: `params.profile has the field "a" twice`},
		{name: "profile conflicts with named param", action: c,
			body:  with(`"profile":{"firstName":"Anne"}`),
			field: "params.first_name and params.profile.firstName give different values"},
		{name: "profile login conflicts with login", action: c,
			body:  with(`"login":"ann","profile":{"login":"anne"}`),
			field: "params.login and params.profile.login"},
		{name: "profile email invalid", action: c,
			body:  params(`{"profile":{"email":"nope"},` + names + `}`),
			field: "params.profile.email must be"},
		{name: "profile standard attribute not a string", action: c,
			body:  with(`"profile":{"mobilePhone":5551234}`),
			field: "params.profile.mobilePhone must be a string, got number"},
		{name: "profile standard attribute null", action: c,
			body:  with(`"profile":{"secondEmail":null}`),
			field: "params.profile.secondEmail must be a string, got null"},
		{name: "type_id empty", action: c, body: with(`"type_id":""`),
			field: "params.type_id must be a user type id"},
		{name: "type_id a number", action: c, body: with(`"type_id":1`),
			field: "params.type_id must be a string, got number"},
		{name: "activate a string", action: c, body: with(`"activate":"yes"`),
			field: "params.activate must be true or false, got string"},
		{name: "activate null", action: c, body: with(`"activate":null`),
			field: "params.activate must be true or false, got null"},
		{name: "password empty", action: c, body: with(`"password":""`),
			field: "params.password must be 1 to 72 characters"},
		{name: "password too long is not echoed", action: c,
			body:  with(`"password":"` + strings.Repeat("pw", 37) + `"`),
			field: "params.password must be 1 to 72 characters", mustNot: "pwpw"},
		{name: "password length is not echoed", action: c,
			body:  with(`"password":"` + strings.Repeat("s", 73) + `"`),
			field: "params.password", mustNot: "73"},
		{name: "password a number", action: c, body: with(`"password":123456`),
			field: "params.password must be a string, got number", mustNot: "123456"},
		{name: "group_ids a string", action: c, body: with(`"group_ids":"00g1"`),
			field: "params.group_ids must be an array of group ids, got string"},
		{name: "group_ids too many", action: c,
			body:  with(`"group_ids":["g"` + strings.Repeat(`,"g"`, 20) + `]`),
			field: "params.group_ids has 21 entries; Okta takes at most 20"},
		{name: "group id empty", action: c, body: with(`"group_ids":["00g1",""]`),
			field: "params.group_ids[1] must be a group id"},
		{name: "group id null", action: c, body: with(`"group_ids":[null]`),
			field: "params.group_ids[0] must be a string, got null"},
	})
}

func TestDecodeCreateUser(t *testing.T) {
	tests := []struct {
		name string
		body string
		want *CreateUserParams
	}{
		{
			name: "minimal, login defaults to email",
			body: params(`{"email":"ann@example.com","first_name":"Ann","last_name":"Lee"}`),
			want: &CreateUserParams{Email: "ann@example.com", FirstName: "Ann", LastName: "Lee",
				Login: "ann@example.com", Activate: true},
		},
		{
			name: "every param",
			body: params(`{"email":"ann@example.com","first_name":"Ann","last_name":"Lee",` +
				`"login":"ann.lee","mobile_phone":"+1 555 0100",` +
				`"second_email":"ann@home.example",` +
				`"profile":{"employeeNumber":12345678901234567890,"title":"Dr.",` +
				`"costCenter":null,"tags":[ "a", 1.50 ]},"type_id":"oty1","activate":false,` +
				`"password":"correct horse","group_ids":["00g1","00g2"]}`),
			want: &CreateUserParams{Email: "ann@example.com", FirstName: "Ann", LastName: "Lee",
				Login: "ann.lee", MobilePhone: "+1 555 0100", SecondEmail: "ann@home.example",
				Profile: map[string]json.RawMessage{
					"employeeNumber": json.RawMessage(`12345678901234567890`),
					"title":          json.RawMessage(`"Dr."`),
					"costCenter":     json.RawMessage(`null`),
					"tags":           json.RawMessage(`[ "a", 1.50 ]`),
				},
				TypeID: "oty1", Activate: false, Password: NewSecret("correct horse"),
				GroupIDs: []string{"00g1", "00g2"}},
		},
		{
			name: "a user type may do without names",
			body: params(`{"email":"svc@example.com","type_id":"oty2"}`),
			want: &CreateUserParams{Email: "svc@example.com", Login: "svc@example.com",
				TypeID: "oty2", Activate: true},
		},
		{
			name: "standard attributes through profile are used",
			body: params(`{"profile":{"email":"ann@example.com","login":"ann",` +
				`"firstName":"Ann","lastName":"Lee","mobilePhone":"1",` +
				`"secondEmail":"a@b.example"}}`),
			want: &CreateUserParams{Email: "ann@example.com", FirstName: "Ann", LastName: "Lee",
				Login: "ann", MobilePhone: "1", SecondEmail: "a@b.example", Activate: true},
		},
		{
			name: "profile agreeing with named params",
			body: params(`{"email":"ann@example.com","first_name":"Ann","last_name":"Lee",` +
				`"profile":{"email":"ann\u0040example.com","firstName":"Ann","city":"Oslo"}}`),
			want: &CreateUserParams{Email: "ann@example.com", FirstName: "Ann", LastName: "Lee",
				Login: "ann@example.com", Activate: true,
				Profile: map[string]json.RawMessage{"city": json.RawMessage(`"Oslo"`)}},
		},
		{
			name: "empty group list and explicit activate",
			body: params(`{"email":"ann@example.com","first_name":"Ann","last_name":"Lee",` +
				`"group_ids":[],"activate":true,"password":"` + strings.Repeat("p", 72) + `"}`),
			want: &CreateUserParams{Email: "ann@example.com", FirstName: "Ann", LastName: "Lee",
				Login: "ann@example.com", Activate: true, GroupIDs: []string{},
				Password: NewSecret(strings.Repeat("p", 72))},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := decodeParamsOK(t, ActionCreateUser, tt.body)
			require.IsType(t, &CreateUserParams{}, got)
			p := got.(*CreateUserParams)
			assert.Equal(t, tt.want.Password.Reveal(), p.Password.Reveal())
			assert.Equal(t, tt.want, p)
		})
	}
}

func TestDecodeGetUserErrors(t *testing.T) {
	g := ActionGetUser
	runErrorCases(t, []errorCase{
		{name: "user_id missing", action: g, body: params(`{}`),
			field: "params.user_id is missing"},
		{name: "camel-case param", action: g, body: params(`{"userId":"00u1"}`),
			field: "params.userId is not a parameter of get_user; expected one of user_id"},
		{name: "extra param", action: g, body: params(`{"user_id":"00u1","expand":"blocks"}`),
			field: "params.expand"},
		{name: "user_id empty", action: g, body: params(`{"user_id":""}`),
			field: "params.user_id"},
		{name: "user_id null", action: g, body: params(`{"user_id":null}`),
			field: "params.user_id must be a string, got null"},
		{name: "user_id a number", action: g, body: params(`{"user_id":42}`),
			field: "params.user_id must be a string, got number"},
		{name: "user_id me", action: g, body: params(`{"user_id":"me"}`),
			field: `params.user_id must not be "me"`},
		{name: "user_id ME", action: g, body: params(`{"user_id":"ME"}`),
			field: `params.user_id must not be "me"`},
		{name: "user_id dot", action: g, body: params(`{"user_id":"."}`),
			field: `params.user_id must not be "."`},
		{name: "user_id dot dot", action: g, body: params(`{"user_id":".."}`),
			field: `params.user_id must not be "."`},
		{name: "user_id control character", action: g, body: params(`{"user_id":"ann\r\nx"}`),
			field: "params.user_id must not contain control characters"},
		{name: "user_id leading space", action: g, body: params(`{"user_id":" ann"}`),
			field: "params.user_id must not start or end with whitespace"},
		{name: "user_id too long", action: g,
			body:  params(`{"user_id":"` + strings.Repeat("u", 201) + `"}`),
			field: "params.user_id must be an Okta user id, login or email address of 1 to 200"},
	})
}

func TestDecodeGetUser(t *testing.T) {
	tests := []struct {
		name   string
		userID string
	}{
		{name: "Okta id", userID: "00u1a2b3c4d5e6f7g8h9"},
		{name: "email", userID: "ann@example.com"},
		{name: "login with a slash", userID: "acme/ann"},
		{name: "login with reserved characters", userID: "a+b#c?d%e"},
		{name: "word containing me", userID: "mei"},
		{name: "200 bytes", userID: strings.Repeat("u", 200)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := json.Marshal(map[string]any{"params": map[string]string{
				"user_id": tt.userID}})
			require.NoError(t, err)
			got := decodeParamsOK(t, ActionGetUser, string(body))
			assert.Equal(t, &GetUserParams{UserID: tt.userID}, got)
		})
	}
}

func TestDecodeListTypeIDOptions(t *testing.T) {
	l := ActionListTypeIDOptions
	for _, body := range []string{`{}`, `{"params":null}`, `{"params":{}}`, `{"params": { } }`} {
		t.Run("accepts "+body, func(t *testing.T) {
			assert.Equal(t, &ListTypeIDOptionsParams{}, decodeParamsOK(t, l, body))
		})
	}
	runErrorCases(t, []errorCase{
		{name: "a param", action: l, body: params(`{"type":"user"}`),
			field: "params.type is not a parameter of list_type_id_options"},
		{name: "an array", action: l, body: params(`[]`),
			field: "params must be absent, null or {} for list_type_id_options, got array"},
		{name: "a string", action: l, body: params(`""`), field: "got string"},
		{name: "false", action: l, body: params(`false`), field: "got boolean"},
	})
}

func TestDecodeUpdateUserErrors(t *testing.T) {
	u := ActionUpdateUser
	with := func(extra string) string { return params(`{"user_id":"00u1",` + extra + `}`) }
	runErrorCases(t, []errorCase{
		{name: "user_id missing", action: u, body: params(`{"first_name":"Ann"}`),
			field: "params.user_id is missing"},
		{name: "user_id me", action: u, body: params(`{"user_id":"Me","first_name":"Ann"}`),
			field: "params.user_id must not be"},
		{name: "no change", action: u, body: params(`{"user_id":"00u1"}`),
			field: "params has no change for update_user"},
		{name: "empty profile is no change", action: u, body: with(`"profile":{}`),
			field: "params has no change"},
		{name: "password is not an update param", action: u, body: with(`"password":"x"`),
			field: "params.password is not a parameter of update_user"},
		{name: "group_ids is not an update param", action: u, body: with(`"group_ids":[]`),
			field: "params.group_ids is not a parameter of update_user"},
		{name: "misspelt param", action: u, body: with(`"lastname":"Lee"`),
			field: "params.lastname is not a parameter of update_user"},
		{name: "email null", action: u, body: with(`"email":null`),
			field: "params.email may not be null"},
		{name: "login null", action: u, body: with(`"login":null`),
			field: "params.login may not be null"},
		{name: "profile email null", action: u, body: with(`"profile":{"email":null}`),
			field: "params.profile.email may not be null"},
		{name: "email invalid", action: u, body: with(`"email":"ann at example.com"`),
			field: "params.email must be a bare email address"},
		{name: "profile login too long", action: u,
			body:  with(`"profile":{"login":"` + strings.Repeat("l", 101) + `"}`),
			field: "params.profile.login must be 1 to 100 characters"},
		{name: "type_id null", action: u, body: with(`"type_id":null`),
			field: "params.type_id may not be null"},
		{name: "type_id empty", action: u, body: with(`"type_id":""`),
			field: "params.type_id must be a user type id"},
		{name: "first_name empty", action: u, body: with(`"first_name":""`),
			field: "params.first_name must not be empty"},
		{name: "first_name a number", action: u, body: with(`"first_name":1`),
			field: "params.first_name must be a string, got number"},
		{name: "mobile_phone an array", action: u, body: with(`"mobile_phone":["1"]`),
			field: "params.mobile_phone must be a string, got array"},
		{name: "profile standard attribute a boolean", action: u,
			body:  with(`"profile":{"lastName":false}`),
			field: "params.profile.lastName must be a string, got boolean"},
		{name: "named and profile values differ", action: u,
			body:  with(`"last_name":"Lee","profile":{"lastName":"Li"}`),
			field: "params.last_name and params.profile.lastName give different values"},
		{name: "null and a value differ", action: u,
			body:  with(`"mobile_phone":null,"profile":{"mobilePhone":"1"}`),
			field: "params.mobile_phone and params.profile.mobilePhone"},
		{name: "profile not an object", action: u, body: with(`"profile":"x"`),
			field: "params.profile must be a JSON object, got string"},
		{name: "profile empty key", action: u, body: with(`"profile":{" ":1}`),
			field: "params.profile has an empty attribute name"},
		{name: "profile keys twice", action: u, body: with(`"profile":{"x":1,"x":1}`),
			field: `params.profile has the field "x" twice`},
	})
}

func TestDecodeUpdateUser(t *testing.T) {
	tests := []struct {
		name string
		body string
		want *UpdateUserParams
	}{
		{
			name: "null clears and values stay byte for byte",
			body: params(`{"user_id":"ann@example.com","mobile_phone":null,` +
				`"first_name":"Ann","profile":{"employeeNumber":12345678901234567890,` +
				`"nested":{"b" : [1, 2.50, {}],"a":""},"flag":false,"gone":null}}`),
			want: &UpdateUserParams{UserID: "ann@example.com", Profile: map[string]json.RawMessage{
				"mobilePhone":    json.RawMessage(`null`),
				"firstName":      json.RawMessage(`"Ann"`),
				"employeeNumber": json.RawMessage(`12345678901234567890`),
				"nested":         json.RawMessage(`{"b" : [1, 2.50, {}],"a":""}`),
				"flag":           json.RawMessage(`false`),
				"gone":           json.RawMessage(`null`),
			}},
		},
		{
			name: "every named param maps to its Okta name",
			body: params(`{"user_id":"00u1","first_name":"Ann","last_name":null,` +
				`"email":"ann@example.com","login":"ann","mobile_phone":"1",` +
				`"second_email":null,"type_id":"oty1"}`),
			want: &UpdateUserParams{UserID: "00u1", TypeID: "oty1",
				Profile: map[string]json.RawMessage{
					"firstName":   json.RawMessage(`"Ann"`),
					"lastName":    json.RawMessage(`null`),
					"email":       json.RawMessage(`"ann@example.com"`),
					"login":       json.RawMessage(`"ann"`),
					"mobilePhone": json.RawMessage(`"1"`),
					"secondEmail": json.RawMessage(`null`),
				}},
		},
		{
			name: "type change alone",
			body: params(`{"user_id":"00u1","type_id":"oty2","profile":{}}`),
			want: &UpdateUserParams{UserID: "00u1", TypeID: "oty2"},
		},
		{
			name: "named and profile agree, null included",
			body: params(`{"user_id":"00u1","second_email":null,` +
				`"profile":{"secondEmail":null,"login":"ann"}}`),
			want: &UpdateUserParams{UserID: "00u1", Profile: map[string]json.RawMessage{
				"secondEmail": json.RawMessage(`null`),
				"login":       json.RawMessage(`"ann"`),
			}},
		},
		{
			name: "custom attributes only",
			body: params(`{"user_id":"00u1","profile":{"department":"R&D"}}`),
			want: &UpdateUserParams{UserID: "00u1", Profile: map[string]json.RawMessage{
				"department": json.RawMessage(`"R&D"`),
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := decodeParamsOK(t, ActionUpdateUser, tt.body)
			require.IsType(t, &UpdateUserParams{}, got)
			p := got.(*UpdateUserParams)
			assert.Equal(t, tt.want.UserID, p.UserID)
			assert.Equal(t, tt.want.TypeID, p.TypeID)

			// Compare bytes, not JSON meaning: the worker sends these
			// values to Okta exactly as given.
			require.Len(t, p.Profile, len(tt.want.Profile))
			for k, v := range tt.want.Profile {
				assert.Equal(t, string(v), string(p.Profile[k]), k)
			}
		})
	}
}
