package messages

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"unicode/utf8"
)

// member is one name/value pair of a JSON object, in document order.
type member struct {
	name  string
	value json.RawMessage
}

// readBody checks that body is exactly one JSON object in UTF-8 and
// returns its members.
func readBody(body []byte) ([]member, *Error) {
	if !utf8.Valid(body) {
		return nil, invalidf("body is not valid UTF-8; send one JSON object")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, invalidf("body is empty; send one JSON object")
	}

	// Decode the first value on its own so that trailing data can be told
	// apart from a syntax error. The decoder's own message is not quoted
	// because it can repeat a character of a password.
	dec := json.NewDecoder(bytes.NewReader(body))
	var first json.RawMessage
	if err := dec.Decode(&first); err != nil {
		return nil, syntaxError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, invalidf("body has data after the JSON object; send exactly one object")
	}
	return readObject(first, "body")
}

// syntaxError describes a JSON syntax error by position only.
func syntaxError(err error) *Error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return invalidf("body is not valid JSON (syntax error near byte %d); "+
			"send one JSON object", se.Offset)
	}
	return invalidf("body is not valid JSON (it ends too early); send one JSON object")
}

// readObject returns the members of raw, a valid JSON value, in document
// order. It fails when raw is not an object or names a member twice,
// which parsers resolve differently. path names raw in the message.
func readObject(raw json.RawMessage, path string) ([]member, *Error) {
	if k := kindOf(raw); k != "object" {
		return nil, invalidf("%s must be a JSON object, got %s", path, k)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return nil, syntaxError(err)
	}
	var members []member
	seen := make(map[string]bool)
	for dec.More() {
		m, err := readMember(dec)
		if err != nil {
			return nil, syntaxError(err)
		}
		if seen[m.name] {
			return nil, invalidf("%s has the field %q twice; give each field once",
				path, clip(m.name))
		}
		seen[m.name] = true
		members = append(members, m)
	}
	return members, nil
}

// readMember reads one name and its value from an object's decoder.
func readMember(dec *json.Decoder) (member, error) {
	tok, err := dec.Token()
	if err != nil {
		return member{}, err
	}
	name, _ := tok.(string) // a member always starts with its name
	var value json.RawMessage
	err = dec.Decode(&value)
	return member{name: name, value: value}, err
}

// kindOf names the JSON type of a valid JSON value, as used in messages.
func kindOf(raw json.RawMessage) string {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

// isNull reports whether raw is the JSON null.
func isNull(raw json.RawMessage) bool { return kindOf(raw) == "null" }

// stringAt decodes raw as a string and applies c, naming path in any
// error.
func stringAt(raw json.RawMessage, path string, c check) (string, *Error) {
	if k := kindOf(raw); k != "string" {
		return "", invalidf("%s must be a string, got %s", path, k)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", invalidf("%s must be a string", path)
	}
	if c != nil {
		if problem := c(s); problem != "" {
			return "", invalidf("%s %s", path, problem)
		}
	}
	return s, nil
}

// boolAt decodes raw as a boolean, naming path in any error.
func boolAt(raw json.RawMessage, path string) (bool, *Error) {
	if k := kindOf(raw); k != "boolean" {
		return false, invalidf("%s must be true or false, got %s", path, k)
	}
	return string(bytes.TrimSpace(raw)) == "true", nil
}

// sameJSON reports whether a and b are the same JSON value, whatever
// their spelling (escapes, spacing, member order).
func sameJSON(a, b json.RawMessage) bool {
	va, errA := decodeAny(a)
	vb, errB := decodeAny(b)
	return errA == nil && errB == nil && reflect.DeepEqual(va, vb)
}

// decodeAny decodes raw keeping numbers as written.
func decodeAny(raw json.RawMessage) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}
