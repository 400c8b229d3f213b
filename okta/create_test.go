package okta

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCreateUserRequest(t *testing.T) {
	profile := map[string]json.RawMessage{
		"login":      json.RawMessage(`"ann@x.com"`),
		"email":      json.RawMessage(`"ann@x.com"`),
		"employeeNo": json.RawMessage(`9007199254740993`),
		"note":       json.RawMessage(`"<b>&</b>"`),
	}
	const wantProfile = `{"email":"ann@x.com","employeeNo":9007199254740993,` +
		`"login":"ann@x.com","note":"<b>&</b>"}`
	tests := []struct {
		name      string
		user      NewUser
		wantQuery string
		wantBody  string
	}{
		{
			name:      "profile only",
			user:      NewUser{Profile: profile, Activate: true},
			wantQuery: "activate=true",
			wantBody:  `{"profile":` + wantProfile + `}`,
		},
		{
			name: "password, type and groups",
			user: NewUser{Profile: profile, Password: testPassword, TypeID: "oty2",
				GroupIDs: []string{"00g1", "00g2"}},
			wantQuery: "activate=false",
			wantBody: `{"profile":` + wantProfile + `,"credentials":{"password":{"value":"` +
				testPassword + `"}},"type":{"id":"oty2"},"groupIds":["00g1","00g2"]}`,
		},
		{
			name:      "no profile still sends one",
			user:      NewUser{Activate: true},
			wantQuery: "activate=true",
			wantBody:  `{"profile":{}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeOkta(t, func(w http.ResponseWriter, r *http.Request) {
				oktaJSON(w, 200, testUserJSON(testID, "ann@x.com"))
			})
			u, err := f.client(t).CreateUser(context.Background(), tt.user)
			require.NoError(t, err)
			assert.Equal(t, testID, u.ID)
			assert.Equal(t, "ACTIVE", u.Status)
			assert.NotContains(t, string(u.JSON), "credentials")

			reqs := f.received()
			require.Len(t, reqs, 1)
			assert.Equal(t, http.MethodPost, reqs[0].Method)
			assert.Equal(t, usersPath, reqs[0].EscapedPath)
			assert.Equal(t, tt.wantQuery, reqs[0].RawQuery)
			assert.Equal(t, tt.wantBody, string(reqs[0].Body))
		})
	}
}

func TestCreateUserAcceptsAny2xx(t *testing.T) {
	f := newFakeOkta(t, func(w http.ResponseWriter, r *http.Request) {
		oktaJSON(w, http.StatusCreated, testUserJSON(testID, "ann@x.com"))
	})
	u, err := f.client(t).CreateUser(context.Background(), NewUser{Password: testPassword})
	require.NoError(t, err)
	assert.Equal(t, testID, u.ID)
	assert.NotContains(t, string(u.JSON), testPassword)
}

func TestCreateUserRejectsBadProfile(t *testing.T) {
	f := newFakeOkta(t, func(w http.ResponseWriter, r *http.Request) {
		oktaJSON(w, 200, testUserJSON(testID, "ann@x.com"))
	})
	_, err := f.client(t).CreateUser(context.Background(), NewUser{
		Profile:  map[string]json.RawMessage{"login": json.RawMessage(`ann@x.com`)},
		Password: testPassword,
	})
	require.ErrorIs(t, err, ErrInvalidInput)
	assert.Contains(t, err.Error(), `"login"`)
	assert.NotContains(t, err.Error(), testPassword)
	assert.Empty(t, f.received())
}

func TestCreateUserGarbledAnswer(t *testing.T) {
	f := newFakeOkta(t, func(w http.ResponseWriter, r *http.Request) {
		oktaJSON(w, 200, `[]`)
	})
	_, err := f.client(t).CreateUser(context.Background(), NewUser{Password: testPassword})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "okta: POST /api/v1/users: decoding user")
	assert.NotContains(t, err.Error(), testPassword)
}

func TestUpdateUserRequests(t *testing.T) {
	tests := []struct {
		name        string
		ref         string
		etag        string
		ch          UserChanges
		wantCalls   []string // method and escaped path
		wantIfMatch string
		wantBody    string
	}{
		{
			name: "by login: read by login, again by id, then PUT with the id's ETag",
			ref:  "ann@x.com", etag: `W/"e1"`,
			ch: UserChanges{Profile: map[string]json.RawMessage{
				"firstName": json.RawMessage(`"Anna"`)}},
			wantCalls: []string{"GET /api/v1/users/ann%40x.com",
				"GET /api/v1/users/" + testID, "PUT /api/v1/users/" + testID},
			wantIfMatch: `W/"e1"`,
			wantBody: `{"profile":{"login":"ann@x.com","email":"ann@x.com","firstName":` +
				`"Anna","lastName":"Lee","mobilePhone":null,"secondEmail":null},` +
				`"type":{"id":"oty1defaulttype00001"},"realmId":"guo1realm000000000001"}`,
		},
		{
			name: "by id without ETag: no If-Match",
			ref:  testID,
			ch:   UserChanges{TypeID: "oty2"},
			wantCalls: []string{"GET /api/v1/users/" + testID,
				"PUT /api/v1/users/" + testID},
			wantBody: `{"profile":{"login":"ann@x.com","email":"ann@x.com","firstName":` +
				`"Ann","lastName":"Lee","mobilePhone":null,"secondEmail":null},` +
				`"type":{"id":"oty2"},"realmId":"guo1realm000000000001"}`,
		},
		{
			name:      "no changes: nothing written",
			ref:       testID,
			wantCalls: []string{"GET /api/v1/users/" + testID},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeOkta(t, func(w http.ResponseWriter, r *http.Request) {
				if tt.etag != "" && r.Method == http.MethodGet {
					w.Header().Set("ETag", tt.etag)
				}
				oktaJSON(w, 200, testUserJSON(testID, "ann@x.com"))
			})
			u, err := f.client(t).UpdateUser(context.Background(), tt.ref, tt.ch)
			require.NoError(t, err)
			assert.Equal(t, testID, u.ID)

			reqs := f.received()
			var calls []string
			for _, r := range reqs {
				calls = append(calls, r.Method+" "+r.EscapedPath)
			}
			require.Equal(t, tt.wantCalls, calls)
			last := reqs[len(reqs)-1]
			if last.Method == http.MethodPut {
				assert.Equal(t, tt.wantIfMatch, last.Header.Get("If-Match"))
				assert.Equal(t, tt.wantBody, string(last.Body))
				assert.Equal(t, "application/json", last.Header.Get("Content-Type"))
			}
		})
	}
}

func TestUpdateUserRejectsBadChange(t *testing.T) {
	f := newFakeOkta(t, func(w http.ResponseWriter, r *http.Request) {
		oktaJSON(w, 200, testUserJSON(testID, "ann@x.com"))
	})
	_, err := f.client(t).UpdateUser(context.Background(), testID, UserChanges{
		Profile: map[string]json.RawMessage{"firstName": json.RawMessage(`Anna`)}})
	require.ErrorIs(t, err, ErrInvalidInput)
	assert.Empty(t, f.received(), "nothing reached Okta")
}

func TestListUserTypes(t *testing.T) {
	f := newFakeOkta(t, func(w http.ResponseWriter, r *http.Request) {
		oktaJSON(w, 200, `[{"id":"oty1","displayName":"User","name":"user",`+
			`"description":"Okta user profile template","createdBy":"spr1","default":true,`+
			`"_links":{"self":{"href":"h"}}},{"id":"oty2","name":"contractor",`+
			`"displayName":"Contractor","default":false}]`)
	})
	types, err := f.client(t).ListUserTypes(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []UserType{
		{ID: "oty1", Name: "user", DisplayName: "User",
			Description: "Okta user profile template", Default: true},
		{ID: "oty2", Name: "contractor", DisplayName: "Contractor"},
	}, types)
	reqs := f.received()
	require.Len(t, reqs, 1)
	assert.Equal(t, "/api/v1/meta/types/user", reqs[0].EscapedPath)
}
