package messages

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The limits the request fields are checked against. Okta's own limits
// are quoted from its default user profile.
const (
	maxIDBytes      = 200 // request id
	maxUserIDBytes  = 200 // user_id of get_user and update_user
	maxSubjectBytes = 255 // reply_to
	minEmailChars   = 5   // Okta's email and login: 5 to 100 characters
	maxEmailChars   = 100
	maxLoginChars   = 100
	maxPhoneChars   = 100 // Okta's mobilePhone: 0 to 100 characters
	maxPasswordLen  = 72  // Okta's password value: at most 72 characters
	maxGroupIDs     = 20  // Okta assigns at most 20 groups at create time
)

// A check inspects a string value and returns what is wrong with it, as
// the end of a sentence that starts with the field's name, or "" when
// the value is fine.
type check func(string) string

// validToken reports whether tok can be one token of a NATS subject that
// messages are published on: not empty, no dots, no wildcards, no
// whitespace or control characters.
func validToken(tok string) bool {
	if tok == "" {
		return false
	}
	for _, r := range tok {
		if r == '.' || r == '*' || r == '>' || unicode.IsSpace(r) || unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// checkID checks a request id: 1 to 200 bytes of printable characters
// and no whitespace, because it travels as the Nats-Msg-Id header.
func checkID(s string) string {
	if s == "" || len(s) > maxIDBytes || strings.ContainsFunc(s, notPrintable) {
		return "must be 1 to 200 bytes of printable characters without spaces"
	}
	return ""
}

// notPrintable reports whether r may not appear in an id.
func notPrintable(r rune) bool { return !unicode.IsPrint(r) || unicode.IsSpace(r) }

// replyToCheck returns the check of reply_to for the deployment s: a
// NATS publish subject that is not reserved and lies outside the
// deployment's own namespace. Under <prefix>. a reply could be taken for
// a new request, land among the dead letters, or pass for another
// tenant's reply on <prefix>.replies.
func (s Subjects) replyToCheck() check {
	own := s.prefix() + "."
	return func(v string) string {
		switch {
		case v == "" || len(v) > maxSubjectBytes:
			return "must be a NATS subject of 1 to 255 bytes"
		case !validSubject(v):
			return "must be a NATS subject of non-empty dot-separated tokens " +
				"without wildcards (* >), whitespace or control characters"
		case strings.HasPrefix(v, "$"):
			return "must not start with $, which NATS reserves for its own subjects"
		case strings.HasPrefix(v, own) || v == s.prefix():
			return "must not be under " + own + ", the worker's own requests, " +
				"replies and dead letters; leave it out to get the reply on " +
				s.join("replies") + ".<tenant>.<action>"
		}
		return ""
	}
}

// validSubject reports whether v is a literal NATS subject.
func validSubject(v string) bool {
	for tok := range strings.SplitSeq(v, ".") {
		if !validToken(tok) {
			return false
		}
	}
	return true
}

// checkEmail checks a bare email address as Okta's email attribute
// takes it: 5 to 100 characters that parse as an RFC 5322 address with
// no display name, angle brackets or comments around it.
func checkEmail(s string) string {
	if n := utf8.RuneCountInString(s); n < minEmailChars || n > maxEmailChars {
		return "must be an email address of 5 to 100 characters"
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return "must be a bare email address such as ann@example.com, " +
			"without a display name or angle brackets"
	}
	return ""
}

// checkLogin checks an Okta login. Okta checks its configured pattern
// itself; this only rules out what can never be a login.
func checkLogin(s string) string {
	if s == "" || utf8.RuneCountInString(s) > maxLoginChars {
		return "must be 1 to 100 characters"
	}
	if strings.ContainsFunc(s, unicode.IsControl) {
		return "must not contain control characters"
	}
	return ""
}

// checkName checks a first or last name; clearing one is done with a
// JSON null (update_user), not with an empty string.
func checkName(s string) string {
	if s == "" {
		return "must not be empty"
	}
	return ""
}

// checkPhone checks a mobile phone number against Okta's length limit.
func checkPhone(s string) string {
	if utf8.RuneCountInString(s) > maxPhoneChars {
		return "must be at most 100 characters"
	}
	return ""
}

// checkTypeID checks a user type id.
func checkTypeID(s string) string {
	if s == "" {
		return "must be a user type id such as oty1a2b3c4d5e6f7g8h9 " +
			"(list them with list_type_id_options)"
	}
	return ""
}

// checkPassword checks a password's length. Its messages never quote
// the value or its length.
func checkPassword(s string) string {
	if s == "" || utf8.RuneCountInString(s) > maxPasswordLen {
		return "must be 1 to 72 characters"
	}
	return ""
}

// checkUserID checks the user reference of get_user and update_user. It
// rejects the values that make Okta answer about someone else: "me" is
// the token's owner, and "." or ".." turn the path into the user list.
func checkUserID(s string) string {
	switch {
	case s == "" || len(s) > maxUserIDBytes:
		return "must be an Okta user id, login or email address of 1 to 200 bytes"
	case strings.EqualFold(s, "me"):
		return "must not be \"me\", which Okta reads as the API token's owner; " +
			"give the user's id, login or email address"
	case s == "." || s == "..":
		return "must not be \".\" or \"..\"; give the user's id, login or email address"
	case strings.ContainsFunc(s, unicode.IsControl):
		return "must not contain control characters"
	case strings.TrimSpace(s) != s:
		return "must not start or end with whitespace"
	}
	return ""
}
