package oktasim

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// User statuses the simulator produces.
const (
	StatusStaged        = "STAGED"
	StatusProvisioned   = "PROVISIONED"
	StatusActive        = "ACTIVE"
	StatusSuspended     = "SUSPENDED"
	StatusDeprovisioned = "DEPROVISIONED"
)

// maxGroupIDs is how many groups a create may name.
const maxGroupIDs = 20

// user is a stored user. Profile values are raw JSON, compacted, so
// numbers and nested values come back exactly as they were sent.
type user struct {
	id            string
	status        string
	transitioning string // target of a running activation, "" when none
	typeID        string
	profile       map[string]json.RawMessage
	password      bool
	question      string
	provider      providerBody
	groupIDs      []string
	version       int // bumped on every change, for the ETag

	created, activated, statusChanged, lastUpdated, passwordChanged time.Time
}

// userBody is Okta's User object, with its fields in Okta's order.
type userBody struct {
	ID                    string                     `json:"id"`
	Status                string                     `json:"status"`
	TransitioningToStatus string                     `json:"transitioningToStatus,omitempty"`
	Created               jsonTime                   `json:"created"`
	Activated             jsonTime                   `json:"activated"`
	StatusChanged         jsonTime                   `json:"statusChanged"`
	LastLogin             jsonTime                   `json:"lastLogin"`
	LastUpdated           jsonTime                   `json:"lastUpdated"`
	PasswordChanged       jsonTime                   `json:"passwordChanged"`
	Type                  typeRef                    `json:"type"`
	Profile               map[string]json.RawMessage `json:"profile"`
	Credentials           credentialsBody            `json:"credentials"`
	Links                 map[string]*link           `json:"_links"`
}

type typeRef struct {
	ID string `json:"id"`
}

// credentialsBody is what Okta shows of credentials: that a password
// exists (an empty object), the recovery question, the provider.
type credentialsBody struct {
	Password         *struct{}     `json:"password,omitempty"`
	RecoveryQuestion *questionBody `json:"recovery_question,omitempty"`
	Provider         providerBody  `json:"provider"`
}

type questionBody struct {
	Question string `json:"question"`
}

type providerBody struct {
	Type string `json:"type"`
	Name string `json:"name"`
}

// alwaysShown are the profile attributes Okta returns as null when
// they are unset.
var alwaysShown = []string{"mobilePhone", "secondEmail"}

// lifecycleLinks are the lifecycle operations offered by status.
var lifecycleLinks = map[string][]string{
	StatusStaged:        {"activate", "deactivate"},
	StatusProvisioned:   {"reactivate", "deactivate", "resetPassword"},
	StatusActive:        {"suspend", "deactivate", "resetPassword", "expirePassword", "resetFactors"},
	StatusSuspended:     {"unsuspend", "deactivate"},
	StatusDeprovisioned: {"activate"},
}

// body renders the user as Okta serves it. A single user carries every
// link; a user in a collection only its self link.
func (u *user) body(base string, t *userType, single bool) userBody {
	self := base + "/api/v1/users/" + u.id
	b := userBody{
		ID:                    u.id,
		Status:                u.status,
		TransitioningToStatus: u.transitioning,
		Created:               jsonTime(u.created),
		Activated:             jsonTime(u.activated),
		StatusChanged:         jsonTime(u.statusChanged),
		LastUpdated:           jsonTime(u.lastUpdated),
		PasswordChanged:       jsonTime(u.passwordChanged),
		Type:                  typeRef{ID: u.typeID},
		Profile:               u.shownProfile(),
		Credentials:           credentialsBody{Provider: u.provider},
		Links:                 map[string]*link{"self": {Href: self}},
	}
	if u.password {
		b.Credentials.Password = &struct{}{}
	}
	if u.question != "" {
		b.Credentials.RecoveryQuestion = &questionBody{Question: u.question}
	}
	if single {
		b.Links["type"] = &link{Href: base + "/api/v1/meta/types/user/" + u.typeID}
		b.Links["schema"] = &link{Href: t.schemaHref(base)}
		for _, op := range lifecycleLinks[u.status] {
			href := self + "/lifecycle/" + op
			b.Links[op] = &link{Href: href, Method: http.MethodPost}
		}
	}
	return b
}

// shownProfile returns a copy of the profile with the always-shown
// attributes set to null when absent.
func (u *user) shownProfile() map[string]json.RawMessage {
	p := maps.Clone(u.profile)
	if p == nil {
		p = map[string]json.RawMessage{}
	}
	for _, k := range alwaysShown {
		if _, ok := p[k]; !ok {
			p[k] = json.RawMessage("null")
		}
	}
	return p
}

// etag is the weak entity tag of the user's current version.
func (u *user) etag() string {
	sum := sha256.Sum256([]byte(u.id + "/" + strconv.Itoa(u.version)))
	return `W/"` + hex.EncodeToString(sum[:]) + `"`
}

// login returns the profile's login, "" when it is not a string.
func (u *user) login() string { return stringAttr(u.profile, "login") }

// stringAttr returns a string attribute of a profile, "" when it is
// absent or not a string.
func stringAttr(p map[string]json.RawMessage, name string) string {
	var v string
	if raw, ok := p[name]; ok && json.Unmarshal(raw, &v) == nil {
		return v
	}
	return ""
}

// foldLogin is the form under which logins are unique: case-folded.
// Okta also folds diacritics; the simulator does not.
func foldLogin(login string) string { return strings.ToLower(login) }

// findLocked resolves a path reference: an id, a login (any case), or
// the part of a login before "@" when exactly one user has it. "me"
// would be the token's owner on Okta; the simulator has no owner and
// answers it as an unknown user. The caller holds s.mu.
func (s *Server) findLocked(ref string) *user {
	if ref == "me" {
		return nil
	}
	if u := s.users[ref]; u != nil {
		return u
	}
	if id, ok := s.logins[foldLogin(ref)]; ok {
		return s.users[id]
	}
	if strings.Contains(ref, "@") {
		return nil
	}
	var found *user
	for _, id := range s.order {
		u := s.users[id]
		short, _, _ := strings.Cut(u.login(), "@")
		if strings.EqualFold(short, ref) {
			if found != nil {
				return nil
			}
			found = u
		}
	}
	return found
}

// getUser serves GET /api/v1/users/{id or login}, with an ETag.
func (s *Server) getUser(ex *exchange) {
	s.mu.Lock()
	u := s.findLocked(ex.route.ref)
	var body userBody
	var etag string
	if u != nil {
		body = u.body(baseURL(ex.r), s.types[u.typeID], true)
		etag = u.etag()
	}
	s.mu.Unlock()

	if u == nil {
		s.writeError(ex, errNotFound(ex.route.ref, "User"))
		return
	}
	ex.header = http.Header{"Etag": {etag}}
	s.writeJSON(ex, http.StatusOK, body)
}

// deleteUser serves DELETE /api/v1/users/{id}: the first call
// deactivates the user, a second one deletes it, as on Okta.
func (s *Server) deleteUser(ex *exchange) {
	s.mu.Lock()
	u := s.findLocked(ex.route.ref)
	switch {
	case u == nil:
	case u.status != StatusDeprovisioned:
		u.status, u.transitioning = StatusDeprovisioned, ""
		u.statusChanged, u.lastUpdated = ex.now, ex.now
		u.version++
	default:
		s.removeLocked(u)
	}
	s.mu.Unlock()

	if u == nil {
		s.writeError(ex, errNotFound(ex.route.ref, "User"))
		return
	}
	s.writeNoContent(ex)
}

// removeLocked forgets a user. The caller holds s.mu.
func (s *Server) removeLocked(u *user) {
	delete(s.users, u.id)
	if id := s.logins[foldLogin(u.login())]; id == u.id {
		delete(s.logins, foldLogin(u.login()))
	}
	s.order = slices.DeleteFunc(s.order, func(id string) bool { return id == u.id })
}

// storeLocked adds a new user under a fresh id. The caller holds s.mu
// and has checked that the login is free.
func (s *Server) storeLocked(u *user) {
	for u.id == "" || s.users[u.id] != nil {
		u.id = randomID("00u", 17)
	}
	u.version = 1
	s.users[u.id] = u
	s.order = append(s.order, u.id)
	s.logins[foldLogin(u.login())] = u.id
}
