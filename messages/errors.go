package messages

import (
	"fmt"
	"unicode/utf8"
)

// Code classifies a failed request. Publishers branch on it; the values
// are part of the wire contract and never change meaning.
type Code string

// The error codes a reply can carry.
const (
	CodeInvalidRequest      Code = "invalid_request"
	CodeUnknownAction       Code = "unknown_action"
	CodeUnknownTenant       Code = "unknown_tenant"
	CodeNotFound            Code = "not_found"
	CodeAmbiguous           Code = "ambiguous"
	CodeConflict            Code = "conflict"
	CodeOktaRejected        Code = "okta_rejected"
	CodeUnauthorized        Code = "unauthorized"
	CodeRateLimited         Code = "rate_limited"
	CodeUpstreamUnavailable Code = "upstream_unavailable"
	CodeInternal            Code = "internal"
)

// Codes lists every error code, in a stable order. The reply schema's
// enum holds exactly these values.
var Codes = []Code{
	CodeInvalidRequest, CodeUnknownAction, CodeUnknownTenant, CodeNotFound,
	CodeAmbiguous, CodeConflict, CodeOktaRejected, CodeUnauthorized,
	CodeRateLimited, CodeUpstreamUnavailable, CodeInternal,
}

// Error is the error object of a failed reply. It also implements the
// error interface, so decoding failures can be returned as errors and
// published as they are.
type Error struct {
	Code      Code   `json:"code"`
	Message   string `json:"message"`
	Retryable bool   `json:"retryable"`

	// The fields below are set only when Okta answered.
	HTTPStatus       int      `json:"http_status,omitempty"`
	OktaErrorCode    string   `json:"okta_error_code,omitempty"`
	OktaErrorSummary string   `json:"okta_error_summary,omitempty"`
	OktaErrorCauses  []string `json:"okta_error_causes,omitempty"`
	OktaRequestID    string   `json:"okta_request_id,omitempty"`
}

// Error returns the code and the message.
func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// invalidf returns a non-retryable invalid_request error. The message
// must be one sentence that names the field and says what is expected.
func invalidf(format string, args ...any) *Error {
	return &Error{Code: CodeInvalidRequest, Message: fmt.Sprintf(format, args...)}
}

// clip shortens a caller-supplied value before it is quoted in an error
// message, so that a huge subject or field cannot bloat the reply.
func clip(s string) string {
	const limit = 64
	if len(s) <= limit {
		return s
	}

	// Cut on a rune boundary so the quoted text stays valid UTF-8.
	n := limit
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}
