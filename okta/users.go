package okta

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// User is an Okta user as Okta returned it.
type User struct {
	ID     string
	Status string
	// JSON is the user object exactly as Okta sent it, with
	// "credentials" removed; every other byte is kept, _links included.
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

// CreateUser creates a user with POST /api/v1/users?activate=true|false.
// The body carries the profile; credentials.password only when a
// password is given, type.id only when TypeID is set, and groupIds only
// when there are some. Any 2xx is success (Okta answers 200, not 201).
//
// The password never appears in a returned value or error: the returned
// user has no credentials, and text Okta sends back is scrubbed of it.
// A profile value that is not JSON gives [ErrInvalidInput] before any
// request.
func (c *Client) CreateUser(ctx context.Context, u NewUser) (*User, error) {
	body, err := createBody(u)
	if err != nil {
		return nil, err
	}
	cl := call{
		method:  http.MethodPost,
		path:    usersPath,
		query:   url.Values{"activate": {strconv.FormatBool(u.Activate)}},
		body:    body,
		secrets: []string{u.Password},
	}
	resp, err := c.do(ctx, cl)
	if err != nil {
		return nil, err
	}
	user, err := parseUser(resp.body)
	if err != nil {
		return nil, fmt.Errorf("okta: POST %s: %w", usersPath, err)
	}
	return user, nil
}

// createBody encodes the request body of CreateUser. Profile values are
// copied as given, without HTML escaping or number conversion.
func createBody(u NewUser) ([]byte, error) {
	profile, err := mergeObject(nil, u.Profile)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(`{"profile":`)
	b.Write(profile)
	if u.Password != "" {
		b.WriteString(`,"credentials":{"password":{"value":`)
		b.Write(jsonString(u.Password))
		b.WriteString(`}}`)
	}
	if u.TypeID != "" {
		writeTypeRef(&b, u.TypeID)
	}
	if len(u.GroupIDs) > 0 {
		ids, _ := json.Marshal(u.GroupIDs) // strings always encode
		b.WriteString(`,"groupIds":`)
		b.Write(ids)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// writeTypeRef writes the member ,"type":{"id":...}.
func writeTypeRef(b *bytes.Buffer, typeID string) {
	b.WriteString(`,"type":{"id":`)
	b.Write(jsonString(typeID))
	b.WriteByte('}')
}

// GetUser finds one user by Okta id, login or email, in this sequence:
//
//  1. An id (00u and 17 letters or digits) is read with
//     GET /api/v1/users/{id}; a 404 is final.
//  2. Any other reference that can travel in a path is read with
//     GET /api/v1/users/{ref}, escaped as one segment. Okta resolves it
//     as a login, or as a login's part before "@" when that is unique.
//  3. If that read is a 404 and ref looks like an email address, it is
//     searched as an email: search=profile.email eq "ref".
//  4. A reference that cannot travel in a path (it holds "/", "\", "[",
//     "]", ";", "?", "#", control characters, is longer than a login, or
//     is "me", "." or "..") is searched as a login,
//     search=profile.login eq "ref", and then as an email if it looks
//     like one and no login matched.
//
// A search that finds one user is followed by a read of that user by id,
// since the search index lags behind updates. No match is an error
// matching [ErrNotFound] (wrapping Okta's 404 when there was one); two or
// more are [ErrAmbiguous]. An empty or overlong ref is [ErrInvalidInput].
func (c *Client) GetUser(ctx context.Context, ref string) (*User, error) {
	f, err := c.lookup(ctx, ref)
	if err != nil {
		return nil, err
	}
	return f.user, nil
}

// UpdateUser reads the user named by ref (as [Client.GetUser], and then
// by id if it was found another way, so that the read carries the
// ETag), merges the changes into the profile it read and writes the
// whole user back with PUT /api/v1/users/{id}, sending If-Match with the
// ETag when the read had one.
//
// The PUT body holds the merged profile, the type (TypeID if set, else
// the user's current type) and the user's realmId if it had one, so that
// a replace keeps the realm. Credentials are not sent; Okta keeps them.
// Profile attributes the changes do not name go back byte-identical;
// names the profile lacks are added; a JSON null clears an attribute.
//
// When the user changed between the read and the write, Okta answers 412
// to the If-Match; the *Error is retryable, and calling UpdateUser again
// merges into the new version. With no changes at all, UpdateUser returns
// the user it read and writes nothing.
func (c *Client) UpdateUser(ctx context.Context, ref string, ch UserChanges) (*User, error) {
	if _, err := compactValues(ch.Profile); err != nil {
		return nil, err
	}
	f, err := c.lookup(ctx, ref)
	if err == nil && !f.byID {
		f, err = c.getByPath(ctx, f.user.ID, true)
	}
	if err != nil {
		return nil, err
	}
	if len(ch.Profile) == 0 && ch.TypeID == "" {
		return f.user, nil
	}
	return c.replace(ctx, f, ch)
}

// replace writes the merge of ch into f with PUT.
func (c *Client) replace(ctx context.Context, f *fetched, ch UserChanges) (*User, error) {
	cl := call{method: http.MethodPut, path: userPath(f.user.ID), ifMatch: f.etag}
	body, err := replaceBody(f.raw, ch)
	if err != nil {
		return nil, fmt.Errorf("okta: %s %s: merging: %w", cl.method, cl.path, err)
	}
	cl.body = body
	resp, err := c.do(ctx, cl)
	if err != nil {
		return nil, err
	}
	user, err := parseUser(resp.body)
	if err != nil {
		return nil, fmt.Errorf("okta: %s %s: %w", cl.method, cl.path, err)
	}
	return user, nil
}

// ListUserTypes returns the org's user types, GET /api/v1/meta/types/user.
// Okta does not page this list (an org has at most ten types).
func (c *Client) ListUserTypes(ctx context.Context) ([]UserType, error) {
	cl := call{method: http.MethodGet, path: "/api/v1/meta/types/user"}
	resp, err := c.do(ctx, cl)
	if err != nil {
		return nil, err
	}
	types := []UserType{}
	if err := json.Unmarshal(resp.body, &types); err != nil {
		return nil, fmt.Errorf("okta: GET %s: decoding user types: %w", cl.path, err)
	}
	return types, nil
}

// parseUser reads a user object: its id and status, and its JSON without
// credentials.
func parseUser(raw []byte) (*User, error) {
	stripped, err := removeMember(raw, "credentials")
	if err != nil {
		return nil, fmt.Errorf("decoding user: %w", err)
	}
	var head struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	if err := json.Unmarshal(stripped, &head); err != nil {
		return nil, fmt.Errorf("decoding user: %w", err)
	}
	if head.ID == "" {
		return nil, errors.New("decoding user: the object has no id")
	}
	return &User{ID: head.ID, Status: head.Status, JSON: stripped}, nil
}
