package messages

// Decoded is a request that passed validation, with its params checked
// and typed.
type Decoded struct {
	Request

	// Params is one of *CreateUserParams, *GetUserParams,
	// *ListTypeIDOptionsParams or *UpdateUserParams, by Action.
	Params any
}

// Decode validates a request body received on subject and returns the
// typed request, with Tenant and Action taken from the subject. On
// failure it still returns whatever it could read (the subject's tenant
// and action, and the body's id and reply_to when they are strings) so
// the caller can address the error reply, and an *Error with code
// invalid_request or unknown_action that says what to fix.
func (s Subjects) Decode(subject string, body []byte) (*Decoded, *Error) {
	panic("unimplemented")
}
