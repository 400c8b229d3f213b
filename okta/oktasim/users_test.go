package oktasim_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/okta-worker/okta-worker/okta/oktasim"
)

func TestCreateStatusFollowsActivateAndPassword(t *testing.T) {
	tests := []struct {
		name          string
		query         string
		credentials   string
		wantStatus    string
		wantActivated bool
		wantPassword  bool
	}{
		{name: "default activates without password", wantStatus: "PROVISIONED"},
		{name: "activate true without password", query: "?activate=true",
			wantStatus: "PROVISIONED"},
		{name: "activate false", query: "?activate=false", wantStatus: "STAGED"},
		{name: "activate false with password", query: "?activate=false",
			credentials: `{"password":{"value":"Tr0ub4dor&3"}}`,
			wantStatus:  "STAGED", wantPassword: true},
		{name: "activate true with password", query: "?activate=true",
			credentials: `{"password":{"value":"Tr0ub4dor&3"}}`,
			wantStatus:  "ACTIVE", wantActivated: true, wantPassword: true},
		{name: "empty password object is no password",
			credentials: `{"password":{}}`, wantStatus: "PROVISIONED"},
		{name: "recovery question alone", credentials: `{"recovery_question":` +
			`{"question":"Which river?","answer":"Thames river"}}`, wantStatus: "PROVISIONED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := newOrg(t)
			body := `{"profile":{"login":"ada@example.com","email":"ada@example.com",` +
				`"firstName":"Ada","lastName":"Lovelace"}`
			if tt.credentials != "" {
				body += `,"credentials":` + tt.credentials
			}
			u := o.create(tt.query, body+"}")

			assert.Equal(t, tt.wantStatus, u["status"])
			assert.Equal(t, tt.wantActivated, u["activated"] != nil)
			creds := u["credentials"].(map[string]any)
			_, hasPassword := creds["password"]
			assert.Equal(t, tt.wantPassword, hasPassword)
			assert.Equal(t, tt.wantPassword, u["passwordChanged"] != nil)
			assert.NotContains(t, fmt.Sprint(u), "Tr0ub4dor", "the password is never echoed")
			assert.NotContains(t, fmt.Sprint(u), "Thames", "the answer is never echoed")
		})
	}
}

func TestCreateAnswersOktaUserShape(t *testing.T) {
	o := newOrg(t)
	a := o.do(http.MethodPost, "/api/v1/users?activate=true", `{"profile":{`+
		`"login":"grace@example.com","email":"grace@example.com","firstName":"Grace",`+
		`"lastName":"Hopper","costCenter":"R&D <lab>","big":9007199254740993,`+
		`"tags":["a", "b"],"nested":{"deep":[1,{"x":null}]},"flag":false,"empty":""},`+
		`"credentials":{"password":{"value":"Tr0ub4dor&3"}}}`)
	require.Equal(t, http.StatusOK, a.status, "Okta answers a create 200, never 201")
	assert.Empty(t, a.header.Get("Etag"), "Okta sends no ETag on writes")
	u := a.object(t)

	assert.Regexp(t, userIDPattern, u["id"])
	for _, k := range []string{"created", "activated", "statusChanged", "lastUpdated",
		"passwordChanged"} {
		assert.Regexp(t, oktaTime, u[k], k)
	}
	assert.Equal(t, "2026-03-04T05:06:07.000Z", u["created"], "stamped by the org clock")
	assert.Nil(t, u["lastLogin"])
	assert.Contains(t, u, "lastLogin", "null timestamps are present")
	assert.Equal(t, map[string]any{"id": o.sim.DefaultTypeID()}, u["type"])

	p := profileOf(t, u)
	assert.Contains(t, p, "mobilePhone")
	assert.Nil(t, p["mobilePhone"])
	assert.Contains(t, p, "secondEmail")
	assert.Equal(t, "R&D <lab>", p["costCenter"])
	assert.Equal(t, json.Number("9007199254740993"), p["big"])
	assert.Contains(t, string(a.body), `"big":9007199254740993`)
	assert.Contains(t, string(a.body), `"nested":{"deep":[1,{"x":null}]}`)
	assert.Contains(t, string(a.body), `"R&D <lab>"`, "HTML characters are not escaped")
	assert.Equal(t, false, p["flag"])
	assert.Equal(t, "", p["empty"])

	wantCreds := map[string]any{
		"password": map[string]any{},
		"provider": map[string]any{"type": "OKTA", "name": "OKTA"},
	}
	assert.Equal(t, wantCreds, u["credentials"])
	links := u["_links"].(map[string]any)
	self := links["self"].(map[string]any)
	assert.Equal(t, o.srv.URL+"/api/v1/users/"+u["id"].(string), self["href"])
	assert.Contains(t, links, "type")
	assert.Contains(t, links, "schema")
	assert.Equal(t, "POST", links["suspend"].(map[string]any)["method"])
}

func TestCreateValidation(t *testing.T) {
	tests := []struct {
		name       string
		query      string
		body       string
		wantStatus int
		wantCode   string
		summary    string
		causes     []string
	}{
		{name: "missing login", body: `{"profile":{"email":"a@example.com",` +
			`"firstName":"A","lastName":"B"}}`, wantStatus: 400, wantCode: "E0000001",
			summary: "Api validation failed: login",
			causes:  []string{"login: The field cannot be left blank"}},
		{name: "duplicate login in another case", body: profileBody("TAKEN@example.com", nil),
			wantStatus: 400, wantCode: "E0000001", summary: "Api validation failed: login",
			causes: []string{"login: An object with this field already exists " +
				"in the current organization"}},
		{name: "missing email", body: `{"profile":{"login":"a@example.com",` +
			`"firstName":"A","lastName":"B"}}`, wantStatus: 400, wantCode: "E0000001",
			summary: "Api validation failed: email",
			causes:  []string{"email: The field cannot be left blank"}},
		{name: "email not an address", body: `{"profile":{"login":"a@example.com",` +
			`"email":"not-an-email","firstName":"A","lastName":"B"}}`, wantStatus: 400,
			wantCode: "E0000001", summary: "Api validation failed: email",
			causes: []string{"email: Does not match required pattern"}},
		{name: "names required by the default type", body: `{"profile":{` +
			`"login":"a@example.com","email":"a@example.com","firstName":""}}`,
			wantStatus: 400, wantCode: "E0000001", summary: "Api validation failed: firstName",
			causes: []string{"firstName: The field cannot be left blank",
				"lastName: The field cannot be left blank"}},
		{name: "base attribute of the wrong type", body: profileBody("a@example.com",
			map[string]any{"title": 7}), wantStatus: 400, wantCode: "E0000001",
			summary: "Api validation failed: title",
			causes:  []string{"title: The value is of the wrong type"}},
		{name: "unknown type id", body: `{"profile":{"login":"a@example.com",` +
			`"email":"a@example.com","firstName":"A","lastName":"B"},"type":{"id":"otyNope"}}`,
			wantStatus: 400, wantCode: "E0000001", summary: "Api validation failed: type",
			causes: []string{"type: Invalid user type id otyNope"}},
		{name: "too many groups", body: `{"profile":{"login":"a@example.com"},"groupIds":[` +
			strings.Repeat(`"00g1",`, 20) + `"00g2"]}`, wantStatus: 400, wantCode: "E0000093",
			summary: "Target count limit exceeded", causes: []string{}},
		{name: "password too short", body: `{"profile":{"login":"a@example.com",` +
			`"email":"a@example.com","firstName":"A","lastName":"B"},` +
			`"credentials":{"password":{"value":"short"}}}`, wantStatus: 400,
			wantCode: "E0000001", summary: "Api validation failed: password",
			causes: []string{"password: Password requirements were not met. " +
				"Password requirements: at least 8 characters."}},
		{name: "no profile", body: `{"credentials":{}}`, wantStatus: 400,
			wantCode: "E0000001", summary: "Api validation failed: profile",
			causes: []string{"profile: The field cannot be left blank"}},
		{name: "bad json", body: `{"profile":`, wantStatus: 400, wantCode: "E0000003",
			summary: "The request body was not well-formed.", causes: []string{}},
		{name: "not an object", body: `[1]`, wantStatus: 400, wantCode: "E0000003",
			summary: "The request body was not well-formed.", causes: []string{}},
		{name: "data after the object", body: `{"profile":{}} {}`, wantStatus: 400,
			wantCode: "E0000003", summary: "The request body was not well-formed.",
			causes: []string{}},
		{name: "empty body", body: ``, wantStatus: 400, wantCode: "E0000003",
			summary: "The request body was not well-formed.", causes: []string{}},
		{name: "activate not a boolean", query: "?activate=maybe",
			body: profileBody("a@example.com", nil), wantStatus: 400, wantCode: "E0000001",
			summary: "Api validation failed: activate",
			causes:  []string{"activate: The value is of the wrong type"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := newOrg(t)
			o.createPerson("taken@example.com")
			a := o.do(http.MethodPost, "/api/v1/users"+tt.query, tt.body)
			e := requireError(t, a, tt.wantStatus, tt.wantCode)
			assert.Equal(t, tt.summary, e.ErrorSummary)
			assert.Equal(t, tt.causes, causes(e))
			assert.Equal(t, 1, o.sim.Len(), "nothing was stored")
		})
	}
}

func TestCreateHonoursUserTypeRules(t *testing.T) {
	o := newOrg(t)
	lenient := o.sim.AddUserTypeSpec(oktasim.UserTypeSpec{
		Name: "service", DisplayName: "Service account", Required: nil,
	})
	strict := o.sim.AddUserTypeSpec(oktasim.UserTypeSpec{
		Name: "employee", DisplayName: "Employee", Required: []string{"employeeNumber"},
	})
	assert.Regexp(t, typeIDPattern, lenient)

	u := o.create("", `{"profile":{"login":"svc@example.com","email":"svc@example.com"},`+
		`"type":{"id":"`+lenient+`"}}`)
	assert.Equal(t, map[string]any{"id": lenient}, u["type"])
	assert.Nil(t, profileOf(t, u)["firstName"])

	a := o.do(http.MethodPost, "/api/v1/users", `{"profile":{"login":"e@example.com",`+
		`"email":"e@example.com"},"type":{"id":"`+strict+`"}}`)
	e := requireError(t, a, http.StatusBadRequest, "E0000001")
	assert.Equal(t, []string{"employeeNumber: The field cannot be left blank"}, causes(e))
}

func TestCreateStoresGroupsAndAcceptsCustomAttributes(t *testing.T) {
	o := newOrg(t)
	u := o.create("", `{"profile":{"login":"c@example.com","email":"c@example.com",`+
		`"firstName":"C","lastName":"D","favouriteColour":"teal"},"groupIds":["00g1","00g2"]}`)
	assert.Equal(t, "teal", profileOf(t, u)["favouriteColour"])
	assert.Equal(t, []string{"00g1", "00g2"}, o.sim.GroupIDs(u["id"].(string)))
}

func TestStrictLoginsFollowOktaDefaultPattern(t *testing.T) {
	tests := []struct {
		name   string
		login  string
		strict bool
		cause  string
	}{
		{name: "lenient accepts a slash", login: "a/b"},
		{name: "strict rejects a non-address", login: "plainname", strict: true,
			cause: "login: Does not match required pattern"},
		{name: "strict rejects a short login", login: "a@b", strict: true,
			cause: "login: The field is too short"},
		{name: "strict accepts an address", login: "ok@example.com", strict: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []oktasim.Option
			if tt.strict {
				opts = append(opts, oktasim.WithStrictLogins())
			}
			o := newOrg(t, opts...)
			body := `{"profile":{"login":"` + tt.login + `","email":"x@example.com",` +
				`"firstName":"A","lastName":"B"}}`
			a := o.do(http.MethodPost, "/api/v1/users", body)
			if tt.cause == "" {
				require.Equal(t, http.StatusOK, a.status, string(a.body))
				return
			}
			e := requireError(t, a, http.StatusBadRequest, "E0000001")
			assert.Equal(t, []string{tt.cause}, causes(e))
		})
	}
}

func TestGetUserByReference(t *testing.T) {
	tests := []struct {
		name  string
		login string
		path  string // after /api/v1/users/; "{id}" is replaced by the user's id
	}{
		{name: "by id", login: "ada@example.com", path: "{id}"},
		{name: "by login with raw at", login: "ada@example.com", path: "ada@example.com"},
		{name: "by login with escaped at", login: "ada@example.com", path: "ada%40example.com"},
		{name: "login in another case", login: "Ada@Example.com", path: "aDA%40example.COM"},
		{name: "escaped plus", login: "a+b@example.com", path: "a%2Bb%40example.com"},
		{name: "raw plus is literal in a path", login: "a+b@example.com",
			path: "a+b@example.com"},
		{name: "escaped hash", login: "o'neil#1@example.com", path: "o'neil%231%40example.com"},
		{name: "escaped percent", login: "50%off@example.com", path: "50%25off%40example.com"},
		{name: "escaped space", login: "first last", path: "first%20last"},
		{name: "non-ascii", login: "ümlaut@example.com", path: "%C3%BCmlaut%40example.com"},
		{name: "unique short name", login: "isaac.brock@example.com", path: "isaac.brock"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := newOrg(t)
			id := o.sim.AddUser(map[string]any{"login": tt.login, "email": "x@example.com"})
			path := strings.ReplaceAll(tt.path, "{id}", id)

			a := o.do(http.MethodGet, "/api/v1/users/"+path, "")
			require.Equal(t, http.StatusOK, a.status, string(a.body))
			u := a.object(t)
			assert.Equal(t, id, u["id"])
			assert.Equal(t, tt.login, profileOf(t, u)["login"])
			assert.Regexp(t, `^W/"[0-9a-f]{64}"$`, a.header.Get("ETag"))
		})
	}
}

func TestGetUserFailures(t *testing.T) {
	tests := []struct {
		name       string
		path       string
		wantStatus int
		wantCode   string
		summary    string
	}{
		{name: "unknown id", path: "/api/v1/users/00uDoesNotExist12345", wantStatus: 404,
			wantCode: "E0000007",
			summary:  "Not found: Resource not found: 00uDoesNotExist12345 (User)"},
		{name: "unknown login", path: "/api/v1/users/missing%40example.com", wantStatus: 404,
			wantCode: "E0000007", summary: "Not found: Resource not found: missing@example.com (User)"},
		{name: "me has no owner in the simulator", path: "/api/v1/users/me", wantStatus: 404,
			wantCode: "E0000007", summary: "Not found: Resource not found: me (User)"},
		{name: "login with a raw slash", path: "/api/v1/users/a/b", wantStatus: 405,
			wantCode: "E0000022",
			summary:  "The endpoint does not support the provided HTTP method"},
		{name: "login with an escaped slash", path: "/api/v1/users/a%2Fb", wantStatus: 405,
			wantCode: "E0000022",
			summary:  "The endpoint does not support the provided HTTP method"},
		{name: "ambiguous short name", path: "/api/v1/users/twin", wantStatus: 404,
			wantCode: "E0000007", summary: "Not found: Resource not found: twin (User)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := newOrg(t)
			o.sim.AddUser(map[string]any{"login": "a/b", "email": "x@example.com"})
			o.sim.AddUser(map[string]any{"login": "twin@one.example", "email": "x@example.com"})
			o.sim.AddUser(map[string]any{"login": "twin@two.example", "email": "x@example.com"})
			e := requireError(t, o.do(http.MethodGet, tt.path, ""), tt.wantStatus, tt.wantCode)
			assert.Equal(t, tt.summary, e.ErrorSummary)
		})
	}
}

func TestEmptyOrDotIDReachesTheCollection(t *testing.T) {
	for _, path := range []string{"/api/v1/users/", "/api/v1/users/."} {
		t.Run(path, func(t *testing.T) {
			o := newOrg(t)
			o.createPerson("ada@example.com")
			a := o.do(http.MethodGet, path, "")
			require.Equal(t, http.StatusOK, a.status)
			assert.Len(t, a.array(t), 1, "Okta answers a list, as SDK bug reports show")
		})
	}
}

func TestReplaceUserDeletesOmittedAttributes(t *testing.T) {
	o := newOrg(t)
	u := o.create("?activate=true", `{"profile":{"login":"ada@example.com",`+
		`"email":"ada@example.com","firstName":"Ada","lastName":"Lovelace",`+
		`"city":"London","big":9007199254740993},`+
		`"credentials":{"password":{"value":"Tr0ub4dor&3"},`+
		`"recovery_question":{"question":"Which river?","answer":"Thames"}}}`)
	id := u["id"].(string)
	o.clock.Advance(90 * time.Second)

	a := o.do(http.MethodPut, "/api/v1/users/"+id, `{"profile":{"login":"ada@example.com",`+
		`"email":"ada@example.com","firstName":"Ada","lastName":"King","title":null}}`)
	require.Equal(t, http.StatusOK, a.status, string(a.body))
	got := a.object(t)
	p := profileOf(t, got)
	assert.Equal(t, "King", p["lastName"])
	assert.NotContains(t, p, "city", "PUT deletes what it omits")
	assert.NotContains(t, p, "big")
	assert.Contains(t, p, "title")
	assert.Nil(t, p["title"])
	assert.Equal(t, "2026-03-04T05:07:37.000Z", got["lastUpdated"])
	assert.Equal(t, u["passwordChanged"], got["passwordChanged"], "credentials are kept")
	assert.Equal(t, map[string]any{
		"password":          map[string]any{},
		"recovery_question": map[string]any{"question": "Which river?"},
		"provider":          map[string]any{"type": "OKTA", "name": "OKTA"},
	}, got["credentials"])
}

func TestReplaceUserWithoutProfileKeepsIt(t *testing.T) {
	o := newOrg(t)
	id := o.createPerson("ada@example.com")
	o.clock.Advance(time.Minute)
	a := o.do(http.MethodPut, "/api/v1/users/"+id,
		`{"credentials":{"password":{"value":"N3w-passw0rd"}}}`)
	require.Equal(t, http.StatusOK, a.status, string(a.body))
	u := a.object(t)
	assert.Equal(t, "Lovelace", profileOf(t, u)["lastName"])
	assert.Equal(t, "2026-03-04T05:07:07.000Z", u["passwordChanged"])
}

func TestReplaceUserChangesType(t *testing.T) {
	o := newOrg(t)
	other := o.sim.AddUserType("contractor", "Contractor", "People on contract")
	id := o.createPerson("ada@example.com")
	body := `{"profile":{"login":"ada@example.com","email":"ada@example.com",` +
		`"firstName":"Ada","lastName":"Lovelace"},"type":{"id":"%s"}}`

	a := o.do(http.MethodPut, "/api/v1/users/"+id, fmt.Sprintf(body, other))
	require.Equal(t, http.StatusOK, a.status, string(a.body))
	assert.Equal(t, map[string]any{"id": other}, a.object(t)["type"])

	a = o.do(http.MethodPut, "/api/v1/users/"+id, fmt.Sprintf(body, "otyUnknown"))
	e := requireError(t, a, http.StatusBadRequest, "E0000001")
	assert.Equal(t, "Api validation failed: type", e.ErrorSummary)
}

func TestPartialUpdateMergesProfile(t *testing.T) {
	o := newOrg(t)
	u := o.create("", `{"profile":{"login":"ada@example.com","email":"ada@example.com",`+
		`"firstName":"Ada","lastName":"Lovelace","city":"London","big":9007199254740993}}`)
	id := u["id"].(string)

	a := o.do(http.MethodPost, "/api/v1/users/"+id,
		`{"profile":{"city":null,"nickName":"Countess"}}`)
	require.Equal(t, http.StatusOK, a.status, string(a.body))
	assert.Contains(t, string(a.body), `"big":9007199254740993`)
	p := profileOf(t, a.object(t))
	assert.Equal(t, "Countess", p["nickName"])
	assert.Contains(t, p, "city")
	assert.Nil(t, p["city"], "a JSON null clears the attribute")
	assert.Equal(t, "Lovelace", p["lastName"])
}

func TestPartialUpdateCannotChangeType(t *testing.T) {
	o := newOrg(t)
	other := o.sim.AddUserType("contractor", "Contractor", "")
	id := o.createPerson("ada@example.com")

	same := `{"profile":{"city":"Paris"},"type":{"id":"` + o.sim.DefaultTypeID() + `"}}`
	require.Equal(t, http.StatusOK, o.do(http.MethodPost, "/api/v1/users/"+id, same).status)

	a := o.do(http.MethodPost, "/api/v1/users/"+id, `{"type":{"id":"`+other+`"}}`)
	e := requireError(t, a, http.StatusBadRequest, "E0000001")
	assert.Equal(t, "Api validation failed: type", e.ErrorSummary)
}

func TestUpdateFailures(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		path       string
		body       string
		setup      func(o *org, id string)
		header     []string
		wantStatus int
		wantCode   string
	}{
		{name: "unknown user", method: http.MethodPut, path: "00uNobody",
			body: profileBody("x@example.com", nil), wantStatus: 404, wantCode: "E0000007"},
		{name: "login taken by another user", method: http.MethodPut, path: "{id}",
			body: profileBody("OTHER@example.com", nil), wantStatus: 400, wantCode: "E0000001"},
		{name: "partial update blanks a required name", method: http.MethodPost, path: "{id}",
			body: `{"profile":{"firstName":null}}`, wantStatus: 400, wantCode: "E0000001"},
		{name: "bad json", method: http.MethodPost, path: "{id}", body: `{"profile":`,
			wantStatus: 400, wantCode: "E0000003"},
		{name: "still activating", method: http.MethodPost, path: "{id}",
			body: `{"profile":{}}`, wantStatus: 409, wantCode: "E0000112",
			setup: func(o *org, id string) { o.sim.SetActivating(id, "ACTIVE") }},
		{name: "stale If-Match", method: http.MethodPut, path: "{id}",
			body: profileBody("ada@example.com", nil), header: []string{"If-Match",
				`W/"0000000000000000000000000000000000000000000000000000000000000000"`},
			wantStatus: 412, wantCode: "E0000001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := newOrg(t)
			id := o.createPerson("ada@example.com")
			o.createPerson("other@example.com")
			if tt.setup != nil {
				tt.setup(o, id)
			}
			before, _ := o.sim.User(id)
			path := "/api/v1/users/" + strings.ReplaceAll(tt.path, "{id}", id)
			a := o.do(tt.method, path, tt.body, tt.header...)
			requireError(t, a, tt.wantStatus, tt.wantCode)
			after, _ := o.sim.User(id)
			assert.JSONEq(t, string(before), string(after), "the user is unchanged")
		})
	}
}

func TestETagChangesOnUpdateAndGuardsWrites(t *testing.T) {
	o := newOrg(t)
	id := o.createPerson("ada@example.com")
	first := o.do(http.MethodGet, "/api/v1/users/"+id, "").header.Get("ETag")
	again := o.do(http.MethodGet, "/api/v1/users/"+id, "").header.Get("ETag")
	assert.Equal(t, first, again, "reads do not change the ETag")

	a := o.do(http.MethodPost, "/api/v1/users/"+id, `{"profile":{"city":"Paris"}}`,
		"If-Match", first)
	require.Equal(t, http.StatusOK, a.status, string(a.body))
	second := o.do(http.MethodGet, "/api/v1/users/"+id, "").header.Get("ETag")
	assert.NotEqual(t, first, second)

	a = o.do(http.MethodPost, "/api/v1/users/"+id, `{"profile":{"city":"Rome"}}`,
		"If-Match", first)
	e := requireError(t, a, http.StatusPreconditionFailed, "E0000001")
	assert.Equal(t, "Api validation failed: If-Match", e.ErrorSummary)

	strong := strings.TrimPrefix(second, "W/")
	a = o.do(http.MethodPut, "/api/v1/users/"+id, profileBody("ada@example.com", nil),
		"If-Match", strong)
	assert.Equal(t, http.StatusOK, a.status, "weak comparison accepts the strong form")
	a = o.do(http.MethodPost, "/api/v1/users/"+id, `{}`, "If-Match", "*")
	assert.Equal(t, http.StatusOK, a.status, "* matches any version")
}

func TestUpdateByLoginAndLoginChange(t *testing.T) {
	o := newOrg(t)
	id := o.createPerson("ada@example.com")
	a := o.do(http.MethodPost, "/api/v1/users/ADA%40example.com",
		`{"profile":{"login":"countess@example.com"}}`)
	require.Equal(t, http.StatusOK, a.status, string(a.body))

	assert.Equal(t, 0, o.sim.CountByLogin("ada@example.com"))
	assert.Equal(t, 1, o.sim.CountByLogin("Countess@example.com"))
	got := o.do(http.MethodGet, "/api/v1/users/countess%40example.com", "")
	require.Equal(t, http.StatusOK, got.status)
	assert.Equal(t, id, got.object(t)["id"])
	o.createPerson("ada@example.com") // the old login is free again
}

func TestDeleteDeactivatesThenDeletes(t *testing.T) {
	o := newOrg(t)
	id := o.createPerson("ada@example.com")

	a := o.do(http.MethodDelete, "/api/v1/users/"+id, "")
	require.Equal(t, http.StatusNoContent, a.status)
	assert.NotEmpty(t, a.header.Get("X-Okta-Request-Id"))
	got := o.do(http.MethodGet, "/api/v1/users/"+id, "").object(t)
	assert.Equal(t, "DEPROVISIONED", got["status"])

	require.Equal(t, http.StatusNoContent, o.do(http.MethodDelete, "/api/v1/users/"+id, "").status)
	requireError(t, o.do(http.MethodGet, "/api/v1/users/"+id, ""), 404, "E0000007")
	requireError(t, o.do(http.MethodDelete, "/api/v1/users/"+id, ""), 404, "E0000007")
}

func TestSeedingAndInspection(t *testing.T) {
	o := newOrg(t)
	id := o.sim.AddUser(map[string]any{
		"login": "seed@example.com", "email": "seed@example.com",
		"big": json.Number("9007199254740993"),
	})
	require.Regexp(t, userIDPattern, id)
	users := o.sim.Users()
	require.Len(t, users, 1)
	assert.Contains(t, string(users[0]), `"big":9007199254740993`)
	assert.Contains(t, string(users[0]), `"status":"STAGED"`)

	assert.True(t, o.sim.SetStatus(id, oktasim.StatusSuspended))
	got := o.do(http.MethodGet, "/api/v1/users/"+id, "").object(t)
	assert.Equal(t, "SUSPENDED", got["status"])
	assert.False(t, o.sim.SetStatus("00uNobody", oktasim.StatusActive))

	require.True(t, o.sim.SetActivating(id, "ACTIVE"))
	got = o.do(http.MethodGet, "/api/v1/users/"+id, "").object(t)
	assert.Equal(t, "ACTIVE", got["transitioningToStatus"])
	assert.Panics(t, func() { o.sim.AddUser(map[string]any{"login": "SEED@example.com"}) })
}

func TestUserTypes(t *testing.T) {
	o := newOrg(t)
	o.clock.Advance(time.Hour)
	extra := o.sim.AddUserType("contractor", "Contractor", "People on contract")

	a := o.do(http.MethodGet, "/api/v1/meta/types/user", "")
	require.Equal(t, http.StatusOK, a.status)
	types := a.array(t)
	require.Len(t, types, 2)
	def := types[0]
	assert.Equal(t, o.sim.DefaultTypeID(), def["id"])
	assert.Equal(t, "user", def["name"])
	assert.Equal(t, "User", def["displayName"])
	assert.Equal(t, true, def["default"])
	assert.Equal(t, "2026-03-04T05:06:07.000Z", def["created"])
	assert.Regexp(t, `^spr[0-9A-Za-z]{17}$`, def["createdBy"])
	assert.Equal(t, def["createdBy"], def["lastUpdatedBy"])
	self := def["_links"].(map[string]any)["self"].(map[string]any)
	assert.Equal(t, map[string]any{"rel": "self", "method": "GET",
		"href": o.srv.URL + "/api/v1/meta/types/user/" + o.sim.DefaultTypeID()}, self)
	schema := def["_links"].(map[string]any)["schema"].(map[string]any)
	assert.Equal(t, "schema", schema["rel"])
	assert.Regexp(t, `/api/v1/meta/schemas/user/osc[0-9A-Za-z]{17}$`, schema["href"])

	assert.Equal(t, extra, types[1]["id"])
	assert.Equal(t, false, types[1]["default"])
	assert.Equal(t, "People on contract", types[1]["description"])
	assert.Equal(t, "2026-03-04T06:06:07.000Z", types[1]["created"])

	one := o.do(http.MethodGet, "/api/v1/meta/types/user/default", "")
	require.Equal(t, http.StatusOK, one.status)
	assert.Equal(t, o.sim.DefaultTypeID(), one.object(t)["id"])
	e := requireError(t, o.do(http.MethodGet, "/api/v1/meta/types/user/otyNope", ""),
		404, "E0000007")
	assert.Equal(t, "Not found: Resource not found: otyNope (CVDType)", e.ErrorSummary)
}

func TestTimestampsAreWholeSeconds(t *testing.T) {
	o := newOrg(t)
	o.clock.Advance(1999 * time.Millisecond)
	a := o.do(http.MethodPost, "/api/v1/users", profileBody("ada@example.com", nil))
	require.Equal(t, http.StatusOK, a.status)
	u := a.object(t)
	assert.Equal(t, "2026-03-04T05:06:08.000Z", u["created"], "Okta's are truncated")
	assert.Equal(t, u["created"], u["lastUpdated"])
	assert.Equal(t, "Wed, 04 Mar 2026 05:06:08 GMT", a.header.Get("Date"))
}
