package okta

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRetryable(t *testing.T) {
	tests := []struct {
		name   string
		status int
		code   string
		want   bool
	}{
		{"rate limit", 429, codeRateLimited, true},
		{"rate limit without a body", 429, "", true},
		{"rate-limit code under another status", 403, codeRateLimited, true},
		{"internal error", 500, "E0000009", true},
		{"proxy error", 502, "", true},
		{"read-only mode", 503, "E0000010", true},
		{"gateway timeout", 504, "", true},
		{"501 is final", 501, "", false},
		{"user still activating", 409, codeActivating, true},
		{"other conflict", 409, "E0000195", false},
		{"changed since read", 412, "", true},
		{"validation", 400, codeValidation, false},
		{"bad token", 401, codeInvalidToken, false},
		{"no permission", 403, codeForbidden, false},
		{"not found", 404, codeNotFound, false},
		{"method not allowed", 405, "E0000022", false},
		{"redirect", 302, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Retryable(tt.status, tt.code))
		})
	}
}

func TestErrorIs(t *testing.T) {
	dup := "login: An object with this field already exists in the current organization"
	sentinels := []error{ErrNotFound, ErrConflict, ErrRateLimited, ErrUnauthorized}
	tests := []struct {
		name string
		err  *Error
		want error // the one sentinel it matches, or nil
	}{
		{"404 with code", &Error{HTTPStatus: 404, Code: codeNotFound}, ErrNotFound},
		{"404 without body", &Error{HTTPStatus: 404}, ErrNotFound},
		{"not-found code", &Error{HTTPStatus: 400, Code: codeNotFound}, ErrNotFound},
		{"duplicate login", &Error{HTTPStatus: 400, Code: codeValidation,
			Causes: []string{dup}}, ErrConflict},
		{"other validation", &Error{HTTPStatus: 400, Code: codeValidation,
			Causes: []string{"email: Does not match required pattern"}}, nil},
		{"already-exists cause under another code", &Error{HTTPStatus: 400,
			Code: "E0000003", Causes: []string{dup}}, nil},
		{"429", &Error{HTTPStatus: 429}, ErrRateLimited},
		{"rate-limit code", &Error{HTTPStatus: 403, Code: codeRateLimited}, ErrRateLimited},
		{"401", &Error{HTTPStatus: 401, Code: codeInvalidToken}, ErrUnauthorized},
		{"401 without body", &Error{HTTPStatus: 401}, ErrUnauthorized},
		{"403 no permission", &Error{HTTPStatus: 403, Code: codeForbidden}, ErrUnauthorized},
		{"403 invalid session", &Error{HTTPStatus: 403, Code: codeSession}, ErrUnauthorized},
		{"feature not allowed", &Error{HTTPStatus: 401, Code: codeNoFeature}, ErrUnauthorized},
		{"403 mastered elsewhere", &Error{HTTPStatus: 403, Code: "E0000023"}, nil},
		{"403 from a proxy", &Error{HTTPStatus: 403}, nil},
		{"500", &Error{HTTPStatus: 500, Code: "E0000009"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, s := range sentinels {
				assert.Equal(t, s == tt.want, errors.Is(tt.err, s), "matching %v", s)
			}
			assert.False(t, errors.Is(tt.err, ErrAmbiguous))
			assert.False(t, errors.Is(tt.err, ErrInvalidConfig))
		})
	}
}

func TestErrorString(t *testing.T) {
	e := &Error{
		Method: "POST", Path: "/api/v1/users", HTTPStatus: 400, Code: codeValidation,
		Summary: "Api validation failed: login",
		Causes:  []string{"login: An object with this field already exists"},
	}
	assert.Equal(t, "okta: POST /api/v1/users: HTTP 400 E0000001: Api validation failed: "+
		"login (login: An object with this field already exists)", e.Error())

	bare := &Error{Method: "GET", Path: "/api/v1/users/x", HTTPStatus: 502, Summary: "Bad Gateway"}
	assert.Equal(t, "okta: GET /api/v1/users/x: HTTP 502: Bad Gateway", bare.Error())
}

func TestNewErrorFromBody(t *testing.T) {
	const password = "Pa55word!-secret"
	tests := []struct {
		name        string
		status      int
		body        string
		wantCode    string
		wantSummary string
		wantCauses  []string
		wantID      string
	}{
		{
			name:   "Okta JSON",
			status: 400,
			body: `{"errorCode":"E0000001","errorSummary":"Api validation failed: login",` +
				`"errorLink":"E0000001","errorId":"oae123","errorCauses":[{"errorSummary":` +
				`"login: An object with this field already exists in the current organization"}]}`,
			wantCode:    "E0000001",
			wantSummary: "Api validation failed: login",
			wantCauses: []string{
				"login: An object with this field already exists in the current organization"},
			wantID: "oae123",
		},
		{
			name:        "a gateway's JSON",
			status:      404,
			body:        `{"status":404,"message":"Resource not found"}`,
			wantSummary: "Resource not found",
		},
		{
			name:        "an OAuth-style error",
			status:      401,
			body:        `{"error":"invalid_client","error_description":"Bad client"}`,
			wantSummary: "Bad client",
		},
		{
			name:        "an HTML page with a title",
			status:      502,
			body:        "<html><head><title>502 Bad\n Gateway</title></head><body>x</body></html>",
			wantSummary: "502 Bad Gateway",
		},
		{
			name:        "HTML without title",
			status:      503,
			body:        "<html><body><h1>Service\tUnavailable</h1><p>try later</p></body></html>",
			wantSummary: "Service Unavailable try later",
		},
		{
			name:        "plain text is cut short",
			status:      500,
			body:        strings.Repeat("word ", 100),
			wantSummary: strings.TrimSpace(strings.Repeat("word ", 32)) + "…",
		},
		{
			name:        "an empty body gives the status text",
			status:      502,
			wantSummary: "Bad Gateway",
		},
		{
			name:        "JSON of another shape",
			status:      500,
			body:        `{"a":[1,2]}`,
			wantSummary: `{"a":[1,2]}`,
		},
		{
			name:   "secrets echoed by a proxy are redacted",
			status: 400,
			body: `{"errorCode":"E0000001","errorSummary":"bad Authorization: SSWS ` + testToken +
				`","errorCauses":[{"errorSummary":"password ` + password + ` rejected"}]}`,
			wantCode:    "E0000001",
			wantSummary: "bad Authorization: SSWS [REDACTED]",
			wantCauses:  []string{"password [REDACTED] rejected"},
		},
		{
			name:        "control characters and invalid UTF-8 become spaces",
			status:      500,
			body:        "line1\r\nline2\x00\xff end",
			wantSummary: "line1 line2 end",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: tt.status, Header: http.Header{
				"X-Okta-Request-Id": {"reqABC"}}}
			cl := call{method: "POST", path: "/api/v1/users", secrets: []string{password}}
			e := newError(cl, resp, []byte(tt.body), RateLimit{}, []string{testToken, password})

			assert.Equal(t, tt.status, e.HTTPStatus)
			assert.Equal(t, tt.wantCode, e.Code)
			assert.Equal(t, tt.wantSummary, e.Summary)
			assert.Equal(t, tt.wantCauses, e.Causes)
			assert.Equal(t, tt.wantID, e.ErrorID)
			assert.Equal(t, "reqABC", e.RequestID)
			assert.Equal(t, Retryable(tt.status, tt.wantCode), e.Retryable)
			assert.NotContains(t, e.Error(), testToken)
			assert.NotContains(t, e.Error(), password)
		})
	}
}
