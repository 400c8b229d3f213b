package oktasim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/okta-worker/okta-worker/okta/oktasim"
)

// specPath is Okta's OpenAPI description of the users and user-types
// endpoints; see testdata/README.
const specPath = "testdata/openapi-users-subset.yaml"

// spec is the loaded description and a router over it. The spec names
// https://{yourOktaDomain} as its server; the router drops it so paths
// match on any host, the test server's included.
type spec struct {
	doc    *openapi3.T
	router routers.Router
}

var loadSpec = sync.OnceValues(func() (*spec, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(specPath)
	if err != nil {
		return nil, err
	}
	// The spec's own "Replace user" request example sends the read-only
	// credentials.provider, so its examples are not checked; everything
	// else about the document is.
	if err := doc.Validate(loader.Context, openapi3.DisableExamplesValidation()); err != nil {
		return nil, err
	}
	doc.Servers = nil
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, err
	}
	return &spec{doc: doc, router: router}, nil
})

// validationOptions makes the validator check everything it can: the
// status must be one the operation declares, and "email" strings are
// checked with kin-openapi's own loose pattern, which it does not
// register by default. Authentication is the simulator's business, so
// the request side accepts any security requirement.
func validationOptions() *openapi3filter.Options {
	return &openapi3filter.Options{
		IncludeResponseStatus: true,
		MultiError:            true,
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
		SchemaValidationOptions: []openapi3.SchemaValidationOption{
			openapi3.WithStringFormatValidator("email",
				openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForEmail)),
		},
	}
}

// validate checks one exchange against the spec. When the operation
// declares the status, the whole response (status, headers, body) is
// validated; when it does not (the spec documents no 401, 409, 412 or
// 5xx on these paths, no 400 on listUsers, and no 405 at all), the body
// must still be an Okta Error object. inSpec says which case the test
// expects, so a spec gap never hides silently.
func (s *spec) validate(t *testing.T, req *http.Request, a answer, inSpec bool) error {
	t.Helper()
	route, params, err := s.router.FindRoute(req)
	if err != nil {
		require.False(t, inSpec, "no route for %s %s: %v", req.Method, req.URL.Path, err)
		return s.validateError(a)
	}
	declared := route.Operation.Responses.Status(a.status) != nil
	require.Equal(t, inSpec, declared, "%s declares %d", route.Operation.OperationID, a.status)
	if !declared {
		return s.validateError(a)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params, Route: route, Options: validationOptions(),
		},
		Status:  a.status,
		Header:  a.header,
		Body:    io.NopCloser(bytes.NewReader(a.body)),
		Options: validationOptions(),
	}
	return openapi3filter.ValidateResponse(context.Background(), in)
}

// validateError checks a body against the spec's Error schema, with
// additional properties forbidden so the body has exactly Okta's keys.
func (s *spec) validateError(a answer) error {
	var v any
	if err := json.Unmarshal(a.body, &v); err != nil {
		return err
	}
	schema := *s.doc.Components.Schemas["Error"].Value
	no := false
	schema.AdditionalProperties = openapi3.AdditionalProperties{Has: &no}
	return schema.VisitJSON(v)
}

// specCase is one request whose answer must validate.
type specCase struct {
	name       string
	opts       []oktasim.Option
	setup      func(o *org, ids map[string]string) // before the request
	method     string
	path       string // {id} and {type} are replaced
	body       string
	hdr        []string
	wantStatus int
	inSpec     bool
}

func TestResponsesMatchOpenAPISpec(t *testing.T) {
	s, err := loadSpec()
	require.NoError(t, err)
	for _, tt := range specCases() {
		t.Run(tt.name, func(t *testing.T) {
			req, a := runSpecCase(t, tt)
			require.Equal(t, tt.wantStatus, a.status, string(a.body))
			assert.NoError(t, s.validate(t, req, a, tt.inSpec))
		})
	}
}

// specCases are the exchanges validated against the spec: every
// endpoint's successes and the errors it can answer.
func specCases() []specCase {
	spent := []oktasim.Option{oktasim.WithLimits(oktasim.Limits{
		Users: 1, UserByID: 1, UserUpdate: 1, Generic: 1,
	})}
	spend := func(method, path string) func(o *org, ids map[string]string) {
		return func(o *org, ids map[string]string) {
			o.do(method, strings.ReplaceAll(path, "{id}", ids["user"]), "")
		}
	}
	return []specCase{
		{name: "create staged", method: "POST", path: "/api/v1/users?activate=false",
			body:       profileBody("new@example.com", map[string]any{"big": 9007199254740993}),
			wantStatus: 200, inSpec: true},
		{name: "create active with password", method: "POST",
			path: "/api/v1/users?activate=true", body: `{"profile":{"login":"new@example.com",` +
				`"email":"new@example.com","firstName":"N","lastName":"E","secondEmail":` +
				`"n@example.org"},"credentials":{"password":{"value":"Tr0ub4dor&3"},` +
				`"recovery_question":{"question":"Which river?","answer":"Thames"}}}`,
			wantStatus: 200, inSpec: true},
		{name: "create with a type", method: "POST", path: "/api/v1/users",
			body: `{"profile":{"login":"svc@example.com","email":"svc@example.com"},` +
				`"type":{"id":"{type}"}}`, wantStatus: 200, inSpec: true},
		{name: "create duplicate", method: "POST", path: "/api/v1/users",
			body: profileBody("ADA@example.com", nil), wantStatus: 400, inSpec: true},
		{name: "create too many groups", method: "POST", path: "/api/v1/users",
			body:       `{"profile":{},"groupIds":[` + strings.Repeat(`"g",`, 20) + `"g"]}`,
			wantStatus: 400, inSpec: true},
		{name: "create malformed", method: "POST", path: "/api/v1/users", body: `{`,
			wantStatus: 400, inSpec: true},
		{name: "create rate limited", opts: spent, setup: spend("GET", "/api/v1/users"),
			method: "POST", path: "/api/v1/users", body: profileBody("n@example.com", nil),
			wantStatus: 429, inSpec: true},
		{name: "get by id", method: "GET", path: "/api/v1/users/{id}",
			wantStatus: 200, inSpec: true},
		{name: "get by login", method: "GET", path: "/api/v1/users/ada%40example.com",
			wantStatus: 200, inSpec: true},
		{name: "get activating", method: "GET", path: "/api/v1/users/{id}",
			setup:      func(o *org, ids map[string]string) { o.sim.SetActivating(ids["user"], "ACTIVE") },
			wantStatus: 200, inSpec: true},
		{name: "get missing", method: "GET", path: "/api/v1/users/00uMissing",
			wantStatus: 404, inSpec: true},
		{name: "get rate limited", opts: spent, setup: spend("GET", "/api/v1/users/{id}"),
			method: "GET", path: "/api/v1/users/{id}", wantStatus: 429, inSpec: true},
		{name: "search", method: "GET",
			path:       "/api/v1/users?search=profile.email+eq+%22ada%40example.com%22",
			wantStatus: 200, inSpec: true},
		{name: "list with limit", method: "GET", path: "/api/v1/users?limit=1",
			wantStatus: 200, inSpec: true},
		{name: "q", method: "GET", path: "/api/v1/users?q=ad", wantStatus: 200, inSpec: true},
		{name: "filter", method: "GET",
			path:       "/api/v1/users?filter=status+eq+%22PROVISIONED%22",
			wantStatus: 200, inSpec: true},
		{name: "search malformed", method: "GET", path: "/api/v1/users?search=nonsense",
			wantStatus: 400},
		{name: "list rate limited", opts: spent, setup: spend("POST", "/api/v1/users"),
			method: "GET", path: "/api/v1/users", wantStatus: 429, inSpec: true},
		{name: "replace", method: "PUT", path: "/api/v1/users/{id}",
			body:       profileBody("ada@example.com", map[string]any{"title": nil}),
			wantStatus: 200, inSpec: true},
		{name: "replace invalid", method: "PUT", path: "/api/v1/users/{id}",
			body: `{"profile":{"login":"ada@example.com"}}`, wantStatus: 400, inSpec: true},
		{name: "replace missing", method: "PUT", path: "/api/v1/users/00uMissing",
			body: profileBody("x@example.com", nil), wantStatus: 404, inSpec: true},
		{name: "replace stale", method: "PUT", path: "/api/v1/users/{id}",
			body: profileBody("ada@example.com", nil), hdr: []string{"If-Match", `W/"x"`},
			wantStatus: 412},
		{name: "replace rate limited", opts: spent, setup: spend("DELETE", "/api/v1/users/00u"),
			method: "PUT", path: "/api/v1/users/{id}", body: `{}`, wantStatus: 429, inSpec: true},
		{name: "update", method: "POST", path: "/api/v1/users/{id}",
			body: `{"profile":{"nickName":"Countess"}}`, wantStatus: 200, inSpec: true},
		{name: "update type", method: "POST", path: "/api/v1/users/{id}",
			body: `{"type":{"id":"{type}"}}`, wantStatus: 400, inSpec: true},
		{name: "update missing", method: "POST", path: "/api/v1/users/00uMissing",
			body: `{}`, wantStatus: 404, inSpec: true},
		{name: "update activating", method: "POST", path: "/api/v1/users/{id}", body: `{}`,
			setup:      func(o *org, ids map[string]string) { o.sim.SetActivating(ids["user"], "ACTIVE") },
			wantStatus: 409},
		{name: "delete", method: "DELETE", path: "/api/v1/users/{id}", wantStatus: 204,
			inSpec: true},
		{name: "delete missing", method: "DELETE", path: "/api/v1/users/00uMissing",
			wantStatus: 404, inSpec: true},
		{name: "list types", method: "GET", path: "/api/v1/meta/types/user",
			wantStatus: 200, inSpec: true},
		{name: "list types rate limited", opts: spent,
			setup:  spend("GET", "/api/v1/meta/types/user"),
			method: "GET", path: "/api/v1/meta/types/user", wantStatus: 429, inSpec: true},
		{name: "get type", method: "GET", path: "/api/v1/meta/types/user/{type}",
			wantStatus: 200, inSpec: true},
		{name: "get missing type", method: "GET", path: "/api/v1/meta/types/user/otyMissing",
			wantStatus: 404, inSpec: true},
		{name: "bad token", method: "GET", path: "/api/v1/users/{id}",
			hdr: []string{"Authorization", "SSWS wrong"}, wantStatus: 401},
		{name: "server error", method: "GET", path: "/api/v1/users",
			setup: func(o *org, _ map[string]string) {
				o.sim.Inject(oktasim.Injection{Fault: oktasim.Fault500})
			}, wantStatus: 500},
		{name: "unavailable", method: "GET", path: "/api/v1/meta/types/user",
			setup: func(o *org, _ map[string]string) {
				o.sim.Inject(oktasim.Injection{Fault: oktasim.Fault503})
			}, wantStatus: 503},
		{name: "slash in a login", method: "GET", path: "/api/v1/users/a/b", wantStatus: 405},
		{name: "unknown path", method: "GET", path: "/api/v1/groups", wantStatus: 404},
	}
}

// runSpecCase seeds an org with a user and a second type, runs the
// case's setup and request, and returns the request as sent with its
// answer.
func runSpecCase(t *testing.T, tt specCase) (*http.Request, answer) {
	t.Helper()
	o := newOrg(t, tt.opts...)
	ids := map[string]string{
		"type": o.sim.AddUserTypeSpec(oktasim.UserTypeSpec{Name: "service", DisplayName: "Svc"}),
		"user": o.sim.AddUser(map[string]any{"login": "ada@example.com",
			"email": "ada@example.com", "firstName": "Ada", "lastName": "Lovelace"}),
	}
	o.sim.SetStatus(ids["user"], oktasim.StatusProvisioned)
	if tt.setup != nil {
		tt.setup(o, ids)
	}
	o.clock.Advance(time.Second)
	fill := strings.NewReplacer("{id}", ids["user"], "{type}", ids["type"])
	req := o.request(context.Background(), tt.method, fill.Replace(tt.path), fill.Replace(tt.body))
	for i := 0; i+1 < len(tt.hdr); i += 2 {
		req.Header.Set(tt.hdr[i], tt.hdr[i+1])
	}
	return req, o.send(req)
}

// TestSpecValidationCatchesWrongShapes makes sure the validator above
// can fail: answers altered the way a careless simulator would get
// them wrong are refused.
func TestSpecValidationCatchesWrongShapes(t *testing.T) {
	s, err := loadSpec()
	require.NoError(t, err)
	tests := []struct {
		name    string
		replace [2]string
	}{
		{name: "unknown status", replace: [2]string{`"status":"PROVISIONED"`, `"status":"NEW"`}},
		{name: "timestamp not a date-time", replace: [2]string{`"created":"`, `"created":"on `}},
		{name: "type id not a string", replace: [2]string{`"type":{"id":"oty`, `"type":{"id":{"x":"`}},
		{name: "login not a string", replace: [2]string{`"login":"ada@example.com"`, `"login":7`}},
		{name: "email not an address", replace: [2]string{`"email":"ada@example.com"`,
			`"email":"ada at example"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, a := runSpecCase(t, specCase{method: "GET", path: "/api/v1/users/{id}"})
			require.Equal(t, http.StatusOK, a.status)
			require.NoError(t, s.validate(t, req, a, true), "the genuine answer validates")
			altered := strings.Replace(string(a.body), tt.replace[0], tt.replace[1], 1)
			require.NotEqual(t, string(a.body), altered, "the alteration applies")
			a.body = []byte(altered)
			assert.Error(t, s.validate(t, req, a, true))
		})
	}
	bad := answer{status: 404, body: []byte(`{"errorCode":"E0000007","extra":1}`)}
	assert.Error(t, s.validateError(bad), "an error body with extra keys is refused")
}
