package okta

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

const (
	usersPath = "/api/v1/users"

	// maxRefBytes bounds a user reference. Okta logins and emails are at
	// most 100 characters, so nothing longer can name a user.
	maxRefBytes = 1024

	// maxPathRunes is the longest reference sent as a path segment; a
	// longer one cannot be a login and goes through search instead.
	maxPathRunes = 100

	// searchLimit is the page size of a lookup search: two results are
	// enough to tell one match from several.
	searchLimit = "2"
)

// idPattern matches an Okta user id.
var idPattern = regexp.MustCompile(`^00u[0-9A-Za-z]{17}$`)

// fetched is a user as one read returned it.
type fetched struct {
	user *User
	raw  []byte // the whole object, credentials included
	etag string // the ETag of the read, "" if none
	byID bool   // whether the read was GET /api/v1/users/{id}
}

// lookup finds the one user that ref names, following the sequence
// documented on [Client.GetUser].
func (c *Client) lookup(ctx context.Context, ref string) (*fetched, error) {
	if err := checkRef(ref); err != nil {
		return nil, err
	}
	if idPattern.MatchString(ref) {
		return c.getByPath(ctx, ref, true)
	}
	if !pathSafe(ref) {
		return c.findByLogin(ctx, ref)
	}

	f, err := c.getByPath(ctx, ref, false)
	if err != nil && errors.Is(err, ErrNotFound) && looksLikeEmail(ref) {
		return c.findByEmail(ctx, ref, err)
	}
	return f, err
}

// getByPath reads GET /api/v1/users/{ref}; byID says whether ref is an id.
func (c *Client) getByPath(ctx context.Context, ref string, byID bool) (*fetched, error) {
	cl := call{method: http.MethodGet, path: userPath(ref)}
	resp, err := c.do(ctx, cl)
	if err != nil {
		return nil, err
	}
	u, err := parseUser(resp.body)
	if err != nil {
		return nil, fmt.Errorf("okta: GET %s: %w", cl.path, err)
	}
	return &fetched{user: u, raw: resp.body, etag: resp.header.Get("ETag"), byID: byID}, nil
}

// findByLogin searches for a login that cannot travel in a path, and
// falls back to the email when it looks like one.
func (c *Client) findByLogin(ctx context.Context, ref string) (*fetched, error) {
	hits, err := c.search(ctx, "profile.login", ref)
	switch {
	case err != nil:
		return nil, err
	case len(hits) == 0 && looksLikeEmail(ref):
		return c.findByEmail(ctx, ref, nil)
	case len(hits) == 0:
		return nil, fmt.Errorf("%w: no user has login %q", ErrNotFound, ref)
	}
	return c.oneHit(ctx, hits, "login", ref)
}

// findByEmail searches profile.email. prior is the not-found error of the
// login lookup that came first, if any; it is wrapped when nothing
// matches so that its Okta details stay available.
func (c *Client) findByEmail(ctx context.Context, ref string, prior error) (*fetched, error) {
	hits, err := c.search(ctx, "profile.email", ref)
	switch {
	case err != nil:
		return nil, err
	case len(hits) == 0 && prior != nil:
		return nil, fmt.Errorf("okta: no user has login or email %q: %w", ref, prior)
	case len(hits) == 0:
		return nil, fmt.Errorf("%w: no user has login or email %q", ErrNotFound, ref)
	}
	return c.oneHit(ctx, hits, "email", ref)
}

// oneHit turns a non-empty list of search results into the one user it
// names, re-read by id: the search index is eventually consistent and
// its entries carry no ETag, while a read by id is current and does.
func (c *Client) oneHit(ctx context.Context, hits []json.RawMessage, what, ref string) (
	*fetched, error) {
	if len(hits) != 1 {
		// The search asked for searchLimit results, so all that is known
		// is that there are several.
		return nil, fmt.Errorf("%w: more than one user has %s %q", ErrAmbiguous, what, ref)
	}
	u, err := parseUser(hits[0])
	if err != nil {
		return nil, fmt.Errorf("okta: GET %s: search result: %w", usersPath, err)
	}
	return c.getByPath(ctx, u.ID, true)
}

// search runs GET /api/v1/users?search=<attr> eq "<value>" and returns
// the users it lists. Search matches string values ignoring case, unlike
// filter, and includes deprovisioned users, unlike q.
func (c *Client) search(ctx context.Context, attr, value string) ([]json.RawMessage, error) {
	q := url.Values{
		"search": {attr + " eq " + quoteSearch(value)},
		"limit":  {searchLimit},
	}
	resp, err := c.do(ctx, call{method: http.MethodGet, path: usersPath, query: q})
	if err != nil {
		return nil, err
	}
	var hits []json.RawMessage
	if err := json.Unmarshal(resp.body, &hits); err != nil {
		return nil, fmt.Errorf("okta: GET %s: search answered with no list of users: %w",
			usersPath, err)
	}
	return hits, nil
}

// quoteSearch escapes s for a double-quoted value in an Okta search
// expression, where a backslash escapes " and itself.
func quoteSearch(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// checkRef rejects references no lookup could resolve.
func checkRef(ref string) error {
	switch {
	case ref == "":
		return fmt.Errorf("%w: empty user reference", ErrInvalidInput)
	case len(ref) > maxRefBytes:
		return fmt.Errorf("%w: user reference longer than %d bytes", ErrInvalidInput,
			maxRefBytes)
	case !utf8.ValidString(ref):
		return fmt.Errorf("%w: user reference is not valid UTF-8", ErrInvalidInput)
	}
	return nil
}

// pathSafe reports whether ref can be sent as a path segment and come
// back as the same login. Okta cannot resolve, even escaped, a "/"
// (405), nor "\", "[", "]", ";", "?", "#", control characters or "…"
// (400); "me" would name the token's own admin, and "." or ".." would
// change the path.
func pathSafe(ref string) bool {
	switch strings.ToLower(ref) {
	case "me", ".", "..":
		return false
	}
	if utf8.RuneCountInString(ref) > maxPathRunes {
		return false
	}
	return !strings.ContainsFunc(ref, func(r rune) bool {
		return strings.ContainsRune(`/\[];?#…`, r) || unicode.IsControl(r) ||
			r == '\u2028' || r == '\u2029'
	})
}

// looksLikeEmail reports whether ref could be an email address: text, an
// @ and a domain. It only decides whether an email search is worth a
// request, so it is lenient.
func looksLikeEmail(ref string) bool {
	at := strings.LastIndexByte(ref, '@')
	return at > 0 && at < len(ref)-1 && !strings.ContainsAny(ref, " \t\r\n")
}

// userPath is the escaped path of the user named ref.
func userPath(ref string) string { return usersPath + "/" + escapeSegment(ref) }

// escapeSegment percent-encodes every byte of s but the unreserved
// characters of RFC 3986 (letters, digits, "-", ".", "_", "~"). Unlike
// url.PathEscape it also escapes "+", "@", "$", "&", "=" and ":", which
// a server or proxy could read as something other than the login.
func escapeSegment(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if isUnreserved(ch) {
			b.WriteByte(ch)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[ch>>4])
		b.WriteByte(hex[ch&15])
	}
	return b.String()
}

// isUnreserved reports the bytes RFC 3986 lets through unescaped.
func isUnreserved(ch byte) bool {
	switch {
	case 'a' <= ch && ch <= 'z', 'A' <= ch && ch <= 'Z', '0' <= ch && ch <= '9':
		return true
	}
	return ch == '-' || ch == '.' || ch == '_' || ch == '~'
}
