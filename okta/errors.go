package okta

import (
	"errors"
	"time"
)

// Sentinels matched by [Error.Is] through the Okta error code or the
// HTTP status, so callers write errors.Is(err, okta.ErrRateLimited).
var (
	ErrInvalidConfig = errors.New("okta: invalid configuration")
	ErrNotFound      = errors.New("okta: not found")            // 404, E0000007
	ErrConflict      = errors.New("okta: login already exists") // 400 E0000001 with the "already exists" cause
	ErrRateLimited   = errors.New("okta: rate limited")         // 429, E0000047
	ErrUnauthorized  = errors.New("okta: unauthorized")         // 401, 403 E0000006
	ErrAmbiguous     = errors.New("okta: several users match")  // search found more than one
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

	// Retryable reports whether the same request may succeed later:
	// 429, 5xx, and 409 E0000112 (user still activating).
	Retryable bool
}

// Error returns a one-line description with method, path, status, code
// and summary.
func (e *Error) Error() string { panic("unimplemented") }

// Is matches the sentinels of this package by code and status.
func (e *Error) Is(target error) bool { panic("unimplemented") }

// RetryAfter returns how long to wait before retrying a 429, measured on
// Okta's clock (see [RateLimit.ResetAfter]); ok is false when the
// response did not say.
func (e *Error) RetryAfter(now time.Time) (d time.Duration, ok bool) {
	return e.RateLimit.ResetAfter(now)
}
