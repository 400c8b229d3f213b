package messages

// DefaultPrefix is the first subject token when none is configured.
const DefaultPrefix = "okta"

// Subjects builds and parses the subjects of one deployment. The zero
// value uses [DefaultPrefix].
type Subjects struct {
	// Prefix is the first token of every subject; "" means DefaultPrefix.
	Prefix string
}

// Request returns <prefix>.requests.<tenant>.<action>.
func (s Subjects) Request(tenant string, a Action) string { panic("unimplemented") }

// Reply returns <prefix>.replies.<tenant>.<action>, where replies go when
// a request names no reply_to.
func (s Subjects) Reply(tenant string, a Action) string { panic("unimplemented") }

// Dead returns <prefix>.dead.<tenant>.<action>.
func (s Subjects) Dead(tenant string, a Action) string { panic("unimplemented") }

// Requests returns the wildcard of all requests, <prefix>.requests.>.
func (s Subjects) Requests() string { panic("unimplemented") }

// Replies returns the wildcard of all default replies, <prefix>.replies.>.
func (s Subjects) Replies() string { panic("unimplemented") }

// Deads returns the wildcard of all dead letters, <prefix>.dead.>.
func (s Subjects) Deads() string { panic("unimplemented") }

// TenantRequests returns the filter of one tenant's requests,
// <prefix>.requests.<tenant>.>.
func (s Subjects) TenantRequests(tenant string) string { panic("unimplemented") }

// ParseRequest splits a request subject into its tenant and action
// tokens. It returns an *Error with code invalid_request when the
// subject is not <prefix>.requests.<tenant>.<action>. It does not check
// that the action is known; [Decode] does.
func (s Subjects) ParseRequest(subject string) (tenant string, a Action, err *Error) {
	panic("unimplemented")
}

// ValidTenant reports whether name is a valid tenant name:
// [a-z0-9][a-z0-9-]{0,62}.
func ValidTenant(name string) bool { panic("unimplemented") }
