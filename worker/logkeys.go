package worker

// The keys of the worker's structured log fields, defined once so that
// every entry about the same thing can be found under the same name.
// Errors go under zap.Error's "error" key. No field ever carries a
// token, a password or a request body.
const (
	keyTenant        = "tenant"
	keyTenants       = "tenants"
	keyAction        = "action"
	keyRequestID     = "request_id"
	keyStreamSeq     = "stream_seq"
	keyDelivery      = "delivery"
	keyAttempt       = "attempt"
	keyAttempts      = "attempts"
	keyWait          = "wait"
	keyUntil         = "until"
	keyCode          = "code"
	keyHTTPStatus    = "http_status"
	keyOktaErrorCode = "okta_error_code"
	keyOktaRequestID = "okta_request_id"
	keySubject       = "subject"
	keyStream        = "stream"
	keyConsumer      = "consumer"
	keyRestarts      = "restarts"
	keyPanic         = "panic"
	keyStack         = "stack"
	keyUserID        = "user_id"
	keyOwnerSeq      = "owner_seq"
	keyReason        = "reason"
	keyBucket        = "bucket"
	keyLimit         = "limit"
	keyRemaining     = "remaining"
	keyInFlightCap   = "in_flight_cap"
)
