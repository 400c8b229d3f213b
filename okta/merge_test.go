package okta

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// losslessProfile holds every kind of value an update must not disturb.
const losslessProfile = `{"login":"ann@x.com","nothing":null,"empty":"","none":[],` +
	`"no":false,"big":9007199254740993,"exp":1.50e+2,"nested":{"a":[1,{"b":null}],"c":""},` +
	`"customText":"<a&b>","uni":"\u00fcml\u00e4ut"}`

func TestMergeObject(t *testing.T) {
	tests := []struct {
		name    string
		obj     string
		changes map[string]json.RawMessage
		want    string
	}{
		{
			name:    "untouched values keep their bytes",
			obj:     losslessProfile,
			changes: map[string]json.RawMessage{"login": json.RawMessage(`"new@x.com"`)},
			want: `{"login":"new@x.com","nothing":null,"empty":"","none":[],` +
				`"no":false,"big":9007199254740993,"exp":1.50e+2,` +
				`"nested":{"a":[1,{"b":null}],"c":""},` +
				`"customText":"<a&b>","uni":"\u00fcml\u00e4ut"}`,
		},
		{
			name:    "null clears an attribute",
			obj:     `{"a":"x","b":"y"}`,
			changes: map[string]json.RawMessage{"b": json.RawMessage(`null`)},
			want:    `{"a":"x","b":null}`,
		},
		{
			name:    "a nil change means null",
			obj:     `{"a":"x","b":"y"}`,
			changes: map[string]json.RawMessage{"a": nil},
			want:    `{"a":null,"b":"y"}`,
		},
		{
			name: "new names are added at the end in order",
			obj:  `{"b":1}`,
			changes: map[string]json.RawMessage{
				"z": json.RawMessage(`true`), "a": json.RawMessage(`"v"`),
			},
			want: `{"b":1,"a":"v","z":true}`,
		},
		{
			name:    "an empty object gets its first member",
			obj:     `{}`,
			changes: map[string]json.RawMessage{"a": json.RawMessage(`1`)},
			want:    `{"a":1}`,
		},
		{
			name:    "a null profile is taken as empty",
			obj:     `null`,
			changes: map[string]json.RawMessage{"a": json.RawMessage(`1`)},
			want:    `{"a":1}`,
		},
		{
			name:    "whitespace and order around the change are kept",
			obj:     "{ \"b\" : 1 ,\n  \"a\":  2 }",
			changes: map[string]json.RawMessage{"a": json.RawMessage(`3`)},
			want:    "{ \"b\" : 1 ,\n  \"a\":  3 }",
		},
		{
			name: "changes are compacted with their text kept",
			obj:  `{"a":1}`,
			changes: map[string]json.RawMessage{
				"a": json.RawMessage(" { \"n\" : 9007199254740993 , \"s\" : \"<&>\" } "),
			},
			want: `{"a":{"n":9007199254740993,"s":"<&>"}}`,
		},
		{
			name:    "no changes give the object back",
			obj:     losslessProfile,
			changes: nil,
			want:    losslessProfile,
		},
		{
			name:    "a name that needs escaping is encoded",
			obj:     `{}`,
			changes: map[string]json.RawMessage{`we"ird`: json.RawMessage(`1`)},
			want:    `{"we\"ird":1}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := mergeObject([]byte(tt.obj), tt.changes)
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(got))
		})
	}
}

func TestMergeObjectRejects(t *testing.T) {
	tests := []struct {
		name    string
		obj     string
		changes map[string]json.RawMessage
		wantErr error
	}{
		{
			name:    "a change that is not JSON",
			obj:     `{}`,
			changes: map[string]json.RawMessage{"a": json.RawMessage(`{`)},
			wantErr: ErrInvalidInput,
		},
		{
			name:    "a change that is two values",
			obj:     `{}`,
			changes: map[string]json.RawMessage{"a": json.RawMessage(`1 2`)},
			wantErr: ErrInvalidInput,
		},
		{name: "a profile that is an array", obj: `[]`, wantErr: errNotObject},
		{name: "a profile with data after it", obj: `{} {}`, wantErr: errNotObject},
		{name: "a truncated profile", obj: `{"a":1`, wantErr: errNotObject},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mergeObject([]byte(tt.obj), tt.changes)
			require.ErrorIs(t, err, tt.wantErr)
		})
	}
}

func TestRemoveMember(t *testing.T) {
	tests := []struct {
		name string
		obj  string
		want string
	}{
		{
			name: "first member",
			obj:  `{"credentials":{"password":{}},"id":"x","_links":{"self":{"href":"h"}}}`,
			want: `{"id":"x","_links":{"self":{"href":"h"}}}`,
		},
		{
			name: "middle member",
			obj:  `{"id":"x","credentials":{},"_links":{}}`,
			want: `{"id":"x","_links":{}}`,
		},
		{
			name: "last member",
			obj:  `{"id":"x","credentials":{}}`,
			want: `{"id":"x"}`,
		},
		{
			name: "only member",
			obj:  ` { "credentials" : {} } `,
			want: ` { } `,
		},
		{
			name: "absent",
			obj:  `{"id":"x","profile":{"credentials":"nested stays"}}`,
			want: `{"id":"x","profile":{"credentials":"nested stays"}}`,
		},
		{
			name: "repeated",
			obj:  `{"credentials":1,"id":"x","credentials":2}`,
			want: `{"id":"x"}`,
		},
		{
			name: "whitespace elsewhere is kept",
			obj:  "{\n  \"id\": \"x\",\n  \"credentials\": {},\n  \"n\": 1.0\n}",
			want: "{\n  \"id\": \"x\",\n  \"n\": 1.0\n}",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := removeMember([]byte(tt.obj), "credentials")
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(got))
			assert.True(t, json.Valid(got))
		})
	}
}

func TestReplaceBody(t *testing.T) {
	user := `{"id":"00u1","type":{"id":"otyCurrent"},"realmId":"guoRealm",` +
		`"profile":` + losslessProfile + `,"credentials":{"password":{}}}`
	tests := []struct {
		name string
		user string
		ch   UserChanges
		want string
	}{
		{
			name: "profile merged, type and realm kept, credentials left out",
			user: user,
			ch: UserChanges{Profile: map[string]json.RawMessage{
				"empty": json.RawMessage(`"now set"`),
			}},
			want: `{"profile":` + replaceIn(losslessProfile, `"empty":""`,
				`"empty":"now set"`) + `,"type":{"id":"otyCurrent"},"realmId":"guoRealm"}`,
		},
		{
			name: "a new type replaces the current one",
			user: user,
			ch:   UserChanges{TypeID: "otyNew"},
			want: `{"profile":` + losslessProfile +
				`,"type":{"id":"otyNew"},"realmId":"guoRealm"}`,
		},
		{
			name: "no type and a null realm send neither",
			user: `{"id":"00u1","realmId":null,"profile":{"a":1}}`,
			ch:   UserChanges{Profile: map[string]json.RawMessage{"b": json.RawMessage(`2`)}},
			want: `{"profile":{"a":1,"b":2}}`,
		},
		{
			name: "a user without profile gets only the changes",
			user: `{"id":"00u1"}`,
			ch:   UserChanges{Profile: map[string]json.RawMessage{"b": json.RawMessage(`2`)}},
			want: `{"profile":{"b":2}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := replaceBody([]byte(tt.user), tt.ch)
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(got))
		})
	}
}

// replaceIn replaces the one occurrence of old in s.
func replaceIn(s, old, new string) string {
	if strings.Count(s, old) != 1 {
		panic("replaceIn: " + old + " does not occur exactly once")
	}
	return strings.Replace(s, old, new, 1)
}

func TestParseUser(t *testing.T) {
	raw := testUserJSON("00u1234567890abcdefg", "ann@x.com")
	u, err := parseUser([]byte(raw))
	require.NoError(t, err)
	assert.Equal(t, "00u1234567890abcdefg", u.ID)
	assert.Equal(t, "ACTIVE", u.Status)
	assert.NotContains(t, string(u.JSON), "credentials")
	assert.NotContains(t, string(u.JSON), "provider")

	want, err := removeMember([]byte(raw), "credentials")
	require.NoError(t, err)
	assert.Equal(t, string(want), string(u.JSON))
	assert.Contains(t, string(u.JSON),
		`,"_links":{"self":{"href":"https://acme.okta.com/api/v1/users/00u1234567890abcdefg"}}}`)

	for _, bad := range []string{`[]`, `{"status":"ACTIVE"}`, `{"id":`, ``} {
		_, err := parseUser([]byte(bad))
		assert.Error(t, err, "body %q", bad)
	}
}
