package messages

import (
	"bytes"
	_ "embed" // for the JSON Schema files
)

var (
	//go:embed schema/request.json
	requestSchema []byte

	//go:embed schema/reply.json
	replySchema []byte
)

// RequestSchema returns the JSON Schema (draft 2020-12) of a request
// body. It has one branch per action under $defs, named after the
// action; since the action travels in the subject, validate against
// "request.json#/$defs/<action>" when you know it. The schema cannot
// express every rule of [Subjects.Decode]; its description lists the
// rest. Each call returns a new copy.
func RequestSchema() []byte { return bytes.Clone(requestSchema) }

// ReplySchema returns the JSON Schema (draft 2020-12) of a reply body,
// with the error object and the user type under $defs. Each call
// returns a new copy.
func ReplySchema() []byte { return bytes.Clone(replySchema) }
