package okta

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	testID       = "00u1234567890abcdefg"
	testPassword = "Pa55word!-secret"
)

func TestErrorClasses(t *testing.T) {
	dup := "login: An object with this field already exists in the current organization"
	tests := []struct {
		name    string
		action  string // get, create or update
		respond http.HandlerFunc
		status  int
		code    string
		is      error // the sentinel it matches, nil for none
		retry   bool
		summary string
	}{
		{
			name: "bad token", action: "get", status: 401, code: codeInvalidToken,
			is: ErrUnauthorized, summary: "Invalid token provided",
			respond: func(w http.ResponseWriter, r *http.Request) {
				oktaError(w, 401, codeInvalidToken, "Invalid token provided")
			},
		},
		{
			name: "no permission", action: "create", status: 403, code: codeForbidden,
			is:      ErrUnauthorized,
			summary: "You do not have permission to perform the requested action",
			respond: func(w http.ResponseWriter, r *http.Request) {
				oktaError(w, 403, codeForbidden,
					"You do not have permission to perform the requested action")
			},
		},
		{
			name: "not found", action: "get", status: 404, code: codeNotFound,
			is: ErrNotFound, summary: "Not found: Resource not found: " + testID + " (User)",
			respond: func(w http.ResponseWriter, r *http.Request) {
				oktaError(w, 404, codeNotFound,
					"Not found: Resource not found: "+testID+" (User)")
			},
		},
		{
			name: "duplicate login", action: "create", status: 400, code: codeValidation,
			is: ErrConflict, summary: "Api validation failed: login",
			respond: func(w http.ResponseWriter, r *http.Request) {
				oktaError(w, 400, codeValidation, "Api validation failed: login", dup)
			},
		},
		{
			name: "validation", action: "create", status: 400, code: codeValidation,
			summary: "Api validation failed: email",
			respond: func(w http.ResponseWriter, r *http.Request) {
				oktaError(w, 400, codeValidation, "Api validation failed: email",
					"email: Does not match required pattern")
			},
		},
		{
			name: "rate limited", action: "create", status: 429, code: codeRateLimited,
			is: ErrRateLimited, retry: true,
			summary: "API call exceeded rate limit due to too many requests.",
			respond: func(w http.ResponseWriter, r *http.Request) {
				oktaHeaders(w, 0)
				w.WriteHeader(429)
				_, _ = w.Write([]byte(`{"errorCode":"E0000047","errorSummary":"API call ` +
					`exceeded rate limit due to too many requests.","errorLink":"E0000047",` +
					`"errorId":"oae1","errorCauses":[]}`))
			},
		},
		{
			name: "server error", action: "get", status: 500, code: "E0000009", retry: true,
			summary: "Internal Server Error",
			respond: func(w http.ResponseWriter, r *http.Request) {
				oktaError(w, 500, "E0000009", "Internal Server Error")
			},
		},
		{
			name: "a proxy's HTML page", action: "get", status: 503, retry: true,
			summary: "503 Service Temporarily Unavailable",
			respond: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(503)
				_, _ = w.Write([]byte("<html><head><title>503 Service Temporarily " +
					"Unavailable</title></head><body><center>nginx</center></body></html>"))
			},
		},
		{
			name: "a gateway's JSON", action: "get", status: 404, is: ErrNotFound,
			summary: "Resource not found",
			respond: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(404)
				_, _ = w.Write([]byte(`{"status":404,"message":"Resource not found"}`))
			},
		},
		{
			name: "still activating", action: "update", status: 409, code: codeActivating,
			retry: true, summary: "Cannot update this user because they are still being " +
				"activated. Please try again in a few minutes.",
			respond: func(w http.ResponseWriter, r *http.Request) {
				oktaError(w, 409, codeActivating, "Cannot update this user because they "+
					"are still being activated. Please try again in a few minutes.")
			},
		},
		{
			name: "changed since read", action: "update", status: 412, code: codeValidation,
			retry: true, summary: "Api validation failed: If-Match",
			respond: func(w http.ResponseWriter, r *http.Request) {
				oktaError(w, 412, codeValidation, "Api validation failed: If-Match")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeOkta(t, func(w http.ResponseWriter, r *http.Request) {
				if tt.action == "update" && r.Method == http.MethodGet {
					w.Header().Set("ETag", `W/"abc"`)
					oktaJSON(w, 200, testUserJSON(testID, "ann@x.com"))
					return
				}
				tt.respond(w, r)
			})
			err := runAction(f.client(t), tt.action)

			var oe *Error
			require.ErrorAs(t, err, &oe)
			assert.Equal(t, tt.status, oe.HTTPStatus)
			assert.Equal(t, tt.code, oe.Code)
			assert.Equal(t, tt.summary, oe.Summary)
			assert.Equal(t, tt.retry, oe.Retryable)
			for _, s := range []error{ErrNotFound, ErrConflict, ErrRateLimited,
				ErrUnauthorized, ErrAmbiguous} {
				assert.Equal(t, s == tt.is, errors.Is(err, s), "matching %v", s)
			}
			assert.NotContains(t, err.Error(), testToken)
			assert.NotContains(t, err.Error(), testPassword)
		})
	}
}

// runAction calls the client's action named by action with fixed input.
func runAction(c *Client, action string) error {
	ctx := context.Background()
	var err error
	switch action {
	case "get":
		_, err = c.GetUser(ctx, testID)
	case "create":
		_, err = c.CreateUser(ctx, NewUser{
			Profile:  map[string]json.RawMessage{"login": json.RawMessage(`"ann@x.com"`)},
			Password: testPassword,
		})
	case "update":
		_, err = c.UpdateUser(ctx, testID, UserChanges{
			Profile: map[string]json.RawMessage{"firstName": json.RawMessage(`"Anna"`)},
		})
	default:
		panic("unknown action " + action)
	}
	return err
}

func TestRateLimitedErrorCarriesReset(t *testing.T) {
	tests := []struct {
		name        string
		limit       string
		remaining   string
		reset       time.Time
		wantAfter   time.Duration
		concurrency bool
	}{
		{name: "bucket spent", limit: "600", remaining: "0",
			reset: t0.Add(42 * time.Second), wantAfter: 43 * time.Second},
		{name: "concurrency", limit: "0", remaining: "0",
			reset: t0.Add(2 * time.Second), wantAfter: 3 * time.Second, concurrency: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeOkta(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Date", t0.Format(http.TimeFormat))
				w.Header().Set("X-Rate-Limit-Limit", tt.limit)
				w.Header().Set("X-Rate-Limit-Remaining", tt.remaining)
				w.Header().Set("X-Rate-Limit-Reset", strconv.FormatInt(tt.reset.Unix(), 10))
				w.WriteHeader(429)
				_, _ = w.Write([]byte(`{"errorCode":"E0000047","errorSummary":"API call ` +
					`exceeded rate limit due to too many requests.","errorCauses":[]}`))
			})
			_, err := f.client(t).GetUser(context.Background(), testID)

			var oe *Error
			require.ErrorAs(t, err, &oe)
			require.ErrorIs(t, err, ErrRateLimited)
			assert.True(t, oe.Retryable)
			assert.Equal(t, tt.concurrency, oe.RateLimit.Concurrency())
			// The local clock is an hour off; only Okta's clock counts.
			after, ok := oe.RetryAfter(t0.Add(time.Hour))
			assert.True(t, ok)
			assert.Equal(t, tt.wantAfter, after)
		})
	}
}
