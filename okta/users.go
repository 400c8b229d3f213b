package okta

import (
	"context"
	"encoding/json"
)

// User is an Okta user as Okta returned it.
type User struct {
	ID     string
	Status string
	// JSON is the user object exactly as Okta sent it, with
	// "credentials" removed.
	JSON json.RawMessage
}

// NewUser is what [Client.CreateUser] sends.
type NewUser struct {
	// Profile is the complete profile by Okta attribute name.
	Profile  map[string]json.RawMessage
	TypeID   string // "" for the org's default type
	Password string // "" for none
	GroupIDs []string
	Activate bool
}

// UserChanges is what [Client.UpdateUser] merges into a user.
type UserChanges struct {
	// Profile holds attributes to set by Okta name; a JSON null clears.
	Profile map[string]json.RawMessage
	TypeID  string // "" keeps the current type
}

// UserType is an Okta user type.
type UserType struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
	Description string `json:"description"`
	Default     bool   `json:"default"`
}

// CreateUser creates a user with POST /api/v1/users?activate=...
func (c *Client) CreateUser(ctx context.Context, u NewUser) (*User, error) {
	panic("unimplemented")
}

// GetUser finds one user by Okta id, login or email. An id or login
// travels as an escaped path segment, or through search when it cannot
// travel in a path; an email that is not a login is looked up with
// search=profile.email eq "...". No match is [ErrNotFound], several are
// [ErrAmbiguous].
func (c *Client) GetUser(ctx context.Context, ref string) (*User, error) {
	panic("unimplemented")
}

// UpdateUser reads the user named by ref (as [Client.GetUser]), merges
// the changes into the profile it read and writes the whole user back
// with PUT. Attributes the changes do not name go back byte-identical.
func (c *Client) UpdateUser(ctx context.Context, ref string, ch UserChanges) (*User, error) {
	panic("unimplemented")
}

// ListUserTypes returns the org's user types, GET /api/v1/meta/types/user.
func (c *Client) ListUserTypes(ctx context.Context) ([]UserType, error) {
	panic("unimplemented")
}
