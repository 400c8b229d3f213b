package oktasim

import (
	"encoding/json"
	"fmt"
	"slices"
)

// AddUser stores a user as if created with activate=false, bypassing
// rate limits and faults, and returns its id. It is for seeding tests.
// The profile is not validated, so tests can seed what Okta would hold
// after schema changes; values are stored as their JSON encoding (a
// json.RawMessage or json.Number keeps its exact text). It panics when
// the login is taken or a value cannot be encoded, both bugs in the
// test that seeds.
func (s *Server) AddUser(profile map[string]any) string {
	p := make(map[string]json.RawMessage, len(profile))
	for k, v := range profile {
		raw, err := json.Marshal(v)
		if err != nil {
			panic(fmt.Sprintf("oktasim: AddUser: attribute %q: %v", k, err))
		}
		p[k] = raw
	}
	now := s.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, taken := s.logins[foldLogin(stringAttr(p, "login"))]; taken {
		panic("oktasim: AddUser: login already exists")
	}
	u := &user{
		status:      StatusStaged,
		typeID:      s.defaultType,
		profile:     p,
		provider:    providerBody{Type: "OKTA", Name: "OKTA"},
		created:     now,
		lastUpdated: now,
	}
	s.storeLocked(u)
	return u.id
}

// Users returns a copy of every stored user as Okta would serve it, in
// creation order, links included.
func (s *Server) Users() []json.RawMessage {
	base := s.base()
	s.mu.Lock()
	bodies := make([]userBody, 0, len(s.order))
	for _, id := range s.order {
		u := s.users[id]
		bodies = append(bodies, u.body(base, s.types[u.typeID], true))
	}
	s.mu.Unlock()
	return encodeAll(bodies)
}

// User returns one user, found as GET /api/v1/users/{ref} finds it, as
// Okta would serve it; ok is false when there is none.
func (s *Server) User(ref string) (body json.RawMessage, ok bool) {
	base := s.base()
	s.mu.Lock()
	u := s.findLocked(ref)
	var b userBody
	if u != nil {
		b = u.body(base, s.types[u.typeID], true)
	}
	s.mu.Unlock()
	if u == nil {
		return nil, false
	}
	return encodeAll([]userBody{b})[0], true
}

// CountByLogin returns how many users have the login, ignoring case:
// 0 or 1 while logins stay unique, which is what a test of duplicate
// creates checks.
func (s *Server) CountByLogin(login string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, u := range s.users {
		if foldLogin(u.login()) == foldLogin(login) {
			n++
		}
	}
	return n
}

// Len returns how many users the org holds.
func (s *Server) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.users)
}

// GroupIDs returns the group ids the user was created with.
func (s *Server) GroupIDs(ref string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.findLocked(ref); u != nil {
		return slices.Clone(u.groupIDs)
	}
	return nil
}

// SetStatus sets a user's status, as a lifecycle operation would, and
// reports whether the user exists.
func (s *Server) SetStatus(ref, status string) bool {
	now := s.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.findLocked(ref)
	if u == nil {
		return false
	}
	u.status, u.statusChanged, u.lastUpdated = status, now, now
	u.version++
	return true
}

// SetActivating marks a user's activation as running (to is the target
// status, usually ACTIVE) or, with to == "", as finished. While it
// runs the user shows transitioningToStatus and updates answer 409
// E0000112, as on Okta. It reports whether the user exists.
func (s *Server) SetActivating(ref, to string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.findLocked(ref)
	if u == nil {
		return false
	}
	u.transitioning = to
	return true
}

// encodeAll encodes each body as the server would answer it.
func encodeAll(bodies []userBody) []json.RawMessage {
	out := make([]json.RawMessage, 0, len(bodies))
	for _, b := range bodies {
		raw, err := encodeJSON(b)
		if err != nil {
			// Bodies hold only valid JSON built by this package.
			panic("oktasim: encoding a stored user: " + err.Error())
		}
		out = append(out, raw)
	}
	return out
}
