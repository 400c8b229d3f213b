package messages

import (
	"encoding/json"
	"strings"
)

// attr is a profile attribute that a request may set through a named
// param as well as through params.profile.
type attr struct {
	param    string // the params field, e.g. first_name
	okta     string // Okta's attribute name, e.g. firstName
	check    check
	required bool // Okta requires a value, so update_user may not clear it
}

// namedAttrs are the attributes with named params, in the order their
// errors are reported.
var namedAttrs = []attr{
	{param: "email", okta: "email", check: checkEmail, required: true},
	{param: "login", okta: "login", check: checkLogin, required: true},
	{param: "first_name", okta: "firstName", check: checkName},
	{param: "last_name", okta: "lastName", check: checkName},
	{param: "mobile_phone", okta: "mobilePhone", check: checkPhone},
	{param: "second_email", okta: "secondEmail", check: checkEmail},
}

// namedAttr returns the attribute whose named param is param.
func namedAttr(param string) (attr, bool) {
	for _, a := range namedAttrs {
		if a.param == param {
			return a, true
		}
	}
	return attr{}, false
}

// profileValue is one attribute value as the caller gave it, with the
// place it came from for error messages.
type profileValue struct {
	path string
	raw  json.RawMessage
}

// profileInput is what a request says about the user's profile: the
// named params it gave and the members of params.profile.
type profileInput struct {
	named   []member
	profile []member
}

// merge combines the named params and params.profile into one map keyed
// by Okta attribute name. A named param and a profile key for the same
// attribute must agree, so that no value silently wins. nullable says
// whether attributes that Okta does not require may be cleared with
// null (update_user) or must be strings (create_user).
func (in profileInput) merge(nullable bool) (map[string]profileValue, *Error) {
	out := make(map[string]profileValue, len(in.named)+len(in.profile))
	for _, m := range in.profile {
		if strings.TrimSpace(m.name) == "" {
			return nil, invalidf("params.profile has an empty attribute name; " +
				"use Okta attribute names such as firstName")
		}
		out[m.name] = profileValue{path: "params.profile." + m.name, raw: m.value}
	}
	for _, m := range in.named {
		a, _ := namedAttr(m.name)
		named := profileValue{path: "params." + a.param, raw: m.value}
		if prev, ok := out[a.okta]; ok && !sameJSON(prev.raw, m.value) {
			return nil, invalidf("%s and %s give different values; give the attribute once",
				named.path, prev.path)
		}
		out[a.okta] = named
	}
	return out, checkNamed(out, nullable)
}

// checkNamed checks the named attributes in attrs, however they were
// given.
func checkNamed(attrs map[string]profileValue, nullable bool) *Error {
	for _, a := range namedAttrs {
		v, ok := attrs[a.okta]
		if !ok {
			continue
		}
		if isNull(v.raw) && nullable && a.required {
			return invalidf("%s may not be null because Okta requires every user to have one; "+
				"give a new value or leave it out", v.path)
		}
		if isNull(v.raw) && nullable {
			continue
		}
		if _, err := stringAt(v.raw, v.path, a.check); err != nil {
			return err
		}
	}
	return nil
}
