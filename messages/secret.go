package messages

import (
	"encoding/json"
	"fmt"
)

// Redacted is what a [Secret] prints as.
const Redacted = "[redacted]"

// Secret holds a value that must never be printed, logged or echoed,
// such as a password. Every way of formatting it, JSON included, yields
// [Redacted]; read the value with Reveal. The zero value is the empty
// secret. A Secret is immutable and safe for concurrent use.
//
// The value sits behind a pointer because fmt prints nested pointers as
// addresses: a Secret inside an unexported struct field, where fmt cannot
// call its methods, or printed with a verb such as %p that bypasses them,
// still shows no more than an address.
type Secret struct {
	value *string
}

// NewSecret returns a Secret holding v.
func NewSecret(v string) Secret { return Secret{value: &v} }

// Reveal returns the secret value; "" for the zero Secret.
func (s Secret) Reveal() string {
	if s.value == nil {
		return ""
	}
	return *s.value
}

// String returns [Redacted].
func (s Secret) String() string { return Redacted }

// GoString returns [Redacted].
func (s Secret) GoString() string { return Redacted }

// Format writes [Redacted] for every verb, so that even a wrong verb
// such as %d gives nothing away.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(Redacted)) }

// MarshalJSON writes [Redacted] as a JSON string.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(Redacted) }

// MarshalText returns [Redacted], for encoders that prefer text, such as
// JSON map keys and YAML.
func (s Secret) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// UnmarshalJSON reads a JSON string into s, so that structs holding a
// Secret can be decoded; the JSON null leaves s unchanged.
func (s *Secret) UnmarshalJSON(b []byte) error {
	if isNull(b) {
		return nil
	}
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("messages: a secret must be a JSON string: %w", err)
	}
	*s = NewSecret(v)
	return nil
}
