package messages

// Decoded is a request that passed validation, with its params checked
// and typed.
type Decoded struct {
	Request

	// Params is one of *CreateUserParams, *GetUserParams,
	// *ListTypeIDOptionsParams or *UpdateUserParams, by Action.
	Params any
}

// Decode validates body, received on the subject of tenant and action,
// and returns the typed request. On failure it still returns whatever
// it could read of the envelope (ID and ReplyTo when they are strings)
// so the caller can address the error reply, and an *Error with code
// invalid_request or unknown_action that says what to fix.
func Decode(tenant string, action Action, body []byte) (*Decoded, *Error) {
	panic("unimplemented")
}
