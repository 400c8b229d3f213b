package messages

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzDecode checks that Decode never panics and always answers with
// either a checked request or an error that a reply can carry. Its seeds
// are the example requests and a few odd subjects and bodies; they run
// in every plain go test.
func FuzzDecode(f *testing.F) {
	paths, err := filepath.Glob(filepath.Join("testdata", "requests", "*", "*.json"))
	require.NoError(f, err)
	for _, p := range paths {
		body, err := os.ReadFile(p)
		require.NoError(f, err)
		action, _, _ := cutDot(filepath.Base(p))
		f.Add(subject(Action(action)), body)
	}
	f.Add("okta.requests.acme", []byte(`{}`))
	f.Add("okta.requests.acme.nope", []byte(`{"id":"x"}`))
	f.Add("eu.okta.requests.acme.get_user", []byte(`{"params":{"user_id":"a"}}`))
	f.Add(subject(ActionUpdateUser), []byte(`{"params":{"user_id":"a","profile":{"a":1e999}}}`))
	f.Add(subject(ActionCreateUser), []byte("{\"params\":{\"email\":\"\xff\"}}"))
	f.Add(subject(ActionGetUser), []byte(`{"params":{"user_id":"\ud800"}} `))

	f.Fuzz(func(t *testing.T, subj string, body []byte) {
		for _, s := range []Subjects{{}, {Prefix: "eu.okta"}} {
			d, err := s.Decode(subj, slices.Clone(body))
			require.NotNil(t, d, "Decode returned no Decoded")
			checkAddress(t, s, d)
			if err != nil {
				checkDecodeError(t, d, err)
				continue
			}
			checkDecoded(t, d)
		}
	})
}

// cutDot splits a file name at its first dot.
func cutDot(name string) (string, string, bool) {
	for i := range len(name) {
		if name[i] == '.' {
			return name[:i], name[i+1:], true
		}
	}
	return name, "", false
}

// checkAddress checks what a reply would be addressed with: never an
// invalid tenant, id or reply subject.
func checkAddress(t *testing.T, s Subjects, d *Decoded) {
	t.Helper()
	if d.Tenant != "" {
		assert.True(t, ValidTenant(d.Tenant), "tenant %q", d.Tenant)
		assert.True(t, validToken(string(d.Action)), "action %q", d.Action)
	}
	if d.ID != "" {
		assert.Empty(t, checkID(d.ID), "id %q", d.ID)
	}
	if d.ReplyTo != "" {
		assert.Empty(t, s.replyToCheck()(d.ReplyTo), "reply_to %q", d.ReplyTo)
	}
}

// checkDecodeError checks a rejection.
func checkDecodeError(t *testing.T, d *Decoded, err *Error) {
	t.Helper()
	assert.Contains(t, []Code{CodeInvalidRequest, CodeUnknownAction}, err.Code)
	assert.NotEmpty(t, err.Message)
	assert.True(t, utf8.ValidString(err.Message), "message is not UTF-8")
	assert.False(t, err.Retryable)
	assert.Nil(t, d.Params)
}

// checkDecoded checks the invariants of an accepted request.
func checkDecoded(t *testing.T, d *Decoded) {
	t.Helper()
	require.True(t, knownAction(d.Action), "accepted action %q", d.Action)
	require.True(t, ValidTenant(d.Tenant), "accepted tenant %q", d.Tenant)
	switch p := d.Params.(type) {
	case *CreateUserParams:
		assert.Equal(t, ActionCreateUser, d.Action)
		assert.Empty(t, checkEmail(p.Email))
		assert.Empty(t, checkLogin(p.Login))
		assert.LessOrEqual(t, len(p.GroupIDs), maxGroupIDs)
	case *GetUserParams:
		assert.Equal(t, ActionGetUser, d.Action)
		assert.Empty(t, checkUserID(p.UserID))
	case *ListTypeIDOptionsParams:
		assert.Equal(t, ActionListTypeIDOptions, d.Action)
	case *UpdateUserParams:
		assert.Equal(t, ActionUpdateUser, d.Action)
		assert.Empty(t, checkUserID(p.UserID))
		assert.True(t, len(p.Profile) > 0 || p.TypeID != "", "update without change")
	default:
		t.Fatalf("params of type %T", d.Params)
	}
}
