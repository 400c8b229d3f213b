package okta

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
)

// errNotObject reports JSON that is not a single object.
var errNotObject = errors.New("not a JSON object")

// member is one name/value pair of a JSON object, located in the bytes
// of the object so that it can be cut out or its value replaced without
// touching anything else.
type member struct {
	key   string
	value json.RawMessage // the value's bytes exactly as they appear

	// start and end delimit the member in the object together with what
	// precedes it since the previous member: whitespace, and the comma
	// for every member but the first. The value ends at end.
	start, end int
}

// valueStart is the offset of the member's value in the object.
func (m member) valueStart() int { return m.end - len(m.value) }

// scanObject lists the members of the JSON object obj in order, and
// returns the offset just after its opening brace. Values are not
// decoded, so numbers, nulls and nested values keep their exact bytes.
func scanObject(obj []byte) (open int, members []member, err error) {
	dec := json.NewDecoder(bytes.NewReader(obj))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return 0, nil, errNotObject
	}
	open = int(dec.InputOffset())
	for pos := open; dec.More(); {
		m, err := nextMember(dec)
		if err != nil {
			return 0, nil, err
		}
		m.start, pos = pos, m.end
		members = append(members, m)
	}
	if _, err := dec.Token(); err != nil {
		return 0, nil, fmt.Errorf("%w: %w", errNotObject, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return 0, nil, fmt.Errorf("%w: data after the object", errNotObject)
	}
	return open, members, nil
}

// nextMember reads one name/value pair from dec; it leaves m.start to
// the caller, since dec may already have skipped the space before it.
func nextMember(dec *json.Decoder) (member, error) {
	var m member
	tok, err := dec.Token()
	if err != nil {
		return m, fmt.Errorf("%w: %w", errNotObject, err)
	}
	m.key, _ = tok.(string)
	if err := dec.Decode(&m.value); err != nil {
		return m, fmt.Errorf("%w: %w", errNotObject, err)
	}
	m.end = int(dec.InputOffset())
	return m, nil
}

// memberValue returns the value of the last member named key, or nil.
func memberValue(members []member, key string) json.RawMessage {
	var v json.RawMessage
	for _, m := range members {
		if m.key == key {
			v = m.value
		}
	}
	return v
}

// removeMember returns obj without its members named key. Every other
// byte of obj, whitespace included, is kept.
func removeMember(obj []byte, key string) ([]byte, error) {
	open, members, err := scanObject(obj)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(members, func(m member) bool { return m.key == key }) {
		return obj, nil
	}

	out := slices.Clone(obj[:open])
	first := true
	for _, m := range members {
		if m.key == key {
			continue
		}
		seg := obj[m.start:m.end]
		if first && m.start != members[0].start {
			// The first member kept had a comma before it, which now
			// follows the opening brace: drop it.
			seg = seg[bytes.IndexByte(seg, ',')+1:]
		}
		out = append(out, seg...)
		first = false
	}
	return append(out, obj[members[len(members)-1].end:]...), nil
}

// mergeObject returns obj with the changes applied: the value of each
// member named in changes is replaced, and names obj lacks are added at
// the end in sorted order. Every other byte of obj is kept. A nil or
// empty change value means JSON null. An empty obj, or null, is taken
// as {}.
func mergeObject(obj []byte, changes map[string]json.RawMessage) ([]byte, error) {
	if t := bytes.TrimSpace(obj); len(t) == 0 || string(t) == "null" {
		obj = []byte("{}")
	}
	open, members, err := scanObject(obj)
	if err != nil {
		return nil, err
	}
	values, err := compactValues(changes)
	if err != nil {
		return nil, err
	}

	var out []byte
	pos, seen := 0, map[string]bool{}
	for _, m := range members {
		if v, ok := values[m.key]; ok {
			out = append(append(out, obj[pos:m.valueStart()]...), v...)
			pos, seen[m.key] = m.end, true
		}
	}

	insert := open
	if len(members) > 0 {
		insert = members[len(members)-1].end
	}
	out = append(out, obj[pos:insert]...)
	out = appendMembers(out, values, seen, len(members) > 0)
	return append(out, obj[insert:]...), nil
}

// appendMembers appends ,"name":value for each name of values not seen,
// in sorted order; comma says whether the first one needs a comma.
func appendMembers(out []byte, values map[string][]byte, seen map[string]bool, comma bool) []byte {
	for _, k := range slices.Sorted(maps.Keys(values)) {
		if seen[k] {
			continue
		}
		if comma {
			out = append(out, ',')
		}
		out = append(append(append(out, jsonString(k)...), ':'), values[k]...)
		comma = true
	}
	return out
}

// compactValues checks that each change is one JSON value and returns
// it without insignificant spaces; the text of numbers and strings is
// kept as given.
func compactValues(changes map[string]json.RawMessage) (map[string][]byte, error) {
	out := make(map[string][]byte, len(changes))
	for k, v := range changes {
		if len(bytes.TrimSpace(v)) == 0 {
			out[k] = []byte("null")
			continue
		}
		var b bytes.Buffer
		if err := json.Compact(&b, v); err != nil {
			return nil, fmt.Errorf("%w: value of profile attribute %q is not JSON",
				ErrInvalidInput, k)
		}
		out[k] = b.Bytes()
	}
	return out, nil
}

// jsonString encodes s as a JSON string without HTML escaping, so that
// names and values travel as written.
func jsonString(s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}
