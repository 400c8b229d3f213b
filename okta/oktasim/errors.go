package oktasim

import (
	"fmt"
	"net/http"
)

// apiError is an Okta error answer: the HTTP status and the body's code,
// summary and causes. errorLink and errorId are filled when written.
type apiError struct {
	status  int
	code    string
	summary string
	causes  []string
}

// errorBody is Okta's error object, with its fields in Okta's order.
type errorBody struct {
	ErrorCode    string       `json:"errorCode"`
	ErrorSummary string       `json:"errorSummary"`
	ErrorLink    string       `json:"errorLink"`
	ErrorID      string       `json:"errorId"`
	ErrorCauses  []errorCause `json:"errorCauses"`
}

type errorCause struct {
	ErrorSummary string `json:"errorSummary"`
}

// writeError answers e with every header an Okta answer carries. The
// errorLink is the code, as Okta sends it, and errorCauses is [] rather
// than null when there are none.
func (s *Server) writeError(ex *exchange, e apiError) {
	body := errorBody{
		ErrorCode:    e.code,
		ErrorSummary: e.summary,
		ErrorLink:    e.code,
		ErrorID:      newErrorID(),
		ErrorCauses:  make([]errorCause, 0, len(e.causes)),
	}
	for _, c := range e.causes {
		body.ErrorCauses = append(body.ErrorCauses, errorCause{ErrorSummary: c})
	}
	s.writeJSON(ex, e.status, body)
}

func errInvalidToken() apiError {
	return apiError{http.StatusUnauthorized, "E0000011", "Invalid token provided", nil}
}

func errPathNotFound() apiError {
	return apiError{http.StatusNotFound, "E0000008", "The requested path was not found", nil}
}

func errMethodNotAllowed() apiError {
	return apiError{
		http.StatusMethodNotAllowed, "E0000022",
		"The endpoint does not support the provided HTTP method", nil,
	}
}

func errMalformedBody() apiError {
	return apiError{
		http.StatusBadRequest, "E0000003", "The request body was not well-formed.", nil,
	}
}

func errInternal() apiError {
	return apiError{http.StatusInternalServerError, "E0000009", "Internal Server Error", nil}
}

func errUnavailable() apiError {
	return apiError{http.StatusServiceUnavailable, "E0000010", "Service is in read only mode", nil}
}

func errRateLimited() apiError {
	return apiError{
		http.StatusTooManyRequests, "E0000047",
		"API call exceeded rate limit due to too many requests.", nil,
	}
}

// errConcurrency is the answer to a request over the concurrency limit.
// Okta documents only its headers; its body is assumed to be the
// ordinary rate-limit one.
func errConcurrency() apiError { return errRateLimited() }

func errInvalidSearch() apiError {
	return apiError{http.StatusBadRequest, "E0000031", "Invalid search criteria.", nil}
}

func errTooManyGroups() apiError {
	return apiError{http.StatusBadRequest, "E0000093", "Target count limit exceeded", nil}
}

// errNotFound is Okta's 404 for an unknown resource; kind is "User" or,
// for user types, Okta's internal name "CVDType".
func errNotFound(ref, kind string) apiError {
	return apiError{
		http.StatusNotFound, "E0000007",
		fmt.Sprintf("Not found: Resource not found: %s (%s)", ref, kind), nil,
	}
}

// errValidation is Okta's 400 E0000001. The summary names the first
// failing field; each cause is "field: reason".
func errValidation(causes ...fieldError) apiError {
	e := apiError{
		status:  http.StatusBadRequest,
		code:    "E0000001",
		summary: "Api validation failed: " + causes[0].field,
	}
	for _, c := range causes {
		e.causes = append(e.causes, c.field+": "+c.reason)
	}
	return e
}

// errStillActivating is Okta's 409 for an update that arrives while the
// user's activation is running.
func errStillActivating() apiError {
	return apiError{
		http.StatusConflict, "E0000112",
		"Cannot update this user because they are still being activated. " +
			"Please try again in a few minutes.", nil,
	}
}

// errPrecondition answers an If-Match that names another version of the
// user. Okta documents neither the status nor the body for this case;
// the simulator answers 412 with Okta's generic validation code
// E0000001 and a cause naming If-Match, so a client can tell it apart
// by the status.
func errPrecondition() apiError {
	return apiError{
		http.StatusPreconditionFailed, "E0000001",
		"Api validation failed: If-Match",
		[]string{"If-Match: The user was modified after the version named by If-Match"},
	}
}

// fieldError is one failed validation of one profile field.
type fieldError struct {
	field  string
	reason string
}

// Reasons Okta gives in errorCauses.
const (
	reasonBlank     = "The field cannot be left blank"
	reasonPattern   = "Does not match required pattern"
	reasonDuplicate = "An object with this field already exists in the current organization"
	reasonType      = "The value is of the wrong type"
	reasonTooLong   = "The field is too long"
	reasonTooShort  = "The field is too short"
)
