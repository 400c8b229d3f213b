package oktasim

import (
	"encoding/json"
	"math/big"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Page sizes of GET /api/v1/users.
const (
	defaultPageSize  = 200
	defaultQPageSize = 10
	maxPageSize      = 200
)

// match reports whether the user's attribute compares as the condition
// asks. An array attribute matches when one of its elements does.
func (c cond) match(u *user) bool {
	v, ok := attrValue(u, c.attr)
	if c.op == "pr" {
		return ok && string(v) != "null"
	}
	if !ok {
		return false
	}
	var elems []json.RawMessage
	if json.Unmarshal(v, &elems) == nil {
		for _, e := range elems {
			if compare(e, c.value, c.op, c.foldCase) {
				return true
			}
		}
		return false
	}
	return compare(v, c.value, c.op, c.foldCase)
}

// attrValue returns an attribute of a user as JSON.
func attrValue(u *user, attr string) (json.RawMessage, bool) {
	if name, ok := strings.CutPrefix(attr, "profile."); ok {
		v, found := u.profile[name]
		return v, found
	}
	var v any
	switch attr {
	case "id":
		v = u.id
	case "status":
		v = u.status
	case "type.id":
		v = u.typeID
	case "created":
		v = jsonTime(u.created)
	case "activated":
		v = jsonTime(u.activated)
	case "statusChanged":
		v = jsonTime(u.statusChanged)
	case "lastUpdated":
		v = jsonTime(u.lastUpdated)
	default:
		return nil, false
	}
	raw, err := json.Marshal(v)
	return raw, err == nil
}

// compare applies op to a stored value a and a literal b: strings
// compare as strings (ignoring case when fold is set), numbers
// numerically and exactly, booleans only for equality.
func compare(a, b json.RawMessage, op string, fold bool) bool {
	var sa, sb string
	if json.Unmarshal(a, &sa) == nil && json.Unmarshal(b, &sb) == nil {
		if fold {
			sa, sb = strings.ToLower(sa), strings.ToLower(sb)
		}
		return compareStrings(sa, sb, op)
	}
	ra, okA := new(big.Rat).SetString(string(a))
	rb, okB := new(big.Rat).SetString(string(b))
	if okA && okB {
		return ordered(ra.Cmp(rb), op)
	}
	return op == "eq" && string(a) == string(b)
}

func compareStrings(a, b, op string) bool {
	switch op {
	case "sw":
		return strings.HasPrefix(a, b)
	case "co":
		return strings.Contains(a, b)
	}
	return ordered(strings.Compare(a, b), op)
}

// ordered turns a comparison result into the answer of op.
func ordered(cmp int, op string) bool {
	switch op {
	case "eq":
		return cmp == 0
	case "gt":
		return cmp > 0
	case "ge":
		return cmp >= 0
	case "lt":
		return cmp < 0
	case "le":
		return cmp <= 0
	}
	return false
}

// listQuery is what GET /api/v1/users asks for.
type listQuery struct {
	match      func(u *user) bool
	limit      int
	after      string
	withDeprov bool // search returns DEPROVISIONED users; list, filter and q do not
}

// listUsers serves GET /api/v1/users: ?search= (preferred when several
// are given), ?filter=, ?q= or a plain list, paged by ?limit= and
// ?after= with Link headers. Results come in creation order. Okta's
// search index is eventually consistent; the simulator's is immediate.
// sortBy and sortOrder are ignored.
func (s *Server) listUsers(ex *exchange) {
	q, apiErr := parseListQuery(ex.r.URL.Query())
	if apiErr != nil {
		s.writeError(ex, *apiErr)
		return
	}
	base := baseURL(ex.r)
	s.mu.Lock()
	page, more := s.pageLocked(q)
	out := make([]userBody, 0, len(page))
	for _, u := range page {
		out = append(out, u.body(base, s.types[u.typeID], false))
	}
	s.mu.Unlock()

	ex.header = pageLinks(base, ex.r.URL.Query(), page, more)
	s.writeJSON(ex, http.StatusOK, out)
}

// parseListQuery reads the parameters of a list. Go's url.ParseQuery
// has already turned "+" into a space, as Okta does.
func parseListQuery(v url.Values) (listQuery, *apiError) {
	q := listQuery{match: func(*user) bool { return true }, limit: defaultPageSize}
	var err error
	switch {
	case v.Has("search"):
		var e expr
		e, err = parseExpr(v.Get("search"), false)
		if err == nil {
			q.match, q.withDeprov = e.match, true
		}
	case v.Has("filter"):
		var e expr
		e, err = parseExpr(v.Get("filter"), true)
		if err == nil {
			q.match = e.match
		}
	case v.Has("q"):
		q.match, q.limit = startsWith(v.Get("q")), defaultQPageSize
	}
	if err != nil {
		return q, ptr(errInvalidSearch())
	}
	if raw := v.Get("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 {
			return q, ptr(errValidation(fieldError{"limit", reasonType}))
		}
		q.limit = min(n, maxPageSize)
	}
	q.after = v.Get("after")
	return q, nil
}

// startsWith is ?q=: a prefix of firstName, lastName or email, any case.
func startsWith(prefix string) func(u *user) bool {
	prefix = strings.ToLower(prefix)
	return func(u *user) bool {
		for _, name := range []string{"firstName", "lastName", "email"} {
			if strings.HasPrefix(strings.ToLower(stringAttr(u.profile, name)), prefix) {
				return true
			}
		}
		return false
	}
}

// pageLocked returns the users of one page and whether more follow.
// The caller holds s.mu.
func (s *Server) pageLocked(q listQuery) (page []*user, more bool) {
	started := q.after == ""
	for _, id := range s.order {
		if !started {
			started = id == q.after
			continue
		}
		u := s.users[id]
		if (u.status == StatusDeprovisioned && !q.withDeprov) || !q.match(u) {
			continue
		}
		if len(page) == q.limit {
			return page, true
		}
		page = append(page, u)
	}
	return page, false
}

// pageLinks returns the Link headers of a page: self, and next with an
// after cursor when more users follow.
func pageLinks(base string, v url.Values, page []*user, more bool) http.Header {
	h := http.Header{}
	h.Add("Link", "<"+usersURL(base, v)+`>; rel="self"`)
	if more && len(page) > 0 {
		next := url.Values{}
		for k, vs := range v {
			next[k] = vs
		}
		next.Set("after", page[len(page)-1].id)
		h.Add("Link", "<"+usersURL(base, next)+`>; rel="next"`)
	}
	return h
}

func usersURL(base string, v url.Values) string {
	if len(v) == 0 {
		return base + "/api/v1/users"
	}
	return base + "/api/v1/users?" + v.Encode()
}
