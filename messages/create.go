package messages

import (
	"encoding/json"
	"strconv"
)

// decodeCreateUser checks the params of create_user.
func decodeCreateUser(raw json.RawMessage) (*CreateUserParams, *Error) {
	members, err := paramsObject(ActionCreateUser, raw)
	if err != nil {
		return nil, err
	}
	p := &CreateUserParams{Activate: true}
	var in profileInput
	for _, m := range members {
		if err := p.readParam(m, &in); err != nil {
			return nil, err
		}
	}
	attrs, err := in.merge(false)
	if err != nil {
		return nil, err
	}
	if err := p.setAttrs(attrs); err != nil {
		return nil, err
	}
	return p, nil
}

// readParam stores one params member of create_user in p, or in in when
// it is part of the profile, whose checks need every member first.
func (p *CreateUserParams) readParam(m member, in *profileInput) *Error {
	var err *Error
	switch m.name {
	case "profile":
		in.profile, err = readObject(m.value, "params.profile")
	case "type_id":
		p.TypeID, err = stringAt(m.value, "params.type_id", checkTypeID)
	case "activate":
		p.Activate, err = boolAt(m.value, "params.activate")
	case "password":
		var pw string
		pw, err = stringAt(m.value, "params.password", checkPassword)
		p.Password = NewSecret(pw)
	case "group_ids":
		p.GroupIDs, err = groupIDs(m.value)
	default:
		if _, ok := namedAttr(m.name); !ok {
			return unknownParam(ActionCreateUser, m.name)
		}
		in.named = append(in.named, m)
	}
	return err
}

// setAttrs moves the checked profile attributes into p: the named ones
// into their fields, the others into p.Profile. It enforces what a new
// user needs and defaults the login to the email address.
func (p *CreateUserParams) setAttrs(attrs map[string]profileValue) *Error {
	fields := map[string]*string{
		"email": &p.Email, "login": &p.Login, "firstName": &p.FirstName,
		"lastName": &p.LastName, "mobilePhone": &p.MobilePhone, "secondEmail": &p.SecondEmail,
	}
	for name, v := range attrs {
		field, ok := fields[name]
		if !ok {
			if p.Profile == nil {
				p.Profile = make(map[string]json.RawMessage)
			}
			p.Profile[name] = v.raw
			continue
		}
		// checkNamed has made sure this is a string.
		_ = json.Unmarshal(v.raw, field)
	}
	if p.Login == "" {
		p.Login = p.Email
	}
	return p.checkRequired()
}

// checkRequired enforces the attributes a new user must have. Names are
// required only for the default user type: a type given by type_id may
// not need them, and Okta checks that itself.
func (p *CreateUserParams) checkRequired() *Error {
	switch {
	case p.Email == "":
		return invalidf("params.email is missing; give the new user's email address")
	case p.TypeID == "" && p.FirstName == "":
		return invalidf("params.first_name is missing; give the new user's first name " +
			"(only a user type given by type_id may do without)")
	case p.TypeID == "" && p.LastName == "":
		return invalidf("params.last_name is missing; give the new user's last name " +
			"(only a user type given by type_id may do without)")
	}
	return nil
}

// groupIDs checks params.group_ids: at most 20 non-empty strings.
func groupIDs(raw json.RawMessage) ([]string, *Error) {
	if k := kindOf(raw); k != "array" {
		return nil, invalidf("params.group_ids must be an array of group ids, got %s", k)
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, invalidf("params.group_ids must be an array of group ids")
	}
	if len(items) > maxGroupIDs {
		return nil, invalidf("params.group_ids has %d entries; Okta takes at most %d "+
			"at create time", len(items), maxGroupIDs)
	}
	ids := make([]string, len(items))
	for i, item := range items {
		path := "params.group_ids[" + strconv.Itoa(i) + "]"
		id, err := stringAt(item, path, checkGroupID)
		if err != nil {
			return nil, err
		}
		ids[i] = id
	}
	return ids, nil
}

// checkGroupID checks one group id.
func checkGroupID(s string) string {
	if s == "" {
		return "must be a group id such as 00g1a2b3c4d5e6f7g8h9, not empty"
	}
	return ""
}
