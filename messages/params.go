package messages

import "encoding/json"

// Secret holds a value that must never be printed, logged or echoed,
// such as a password. Every way of formatting it, JSON included, yields
// [Redacted]; read the value with Reveal.
type Secret string

// Redacted is what a [Secret] prints as.
const Redacted = "[redacted]"

// Reveal returns the secret value.
func (s Secret) Reveal() string { return string(s) }

// String returns [Redacted].
func (s Secret) String() string { return Redacted }

// GoString returns [Redacted].
func (s Secret) GoString() string { return Redacted }

// MarshalJSON writes [Redacted] as a JSON string.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(Redacted) }

// CreateUserParams are the checked params of a create_user request.
type CreateUserParams struct {
	Email       string
	FirstName   string
	LastName    string
	Login       string // defaults to Email
	MobilePhone string
	SecondEmail string

	// Profile holds further Okta profile attributes by their Okta names,
	// custom ones included, as raw JSON values.
	Profile map[string]json.RawMessage

	TypeID   string
	Activate bool // defaults to true
	Password Secret
	GroupIDs []string
}

// GetUserParams are the checked params of a get_user request.
type GetUserParams struct {
	// UserID is an Okta user id, a login or an email address.
	UserID string
}

// ListTypeIDOptionsParams are the (empty) params of a
// list_type_id_options request.
type ListTypeIDOptionsParams struct{}

// UpdateUserParams are the checked params of an update_user request.
type UpdateUserParams struct {
	// UserID is an Okta user id, a login or an email address.
	UserID string

	// Profile holds the changes by Okta attribute name (firstName, not
	// first_name): the named params translated, plus everything under
	// params.profile. A JSON null clears the attribute. It is never
	// empty unless TypeID is set.
	Profile map[string]json.RawMessage

	// TypeID is the new user type id, or "" to keep the current type.
	TypeID string
}
