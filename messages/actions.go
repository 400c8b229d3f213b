package messages

import (
	"encoding/json"
	"fmt"
	"strings"
)

// The params each action accepts, in the order the design lists them.
var (
	createUserParams = []string{
		"email", "first_name", "last_name", "login", "mobile_phone", "second_email",
		"profile", "type_id", "activate", "password", "group_ids",
	}
	getUserParams    = []string{"user_id"}
	updateUserParams = []string{
		"user_id", "first_name", "last_name", "email", "login", "mobile_phone",
		"second_email", "profile", "type_id",
	}
)

// actionParams maps each action to the params it accepts.
var actionParams = map[Action][]string{
	ActionCreateUser:        createUserParams,
	ActionGetUser:           getUserParams,
	ActionListTypeIDOptions: nil,
	ActionUpdateUser:        updateUserParams,
}

// knownAction reports whether a is one of [Actions].
func knownAction(a Action) bool {
	_, ok := actionParams[a]
	return ok
}

// unknownAction is the error for a subject whose action token is not an
// action.
func unknownAction(a Action) *Error {
	names := make([]string, len(Actions))
	for i, known := range Actions {
		names[i] = string(known)
	}
	return &Error{Code: CodeUnknownAction, Message: fmt.Sprintf(
		"action %q in the subject is not an action; expected one of %s",
		clip(string(a)), strings.Join(names, ", "))}
}

// decodeParams checks raw, the params member of a request (nil when
// absent), against action a, which is known.
func decodeParams(a Action, raw json.RawMessage) (any, *Error) {
	switch a {
	case ActionCreateUser:
		return decodeCreateUser(raw)
	case ActionGetUser:
		return decodeGetUser(raw)
	case ActionUpdateUser:
		return decodeUpdateUser(raw)
	}
	return decodeListTypeIDOptions(raw)
}

// paramsObject returns the members of the params of an action that
// requires them.
func paramsObject(a Action, raw json.RawMessage) ([]member, *Error) {
	if raw == nil {
		return nil, invalidf("params is missing; %s needs an object with %s",
			a, strings.Join(requiredParams(a), " and "))
	}
	return readObject(raw, "params")
}

// requiredParams names what an action needs at least, for messages.
func requiredParams(a Action) []string {
	if a == ActionCreateUser {
		return []string{"email", "first_name", "last_name"}
	}
	return []string{"user_id"}
}

// unknownParam is the error for a params field the action does not take.
func unknownParam(a Action, name string) *Error {
	return invalidf("params.%s is not a parameter of %s; expected one of %s",
		clip(name), a, strings.Join(actionParams[a], ", "))
}

// decodeGetUser checks the params of get_user.
func decodeGetUser(raw json.RawMessage) (*GetUserParams, *Error) {
	members, err := paramsObject(ActionGetUser, raw)
	if err != nil {
		return nil, err
	}
	p := &GetUserParams{}
	for _, m := range members {
		if m.name != "user_id" {
			return nil, unknownParam(ActionGetUser, m.name)
		}
		if p.UserID, err = stringAt(m.value, "params.user_id", checkUserID); err != nil {
			return nil, err
		}
	}
	if p.UserID == "" {
		return nil, missingUserID()
	}
	return p, nil
}

// missingUserID is the error for get_user or update_user without user_id.
func missingUserID() *Error {
	return invalidf("params.user_id is missing; give the user's Okta id, login or email address")
}

// decodeListTypeIDOptions checks that list_type_id_options has no
// params: absent, null or an empty object.
func decodeListTypeIDOptions(raw json.RawMessage) (*ListTypeIDOptionsParams, *Error) {
	if raw == nil || isNull(raw) {
		return &ListTypeIDOptionsParams{}, nil
	}
	members, err := readObject(raw, "params")
	if err != nil {
		return nil, invalidf("params must be absent, null or {} for list_type_id_options, got %s",
			kindOf(raw))
	}
	if len(members) > 0 {
		return nil, invalidf("params.%s is not a parameter of list_type_id_options; "+
			"this action takes no params", clip(members[0].name))
	}
	return &ListTypeIDOptionsParams{}, nil
}
