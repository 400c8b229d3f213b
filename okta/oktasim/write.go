package oktasim

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// profile is a user's profile: attribute name to raw JSON value.
type profile = map[string]json.RawMessage

// maxBodyBytes bounds a request body; larger ones are malformed.
const maxBodyBytes = 1 << 20

// writeRequest is the body of a create (CreateUserRequest) or an update
// (UpdateUserRequest); unknown fields are ignored, as Okta does.
type writeRequest struct {
	Profile     map[string]json.RawMessage `json:"profile"`
	Credentials *credentialsInput          `json:"credentials"`
	GroupIDs    []string                   `json:"groupIds"`
	Type        *typeRef                   `json:"type"`
}

type credentialsInput struct {
	Password *struct {
		Value *string         `json:"value"`
		Hash  json.RawMessage `json:"hash"`
		Hook  json.RawMessage `json:"hook"`
	} `json:"password"`
	RecoveryQuestion *struct {
		Question string `json:"question"`
		Answer   string `json:"answer"`
	} `json:"recovery_question"`
	Provider *providerBody `json:"provider"`
}

// passwordValue returns the password value sent, and whether any
// password (value, hash or hook) was sent. An empty password object is
// no password, as on Okta.
func (c *credentialsInput) passwordValue() (value string, has bool) {
	if c == nil || c.Password == nil {
		return "", false
	}
	p := c.Password
	if p.Value != nil && *p.Value != "" {
		return *p.Value, true
	}
	return "", len(p.Hash) > 0 || len(p.Hook) > 0
}

// decodeBody reads a JSON object into v, answering 400 E0000003 when
// the body is not one.
func (s *Server) decodeBody(ex *exchange, v *writeRequest) bool {
	data, err := io.ReadAll(http.MaxBytesReader(ex.w, ex.r.Body, maxBodyBytes))
	if err == nil {
		err = decodeStrict(data, v)
	}
	if err != nil {
		s.writeError(ex, errMalformedBody())
		return false
	}
	return true
}

// decodeStrict decodes exactly one JSON object and compacts the profile
// values so they are stored without insignificant whitespace.
func decodeStrict(data []byte, v *writeRequest) error {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return errors.New("not an object")
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the object")
	}
	for k, raw := range v.Profile {
		var b bytes.Buffer
		if err := json.Compact(&b, raw); err != nil {
			return err
		}
		v.Profile[k] = b.Bytes()
	}
	return nil
}

// createUser serves POST /api/v1/users?activate=true|false.
func (s *Server) createUser(ex *exchange) {
	activate, ok := boolParam(ex.r, "activate", true)
	if !ok {
		s.writeError(ex, errValidation(fieldError{"activate", reasonType}))
		return
	}
	var req writeRequest
	if !s.decodeBody(ex, &req) {
		return
	}
	s.mu.Lock()
	body, apiErr := s.createLocked(ex, &req, activate)
	s.mu.Unlock()
	s.finishWrite(ex, body, apiErr)
}

// finishWrite answers a create or an update: 200 with the user, or the
// error. Okta sends no ETag on these answers.
func (s *Server) finishWrite(ex *exchange, body userBody, apiErr *apiError) {
	if apiErr != nil {
		s.writeError(ex, *apiErr)
		return
	}
	s.writeJSON(ex, http.StatusOK, body)
}

// createLocked validates and stores a new user. The caller holds s.mu.
func (s *Server) createLocked(ex *exchange, req *writeRequest, activate bool) (
	userBody, *apiError,
) {
	if len(req.GroupIDs) > maxGroupIDs {
		return userBody{}, ptr(errTooManyGroups())
	}
	if req.Profile == nil {
		return userBody{}, ptr(errValidation(fieldError{"profile", reasonBlank}))
	}
	t, apiErr := s.typeForCreateLocked(req.Type)
	if apiErr != nil {
		return userBody{}, apiErr
	}
	if errs := s.writeErrsLocked(req, t, ""); len(errs) > 0 {
		return userBody{}, ptr(errValidation(errs...))
	}
	u := newUser(req, t.id, activate, ex.now)
	s.storeLocked(u)
	return u.body(baseURL(ex.r), t, true), nil
}

// typeForCreateLocked returns the type a create names, the default one
// when it names none. An unknown id is a 400 E0000001 on the type
// field: Okta documents no 404 for createUser, and the simulator picks
// the validation error it documents.
func (s *Server) typeForCreateLocked(ref *typeRef) (*userType, *apiError) {
	if ref == nil || ref.ID == "" {
		return s.types[s.defaultType], nil
	}
	if t := s.types[ref.ID]; t != nil {
		return t, nil
	}
	return nil, ptr(errValidation(fieldError{"type", "Invalid user type id " + ref.ID}))
}

// writeErrsLocked validates the profile and password of a write. The
// caller holds s.mu.
func (s *Server) writeErrsLocked(req *writeRequest, t *userType, selfID string) []fieldError {
	errs := s.validateProfileLocked(req.Profile, t, selfID)
	if value, has := req.Credentials.passwordValue(); has && value != "" {
		errs = append(errs, passwordErr(value)...)
	}
	return errs
}

// newUser builds a created user. Its status follows Okta's table:
// activate=false is STAGED; activated with a password (or through a
// federated or social provider) is ACTIVE; activated without one is
// PROVISIONED, waiting for the user to set a password.
func newUser(req *writeRequest, typeID string, activate bool, now time.Time) *user {
	u := &user{
		typeID:      typeID,
		profile:     req.Profile,
		provider:    providerBody{Type: "OKTA", Name: "OKTA"},
		groupIDs:    req.GroupIDs,
		created:     now,
		lastUpdated: now,
	}
	u.setCredentials(req.Credentials, now)
	federated := u.provider.Type == "FEDERATION" || u.provider.Type == "SOCIAL"
	switch {
	case !activate:
		u.status = StatusStaged
	case u.password || federated:
		u.status, u.activated, u.statusChanged = StatusActive, now, now
	default:
		u.status, u.statusChanged = StatusProvisioned, now
	}
	return u
}

// setCredentials applies the credentials of a write. Absent parts keep
// what the user has.
func (u *user) setCredentials(c *credentialsInput, now time.Time) {
	if c == nil {
		return
	}
	if _, has := c.passwordValue(); has {
		u.password, u.passwordChanged = true, now
	}
	if c.RecoveryQuestion != nil && c.RecoveryQuestion.Question != "" {
		u.question = c.RecoveryQuestion.Question
	}
	if c.Provider != nil && c.Provider.Type != "" {
		u.provider = *c.Provider
		if u.provider.Name == "" {
			u.provider.Name = u.provider.Type
		}
	}
}

// replaceUser serves PUT /api/v1/users/{id}: the profile sent replaces
// the stored one whole, so attributes it omits are deleted; a request
// without a profile keeps the stored one, and one without credentials
// keeps the credentials. The user type may change.
func (s *Server) replaceUser(ex *exchange) { s.update(ex, true) }

// updateUser serves POST /api/v1/users/{id}: the attributes sent are
// merged into the stored profile (a JSON null stores null); the type,
// when sent, must be the user's current one.
func (s *Server) updateUser(ex *exchange) { s.update(ex, false) }

func (s *Server) update(ex *exchange, replace bool) {
	var req writeRequest
	if !s.decodeBody(ex, &req) {
		return
	}
	s.mu.Lock()
	body, apiErr := s.updateLocked(ex, &req, replace)
	s.mu.Unlock()
	s.finishWrite(ex, body, apiErr)
}

// updateLocked checks and applies an update. The caller holds s.mu.
func (s *Server) updateLocked(ex *exchange, req *writeRequest, replace bool) (
	userBody, *apiError,
) {
	u := s.findLocked(ex.route.ref)
	switch {
	case u == nil:
		return userBody{}, ptr(errNotFound(ex.route.ref, "User"))
	case u.transitioning != "":
		return userBody{}, ptr(errStillActivating())
	case !ifMatch(ex.r.Header.Get("If-Match"), u.etag()):
		return userBody{}, ptr(errPrecondition())
	}
	t, apiErr := s.typeForUpdateLocked(u, req.Type, replace)
	if apiErr != nil {
		return userBody{}, apiErr
	}
	req.Profile = nextProfile(u.profile, req.Profile, replace)
	if errs := s.writeErrsLocked(req, t, u.id); len(errs) > 0 {
		return userBody{}, ptr(errValidation(errs...))
	}
	delete(s.logins, foldLogin(u.login()))
	u.profile, u.typeID = req.Profile, t.id
	s.logins[foldLogin(u.login())] = u.id
	u.setCredentials(req.Credentials, ex.now)
	u.lastUpdated = ex.now
	u.version++
	return u.body(baseURL(ex.r), t, true), nil
}

// typeForUpdateLocked returns the type a user will have after an
// update. A partial update may only name the current type.
func (s *Server) typeForUpdateLocked(u *user, ref *typeRef, replace bool) (
	*userType, *apiError,
) {
	if ref == nil || ref.ID == "" || ref.ID == u.typeID {
		return s.types[u.typeID], nil
	}
	if !replace {
		return nil, ptr(errValidation(fieldError{"type",
			"The user type can only be changed with a full replacement (PUT)"}))
	}
	if t := s.types[ref.ID]; t != nil {
		return t, nil
	}
	return nil, ptr(errValidation(fieldError{"type", "Invalid user type id " + ref.ID}))
}

// nextProfile returns the profile a write leaves: the one sent for a
// replace, the stored one merged with the one sent for a partial
// update, and a copy of the stored one when none was sent.
func nextProfile(stored, sent profile, replace bool) profile {
	switch {
	case sent == nil:
		return maps.Clone(stored)
	case replace:
		return sent
	}
	merged := maps.Clone(stored)
	if merged == nil {
		merged = map[string]json.RawMessage{}
	}
	maps.Copy(merged, sent)
	return merged
}

// ifMatch reports whether an If-Match header admits the current ETag.
// An absent header admits anything; weak and strong forms of one tag
// match each other, as in a weak comparison.
func ifMatch(header, etag string) bool {
	if strings.TrimSpace(header) == "" {
		return true
	}
	want := strings.TrimPrefix(etag, "W/")
	for _, tag := range strings.Split(header, ",") {
		tag = strings.TrimSpace(tag)
		if tag == "*" || strings.TrimPrefix(tag, "W/") == want {
			return true
		}
	}
	return false
}

// boolParam reads a boolean query parameter; ok is false when it is
// present but not a boolean.
func boolParam(r *http.Request, name string, def bool) (v, ok bool) {
	raw := r.URL.Query().Get(name)
	if raw == "" {
		return def, true
	}
	v, err := strconv.ParseBool(raw)
	return v, err == nil
}

func ptr[T any](v T) *T { return &v }
