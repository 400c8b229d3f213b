// Package messages is the wire contract of okta-worker: the subjects
// requests and replies travel on, the request and reply types, strict
// decoding of requests, and the error codes a reply can carry.
//
// A request is published on <prefix>.requests.<tenant>.<action> (see
// [Subjects]). [Subjects.Decode] checks it strictly: unknown fields, wrong
// types and bad values are rejected with an [*Error] whose message names
// the field, so a typo never silently does less than asked. The same
// contract is published as JSON Schema for publishers in other languages:
// [RequestSchema] and [ReplySchema].
//
// Publishers written in Go can import this package to build requests and
// read replies; it has no dependency on NATS or Okta and never logs.
package messages

import (
	"encoding/json"
	"time"
)

// Action names an operation the worker performs against Okta.
type Action string

// The actions the worker knows.
const (
	ActionCreateUser        Action = "create_user"
	ActionGetUser           Action = "get_user"
	ActionListTypeIDOptions Action = "list_type_id_options"
	ActionUpdateUser        Action = "update_user"
)

// Actions lists every known action, in a stable order.
var Actions = []Action{
	ActionCreateUser, ActionGetUser, ActionListTypeIDOptions, ActionUpdateUser,
}

// Request is an action request as published on
// okta.requests.<tenant>.<action>. Params stays raw until
// [Subjects.Decode] checks it against the action. A publisher marshals a
// Request with encoding/json; Action and Tenant may be left empty, since
// the subject carries them.
type Request struct {
	ID      string          `json:"id,omitempty"`
	Action  Action          `json:"action,omitempty"`
	Tenant  string          `json:"tenant,omitempty"`
	Params  json.RawMessage `json:"params,omitempty"`
	ReplyTo string          `json:"reply_to,omitempty"`
}

// Reply is the one answer the worker publishes for each request.
// Exactly one of Data (Success true) and Error (Success false) is set.
type Reply struct {
	ID          string          `json:"id"`
	Tenant      string          `json:"tenant"`
	Action      Action          `json:"action"`
	Success     bool            `json:"success"`
	Data        json.RawMessage `json:"data,omitempty"`
	Error       *Error          `json:"error,omitempty"`
	Attempts    int             `json:"attempts"`
	DurationMS  int64           `json:"duration_ms"`
	CompletedAt time.Time       `json:"completed_at"`
}

// UserType is one entry of the list_type_id_options reply data.
type UserType struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	DisplayName string `json:"display_name"`
	Description string `json:"description"`
	Default     bool   `json:"default"`
}
