package messages

import (
	"fmt"
	"strings"
)

// DefaultPrefix is the first subject token when none is configured.
const DefaultPrefix = "okta"

// Subjects builds and parses the subjects of one deployment. The zero
// value uses [DefaultPrefix]. The builders do not validate their
// arguments: pass a tenant for which [ValidTenant] holds and a known
// [Action].
type Subjects struct {
	// Prefix is the first token of every subject; "" means DefaultPrefix.
	// It may itself contain dots (for example "acme.okta") so that two
	// deployments can share one NATS.
	Prefix string
}

// Validate returns an error when the prefix cannot begin a subject:
// it must be dot-separated tokens without wildcards or whitespace, and
// must not start with $, which NATS reserves.
func (s Subjects) Validate() error {
	p := s.prefix()
	if !validSubject(p) || strings.HasPrefix(p, "$") {
		return fmt.Errorf("messages: subject prefix %q must be dot-separated tokens "+
			"without wildcards, whitespace or a leading $", clip(p))
	}
	return nil
}

// prefix returns the configured prefix or DefaultPrefix.
func (s Subjects) prefix() string {
	if s.Prefix == "" {
		return DefaultPrefix
	}
	return s.Prefix
}

// join builds <prefix>.<kind>.<tail...>.
func (s Subjects) join(kind string, tail ...string) string {
	return strings.Join(append([]string{s.prefix(), kind}, tail...), ".")
}

// Request returns <prefix>.requests.<tenant>.<action>.
func (s Subjects) Request(tenant string, a Action) string {
	return s.join("requests", tenant, string(a))
}

// Reply returns <prefix>.replies.<tenant>.<action>, where replies go when
// a request names no reply_to.
func (s Subjects) Reply(tenant string, a Action) string {
	return s.join("replies", tenant, string(a))
}

// Dead returns <prefix>.dead.<tenant>.<action>.
func (s Subjects) Dead(tenant string, a Action) string {
	return s.join("dead", tenant, string(a))
}

// Requests returns the wildcard of all requests, <prefix>.requests.>.
func (s Subjects) Requests() string { return s.join("requests", ">") }

// Replies returns the wildcard of all default replies, <prefix>.replies.>.
func (s Subjects) Replies() string { return s.join("replies", ">") }

// Deads returns the wildcard of all dead letters, <prefix>.dead.>.
func (s Subjects) Deads() string { return s.join("dead", ">") }

// TenantRequests returns the filter of one tenant's requests,
// <prefix>.requests.<tenant>.>.
func (s Subjects) TenantRequests(tenant string) string {
	return s.join("requests", tenant, ">")
}

// ParseRequest splits a request subject into its tenant and action
// tokens. It returns an *Error with code invalid_request when the
// subject is not <prefix>.requests.<tenant>.<action> or the tenant token
// is not a valid tenant name; then tenant and a are empty. It does not
// check that the action is known; [Subjects.Decode] does.
func (s Subjects) ParseRequest(subject string) (tenant string, a Action, err *Error) {
	head := s.join("requests") + "."
	rest, ok := strings.CutPrefix(subject, head)
	tenant, action, two := strings.Cut(rest, ".")
	if !ok || !two || !validToken(tenant) || !validToken(action) {
		return "", "", invalidf("subject %q is not a request subject; "+
			"expected %s<tenant>.<action>", clip(subject), head)
	}
	if !ValidTenant(tenant) {
		return "", "", invalidf("tenant %q in the subject is not a valid tenant name; expected "+
			"1 to 63 lower-case letters, digits or hyphens, not starting with a hyphen",
			clip(tenant))
	}
	return tenant, Action(action), nil
}

// ValidTenant reports whether name is a valid tenant name:
// [a-z0-9][a-z0-9-]{0,62}.
func ValidTenant(name string) bool {
	if name == "" || len(name) > 63 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case c == '-' && i > 0:
		default:
			return false
		}
	}
	return true
}
