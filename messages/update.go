package messages

import "encoding/json"

// decodeUpdateUser checks the params of update_user. Attributes keep the
// caller's raw JSON, so a null reaches Okta as a null (clear the
// attribute) while an absent attribute is left as it is.
func decodeUpdateUser(raw json.RawMessage) (*UpdateUserParams, *Error) {
	members, err := paramsObject(ActionUpdateUser, raw)
	if err != nil {
		return nil, err
	}
	p := &UpdateUserParams{}
	var in profileInput
	for _, m := range members {
		if err := p.readParam(m, &in); err != nil {
			return nil, err
		}
	}
	if p.UserID == "" {
		return nil, missingUserID()
	}
	attrs, err := in.merge(true)
	if err != nil {
		return nil, err
	}
	for name, v := range attrs {
		if p.Profile == nil {
			p.Profile = make(map[string]json.RawMessage, len(attrs))
		}
		p.Profile[name] = v.raw
	}
	if len(p.Profile) == 0 && p.TypeID == "" {
		return nil, invalidf("params has no change for update_user; give at least one of " +
			"first_name, last_name, email, login, mobile_phone, second_email, " +
			"a non-empty profile or type_id")
	}
	return p, nil
}

// readParam stores one params member of update_user in p, or in in when
// it is part of the profile.
func (p *UpdateUserParams) readParam(m member, in *profileInput) *Error {
	var err *Error
	switch m.name {
	case "user_id":
		p.UserID, err = stringAt(m.value, "params.user_id", checkUserID)
	case "profile":
		in.profile, err = readObject(m.value, "params.profile")
	case "type_id":
		if isNull(m.value) {
			return invalidf("params.type_id may not be null; leave it out to keep " +
				"the user's type, or give the new type's id")
		}
		p.TypeID, err = stringAt(m.value, "params.type_id", checkTypeID)
	default:
		if _, ok := namedAttr(m.name); !ok {
			return unknownParam(ActionUpdateUser, m.name)
		}
		in.named = append(in.named, m)
	}
	return err
}
