package oktasim

import (
	"encoding/json"
	"net/mail"
	"unicode/utf8"
)

// Profile rules. The simulator's schema is open: any custom attribute
// is accepted with any JSON value, as if every name had been added to
// the org's profile schema beforehand. Okta's own base attributes are
// checked as Okta checks them by default:
//
//   - login: required, unique ignoring case, at most 100 characters
//     (and an email address of at least 5 with [WithStrictLogins]);
//   - email: required, an email address of 5 to 100 characters;
//   - the type's required attributes (firstName and lastName for the
//     default type): present, not null and, for strings, not empty;
//   - firstName, lastName: at most 50 characters; secondEmail: an
//     email address when set; the base attributes hold strings or null.

// baseStringAttrs are the base profile attributes whose values must be
// strings or null.
var baseStringAttrs = []string{
	"login", "email", "firstName", "lastName", "middleName", "honorificPrefix",
	"honorificSuffix", "title", "displayName", "nickName", "profileUrl",
	"secondEmail", "mobilePhone", "primaryPhone", "streetAddress", "city",
	"state", "zipCode", "countryCode", "postalAddress", "preferredLanguage",
	"locale", "timezone", "userType", "employeeNumber", "costCenter",
	"organization", "division", "department", "managerId", "manager",
}

// maxLengths bounds base attributes, in characters.
var maxLengths = map[string]int{
	"login": 100, "email": 100, "firstName": 50, "lastName": 50,
	"secondEmail": 100, "mobilePhone": 100, "primaryPhone": 100,
	"countryCode": 2, "zipCode": 50, "city": 128, "state": 128,
	"streetAddress": 1024, "postalAddress": 4096,
}

// profileCheck validates one profile for one user type.
type profileCheck struct {
	profile map[string]json.RawMessage
	typ     *userType
	strict  bool
	errs    []fieldError
}

// validateProfileLocked returns the validation failures of a profile
// for a user of type t; selfID is the user being updated ("" for a new
// one), whose own login does not count as taken. The caller holds s.mu.
func (s *Server) validateProfileLocked(
	p map[string]json.RawMessage, t *userType, selfID string,
) []fieldError {
	c := &profileCheck{profile: p, typ: t, strict: s.strictLogins}
	c.login()
	c.email()
	c.required()
	c.types()
	if len(c.errs) > 0 {
		return c.errs
	}
	if id, taken := s.logins[foldLogin(stringAttr(p, "login"))]; taken && id != selfID {
		return []fieldError{{"login", reasonDuplicate}}
	}
	return nil
}

func (c *profileCheck) fail(field, reason string) {
	for _, e := range c.errs {
		if e.field == field {
			return
		}
	}
	c.errs = append(c.errs, fieldError{field, reason})
}

// present returns the attribute as a non-empty string; ok is false
// after recording why not.
func (c *profileCheck) present(name string) (string, bool) {
	raw, found := c.profile[name]
	var v string
	switch {
	case !found || string(raw) == "null":
		c.fail(name, reasonBlank)
		return "", false
	case json.Unmarshal(raw, &v) != nil:
		c.fail(name, reasonType)
		return "", false
	case v == "":
		c.fail(name, reasonBlank)
		return "", false
	}
	return v, true
}

func (c *profileCheck) login() {
	v, ok := c.present("login")
	if !ok || !c.strict {
		return
	}
	if utf8.RuneCountInString(v) < 5 {
		c.fail("login", reasonTooShort)
	} else if !emailShaped(v) {
		c.fail("login", reasonPattern)
	}
}

func (c *profileCheck) email() {
	v, ok := c.present("email")
	switch {
	case !ok:
	case !emailShaped(v):
		c.fail("email", reasonPattern)
	case utf8.RuneCountInString(v) < 5:
		c.fail("email", reasonTooShort)
	}
}

func (c *profileCheck) required() {
	for _, name := range c.typ.spec.Required {
		raw, found := c.profile[name]
		if !found || string(raw) == "null" || string(raw) == `""` {
			c.fail(name, reasonBlank)
		}
	}
}

// types checks that base attributes hold strings or null, their
// lengths, and the shape of secondEmail.
func (c *profileCheck) types() {
	for _, name := range baseStringAttrs {
		raw, found := c.profile[name]
		if !found || string(raw) == "null" {
			continue
		}
		var v string
		if json.Unmarshal(raw, &v) != nil {
			c.fail(name, reasonType)
			continue
		}
		if max, ok := maxLengths[name]; ok && utf8.RuneCountInString(v) > max {
			c.fail(name, reasonTooLong)
		}
		if name == "secondEmail" && v != "" && !emailShaped(v) {
			c.fail(name, reasonPattern)
		}
	}
}

// emailShaped reports whether v is a bare email address (no display
// name, no angle brackets).
func emailShaped(v string) bool {
	a, err := mail.ParseAddress(v)
	return err == nil && a.Name == "" && a.Address == v
}

// passwordErr checks a password value against a minimal password
// policy: 8 to 72 characters. The value never appears in the answer.
func passwordErr(value string) []fieldError {
	n := utf8.RuneCountInString(value)
	switch {
	case n < 8:
		return []fieldError{{"password", "Password requirements were not met. " +
			"Password requirements: at least 8 characters."}}
	case n > 72:
		return []fieldError{{"password", "Password requirements were not met. " +
			"Password requirements: at most 72 characters."}}
	}
	return nil
}
