package oktasim_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/okta-worker/okta-worker/okta/oktasim"
)

func TestEveryAnswerCarriesOktaHeaders(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		path       string
		body       string
		wantStatus int
	}{
		{name: "create", method: "POST", path: "/api/v1/users",
			body: profileBody("new@example.com", nil), wantStatus: 200},
		{name: "list", method: "GET", path: "/api/v1/users", wantStatus: 200},
		{name: "get", method: "GET", path: "/api/v1/users/ada%40example.com", wantStatus: 200},
		{name: "types", method: "GET", path: "/api/v1/meta/types/user", wantStatus: 200},
		{name: "validation error", method: "POST", path: "/api/v1/users", body: `{}`,
			wantStatus: 400},
		{name: "not found", method: "GET", path: "/api/v1/users/nobody", wantStatus: 404},
		{name: "unknown path", method: "GET", path: "/api/v1/groups", wantStatus: 404},
		{name: "wrong method", method: "PATCH", path: "/api/v1/users/x", wantStatus: 405},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := newOrg(t)
			o.createPerson("ada@example.com")
			a := o.do(tt.method, tt.path, tt.body)
			require.Equal(t, tt.wantStatus, a.status, string(a.body))
			assert.Equal(t, "application/json", a.header.Get("Content-Type"))
			assert.Equal(t, "Wed, 04 Mar 2026 05:06:07 GMT", a.header.Get("Date"))
			id := a.header.Get("X-Okta-Request-Id")
			assert.NotEmpty(t, id)
			assert.False(t, seen[id], "request ids are unique")
			seen[id] = true
			for _, h := range []string{"X-Rate-Limit-Limit", "X-Rate-Limit-Remaining",
				"X-Rate-Limit-Reset"} {
				assert.NotEmpty(t, a.header.Get(h), h)
			}
		})
	}
}

func TestAuthentication(t *testing.T) {
	tests := []struct {
		name   string
		auth   string
		opts   []oktasim.Option
		wantOK bool
	}{
		{name: "configured token", auth: "SSWS " + testToken, wantOK: true},
		{name: "missing header"},
		{name: "wrong token", auth: "SSWS not-the-token"},
		{name: "bearer scheme", auth: "Bearer " + testToken},
		{name: "empty SSWS token", auth: "SSWS "},
		{name: "token without scheme", auth: testToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := newOrg(t)
			req := o.request(context.Background(), http.MethodGet, "/api/v1/users", "")
			req.Header.Del("Authorization")
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			a := o.send(req)
			if tt.wantOK {
				assert.Equal(t, http.StatusOK, a.status)
				return
			}
			e := requireError(t, a, http.StatusUnauthorized, "E0000011")
			assert.Equal(t, "Invalid token provided", e.ErrorSummary)
			assert.Empty(t, causes(e))
			assert.NotContains(t, string(a.body), testToken)
		})
	}
}

func TestAnyTokenWithoutWithToken(t *testing.T) {
	srv := httptest.NewServer(oktasim.New())
	t.Cleanup(srv.Close)
	for auth, want := range map[string]int{"SSWS anything": 200, "SSWS ": 401, "": 401} {
		req, err := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/meta/types/user", nil)
		require.NoError(t, err)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, want, resp.StatusCode, "Authorization %q", auth)
	}
}

func TestRoutingErrors(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		path       string
		wantStatus int
		wantCode   string
	}{
		{name: "unknown api path", method: "GET", path: "/api/v1/groups", wantStatus: 404,
			wantCode: "E0000008"},
		{name: "outside the api", method: "GET", path: "/", wantStatus: 404, wantCode: "E0000008"},
		{name: "unknown meta path", method: "GET", path: "/api/v1/meta/types/user/a/b",
			wantStatus: 404, wantCode: "E0000008"},
		{name: "delete the collection", method: "DELETE", path: "/api/v1/users",
			wantStatus: 405, wantCode: "E0000022"},
		{name: "patch a user", method: "PATCH", path: "/api/v1/users/x", wantStatus: 405,
			wantCode: "E0000022"},
		{name: "lifecycle is not simulated", method: "POST",
			path: "/api/v1/users/x/lifecycle/activate", wantStatus: 405, wantCode: "E0000022"},
		{name: "create a type", method: "POST", path: "/api/v1/meta/types/user",
			wantStatus: 405, wantCode: "E0000022"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := newOrg(t)
			a := o.do(tt.method, tt.path, "")
			e := requireError(t, a, tt.wantStatus, tt.wantCode)
			assert.NotEmpty(t, e.ErrorSummary)
		})
	}
}
