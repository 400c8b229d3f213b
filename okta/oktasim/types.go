package oktasim

import (
	"slices"
	"time"
)

// UserTypeSpec describes a user type added with [Server.AddUserTypeSpec].
type UserTypeSpec struct {
	Name        string // e.g. "contractor"; Okta requires ^[A-Za-z][A-Za-z0-9_]*$
	DisplayName string
	Description string

	// Required lists the profile attributes a user of this type must
	// have besides login and email, which every type requires. nil or
	// empty makes firstName and lastName optional, as an admin can in
	// a type's schema. The default type requires firstName and lastName.
	Required []string
}

// userType is a stored user type.
type userType struct {
	id, schemaID string
	spec         UserTypeSpec
	isDefault    bool
	created      time.Time
	createdBy    string
}

// userTypeBody is Okta's UserType object.
type userTypeBody struct {
	ID            string           `json:"id"`
	DisplayName   string           `json:"displayName"`
	Name          string           `json:"name"`
	Description   string           `json:"description"`
	CreatedBy     string           `json:"createdBy"`
	LastUpdatedBy string           `json:"lastUpdatedBy"`
	Created       jsonTime         `json:"created"`
	LastUpdated   jsonTime         `json:"lastUpdated"`
	Default       bool             `json:"default"`
	Links         map[string]*link `json:"_links"`
}

// link is a HAL link. Okta puts rel on type links and method on
// lifecycle links; empty ones are left out.
type link struct {
	Rel    string `json:"rel,omitempty"`
	Href   string `json:"href"`
	Method string `json:"method,omitempty"`
}

// AddUserType adds a user type whose users need firstName and lastName,
// like the default type, and returns its id.
func (s *Server) AddUserType(name, displayName, description string) string {
	return s.AddUserTypeSpec(UserTypeSpec{
		Name:        name,
		DisplayName: displayName,
		Description: description,
		Required:    []string{"firstName", "lastName"},
	})
}

// AddUserTypeSpec adds a user type with the given required attributes
// and returns its id.
func (s *Server) AddUserTypeSpec(spec UserTypeSpec) string {
	return s.addType(spec, false)
}

// DefaultTypeID returns the id of the org's default user type.
func (s *Server) DefaultTypeID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.defaultType
}

func (s *Server) addType(spec UserTypeSpec, isDefault bool) string {
	spec.Required = slices.Clone(spec.Required)
	t := &userType{
		schemaID:  randomID("osc", 17),
		spec:      spec,
		isDefault: isDefault,
		created:   s.Now(),
		createdBy: randomID("spr", 17),
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for t.id == "" || s.types[t.id] != nil {
		t.id = randomID("oty", 17)
	}
	s.types[t.id] = t
	s.typeOrder = append(s.typeOrder, t.id)
	return t.id
}

// body renders the type as Okta serves it, with links under base.
func (t *userType) body(base string) userTypeBody {
	self := base + "/api/v1/meta/types/user/" + t.id
	return userTypeBody{
		ID:            t.id,
		DisplayName:   t.spec.DisplayName,
		Name:          t.spec.Name,
		Description:   t.spec.Description,
		CreatedBy:     t.createdBy,
		LastUpdatedBy: t.createdBy,
		Created:       jsonTime(t.created),
		LastUpdated:   jsonTime(t.created),
		Default:       t.isDefault,
		Links: map[string]*link{
			"self":   {Rel: "self", Href: self, Method: "GET"},
			"schema": {Rel: "schema", Href: t.schemaHref(base), Method: "GET"},
		},
	}
}

func (t *userType) schemaHref(base string) string {
	return base + "/api/v1/meta/schemas/user/" + t.schemaID
}

// listUserTypes serves GET /api/v1/meta/types/user: every type, the
// default first, without paging.
func (s *Server) listUserTypes(ex *exchange) {
	base := baseURL(ex.r)
	s.mu.Lock()
	out := make([]userTypeBody, 0, len(s.typeOrder))
	for _, id := range s.typeOrder {
		out = append(out, s.types[id].body(base))
	}
	s.mu.Unlock()
	s.writeJSON(ex, 200, out)
}

// getUserType serves GET /api/v1/meta/types/user/{typeId}; "default"
// names the default type, as on Okta.
func (s *Server) getUserType(ex *exchange) {
	s.mu.Lock()
	id := ex.route.ref
	if id == "default" {
		id = s.defaultType
	}
	t := s.types[id]
	var body userTypeBody
	if t != nil {
		body = t.body(baseURL(ex.r))
	}
	s.mu.Unlock()
	if t == nil {
		s.writeError(ex, errNotFound(ex.route.ref, "CVDType"))
		return
	}
	s.writeJSON(ex, 200, body)
}
