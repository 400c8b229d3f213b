package okta

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Sentinels matched by [Error.Is] through the Okta error code or the
// HTTP status, so callers write errors.Is(err, okta.ErrRateLimited).
var (
	ErrInvalidConfig = errors.New("okta: invalid configuration")
	ErrNotFound      = errors.New("okta: not found")            // 404, E0000007
	ErrConflict      = errors.New("okta: login already exists") // 400 E0000001, "already exists"
	ErrRateLimited   = errors.New("okta: rate limited")         // 429, E0000047
	ErrUnauthorized  = errors.New("okta: unauthorized")         // 401, 403 E0000006
	ErrAmbiguous     = errors.New("okta: several users match")  // search found more than one

	// ErrInvalidInput reports arguments the client refuses before
	// calling Okta: an empty or overlong user reference, or a profile
	// value that is not JSON.
	ErrInvalidInput = errors.New("okta: invalid input")
)

// Okta error codes the client interprets. Only errorCode is a contract
// of Okta's; summaries may change.
const (
	codeValidation   = "E0000001" // Api validation failed
	codeAuthFailed   = "E0000004" // Authentication failed
	codeSession      = "E0000005" // Invalid session
	codeForbidden    = "E0000006" // no permission for the action
	codeNotFound     = "E0000007" // Not found
	codeInvalidToken = "E0000011" // Invalid token provided
	codeNoFeature    = "E0000015" // no permission for the feature
	codeRateLimited  = "E0000047" // API call exceeded rate limit
	codeActivating   = "E0000112" // user still being activated
)

// Error is a non-2xx answer from Okta.
type Error struct {
	Method     string // HTTP method
	Path       string // path without query, never with secrets
	HTTPStatus int

	Code      string   // errorCode, e.g. E0000001; "" if the body was not Okta JSON
	Summary   string   // errorSummary, or a short excerpt of a non-JSON body
	Causes    []string // errorCauses[].errorSummary
	ErrorID   string   // errorId
	RequestID string   // X-Okta-Request-Id

	// RateLimit is the rate-limit state the response carried.
	RateLimit RateLimit

	// Retryable reports whether the same request may succeed later; see
	// [Retryable].
	Retryable bool
}

// Error returns a one-line description with method, path, status, code,
// summary and causes. It never contains the token or a password.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "okta: %s %s: HTTP %d", e.Method, e.Path, e.HTTPStatus)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Summary != "" {
		b.WriteString(": " + e.Summary)
	}
	if len(e.Causes) > 0 {
		b.WriteString(" (" + strings.Join(e.Causes, "; ") + ")")
	}
	return b.String()
}

// Is matches the sentinels of this package by code and status:
//
//   - [ErrNotFound]: 404, or code E0000007;
//   - [ErrConflict]: 400 E0000001 with a cause saying "already exists"
//     (Okta's duplicate-login answer; only the cause text tells it apart
//     from other validation failures);
//   - [ErrRateLimited]: 429, or code E0000047;
//   - [ErrUnauthorized]: 401, or code E0000004, E0000005, E0000006,
//     E0000011 or E0000015 (a bad token, or one whose admin lacks the
//     role).
func (e *Error) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.HTTPStatus == 404 || e.Code == codeNotFound
	case ErrConflict:
		return e.HTTPStatus == 400 && e.Code == codeValidation && e.causeSays("already exists")
	case ErrRateLimited:
		return e.HTTPStatus == 429 || e.Code == codeRateLimited
	case ErrUnauthorized:
		return e.HTTPStatus == 401 || isAuthCode(e.Code)
	}
	return false
}

// causeSays reports whether a cause contains text, ignoring case.
func (e *Error) causeSays(text string) bool {
	for _, c := range e.Causes {
		if strings.Contains(strings.ToLower(c), text) {
			return true
		}
	}
	return false
}

// isAuthCode reports whether code means a bad or under-privileged token.
func isAuthCode(code string) bool {
	switch code {
	case codeAuthFailed, codeSession, codeForbidden, codeInvalidToken, codeNoFeature:
		return true
	}
	return false
}

// RetryAfter returns how long to wait before retrying a 429, measured on
// Okta's clock (see [RateLimit.ResetAfter]); ok is false when the
// response did not say.
func (e *Error) RetryAfter(now time.Time) (d time.Duration, ok bool) {
	return e.RateLimit.ResetAfter(now)
}

// Retryable reports whether an Okta answer with this HTTP status and
// errorCode may succeed if the same request is sent again later:
//
//   - 429, or E0000047 under any status: the rate limit resets;
//   - 5xx except 501 Not Implemented: Okta or a proxy failed for now;
//   - 409 E0000112: the user is still being activated;
//   - 412: the user changed between the read and the write of
//     [Client.UpdateUser]; calling it again reads the new version.
//
// Every other status, other 4xx in particular, is final.
func Retryable(status int, code string) bool {
	switch {
	case status == 429 || code == codeRateLimited:
		return true
	case status >= 500 && status <= 599:
		return status != 501
	case status == 409:
		return code == codeActivating
	case status == 412:
		return true
	}
	return false
}
