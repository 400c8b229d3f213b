package messages

import "encoding/json"

// CreateUserParams are the checked params of a create_user request.
// FirstName and LastName are set unless TypeID names a user type that
// may do without them.
type CreateUserParams struct {
	Email       string
	FirstName   string
	LastName    string
	Login       string // defaults to Email
	MobilePhone string
	SecondEmail string

	// Profile holds further Okta profile attributes by their Okta names,
	// custom ones included, as raw JSON values exactly as the caller sent
	// them. It never holds the six attributes above, which are in their
	// fields whether they came as named params or in params.profile. It is
	// nil when there are none.
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
	// params.profile. Values are the caller's raw JSON, byte for byte; a
	// JSON null clears the attribute. It is nil only when TypeID is set.
	Profile map[string]json.RawMessage

	// TypeID is the new user type id, or "" to keep the current type.
	TypeID string
}
