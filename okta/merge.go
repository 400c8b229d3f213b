package okta

import (
	"bytes"
	"encoding/json"
)

// replaceBody builds the PUT body that writes ch into the user object
// user (as Okta returned it): the merged profile, the type and the realm.
//
// The profile is merged with [mergeObject], so every attribute ch does
// not name keeps its exact bytes: null, "", [], false, integers beyond
// 2^53 and nested objects alike. Nothing is decoded into Go values on
// the way.
func replaceBody(user []byte, ch UserChanges) ([]byte, error) {
	_, members, err := scanObject(user)
	if err != nil {
		return nil, err
	}
	profile, err := mergeObject(memberValue(members, "profile"), ch.Profile)
	if err != nil {
		return nil, err
	}

	var b bytes.Buffer
	b.WriteString(`{"profile":`)
	b.Write(profile)

	// A PUT replaces the user, so it states the type even when it does
	// not change: the current one unless the changes name another.
	typeID := ch.TypeID
	if typeID == "" {
		typeID = currentTypeID(memberValue(members, "type"))
	}
	if typeID != "" {
		writeTypeRef(&b, typeID)
	}

	// The realm goes back as it was, so a replace cannot move the user
	// out of it.
	if realm := memberValue(members, "realmId"); isJSONString(realm) {
		b.WriteString(`,"realmId":`)
		b.Write(realm)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// currentTypeID returns type.id from a user's "type" value, or "".
func currentTypeID(typ json.RawMessage) string {
	var t struct {
		ID string `json:"id"`
	}
	if len(typ) == 0 || json.Unmarshal(typ, &t) != nil {
		return ""
	}
	return t.ID
}

// isJSONString reports whether v is a non-empty JSON string.
func isJSONString(v json.RawMessage) bool {
	var s string
	return len(v) > 0 && v[0] == '"' && json.Unmarshal(v, &s) == nil && s != ""
}
