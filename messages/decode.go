package messages

import "encoding/json"

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
//
// NOTE: the id and reply_to of a failed request are returned only when
// they are valid themselves, so an error reply can never be published to
// a subject that loops back into the requests or carry a malformed
// Nats-Msg-Id. The returned *Decoded is never nil. Assign the *Error to
// an error variable only when it is non-nil: a nil *Error in an error
// interface is not a nil error.
func (s Subjects) Decode(subject string, body []byte) (*Decoded, *Error) {
	d := &Decoded{}
	tenant, action, subjectErr := s.ParseRequest(subject)
	d.Tenant, d.Action = tenant, action

	// Read the body even when the subject is wrong: its id and reply_to
	// address the error reply.
	env, bodyErr := s.readEnvelope(body)
	d.ID, d.ReplyTo, d.Request.Params = env.id, env.replyTo, env.params
	sizeErr := checkSize(body)
	if err := firstError(subjectErr, checkAction(action), sizeErr, bodyErr, env.err); err != nil {
		return d, err
	}
	if err := env.matches(tenant, action); err != nil {
		return d, err
	}
	params, err := decodeParams(action, env.params)
	if err != nil {
		return d, err
	}
	d.Params = params
	return d, nil
}

// MaxBodyBytes bounds a request body. A user's profile is a few
// kilobytes even with many custom attributes; the bound keeps every reply,
// which carries the user back, well inside NATS's 1 MiB message limit.
const MaxBodyBytes = 64 << 10

// checkSize returns the error for a body larger than MaxBodyBytes.
func checkSize(body []byte) *Error {
	if len(body) <= MaxBodyBytes {
		return nil
	}
	return invalidf("the request body is %d bytes; requests are limited to %d bytes",
		len(body), MaxBodyBytes)
}

// checkAction returns the error for an unknown action; an empty action
// means the subject did not parse, which is reported already.
func checkAction(a Action) *Error {
	if a == "" || knownAction(a) {
		return nil
	}
	return unknownAction(a)
}

// firstError returns the first non-nil error.
func firstError(errs ...*Error) *Error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// envelope is the top level of a request body. id and replyTo are set
// only when valid; err is the first problem found, after which reading
// goes on so that a valid id and reply_to are still found.
type envelope struct {
	id, action, tenant, replyTo string
	hasAction, hasTenant        bool
	params                      json.RawMessage
	err                         *Error
}

// readEnvelope reads and checks the top-level members of body.
func (s Subjects) readEnvelope(body []byte) (envelope, *Error) {
	var env envelope
	members, err := readBody(body)
	if err != nil {
		return env, err
	}
	replyTo := s.replyToCheck()
	for _, m := range members {
		env.read(m, replyTo)
	}
	return env, nil
}

// read stores one top-level member in env, or records why it is wrong.
func (env *envelope) read(m member, replyTo check) {
	var err *Error
	switch m.name {
	case "id":
		env.id, err = stringAt(m.value, "id", checkID)
	case "reply_to":
		env.replyTo, err = stringAt(m.value, "reply_to", replyTo)
	case "action":
		env.hasAction = true
		env.action, err = stringAt(m.value, "action", nil)
	case "tenant":
		env.hasTenant = true
		env.tenant, err = stringAt(m.value, "tenant", nil)
	case "params":
		env.params = m.value
	default:
		err = invalidf("%q is not a request field; a request has only id, action, tenant, "+
			"params and reply_to", clip(m.name))
	}
	if env.err == nil {
		env.err = err
	}
}

// matches checks the optional action and tenant of the body against the
// subject's.
func (env envelope) matches(tenant string, a Action) *Error {
	if env.hasAction && Action(env.action) != a {
		return invalidf("action is %q but the subject's action is %q; "+
			"leave action out or make them equal", clip(env.action), a)
	}
	if env.hasTenant && env.tenant != tenant {
		return invalidf("tenant is %q but the subject's tenant is %q; "+
			"leave tenant out or make them equal", clip(env.tenant), tenant)
	}
	return nil
}
