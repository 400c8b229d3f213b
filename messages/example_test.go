package messages_test

import (
	"encoding/json"
	"fmt"

	"github.com/okta-worker/okta-worker/messages"
)

// A Go publisher builds a create_user request, checks it with the same
// rules the worker applies, and reads the reply. Publishing and waiting
// happen with NATS and are left out here.
func Example() {
	subjects := messages.Subjects{} // the default prefix, okta
	params, err := json.Marshal(map[string]any{
		"email":      "ann.lee@example.com",
		"first_name": "Ann",
		"last_name":  "Lee",
		"profile":    map[string]any{"department": "R&D"},
	})
	if err != nil {
		panic(err)
	}
	body, err := json.Marshal(messages.Request{
		ID:      "hr-onboarding-4711", // the idempotency key
		Params:  params,
		ReplyTo: "hr.onboarding.replies",
	})
	if err != nil {
		panic(err)
	}
	subject := subjects.Request("acme", messages.ActionCreateUser)

	// Checking before publishing turns a typo into an error here rather
	// than an error reply later.
	if _, derr := subjects.Decode(subject, body); derr != nil {
		panic(derr)
	}
	fmt.Println("publish on", subject)

	// The worker answers on hr.onboarding.replies; a failed request reads
	// like this.
	replyBody := []byte(`{"id":"hr-onboarding-4711","tenant":"acme","action":"create_user",
		"success":false,"error":{"code":"conflict","retryable":false,
		"message":"a user with login ann.lee@example.com already exists in tenant acme",
		"http_status":400,"okta_error_code":"E0000001"},
		"attempts":1,"duration_ms":301,"completed_at":"2026-03-02T09:17:00Z"}`)
	var reply messages.Reply
	if err := json.Unmarshal(replyBody, &reply); err != nil {
		panic(err)
	}
	switch {
	case reply.Success:
		fmt.Println("created", string(reply.Data))
	case reply.Error.Code == messages.CodeConflict:
		fmt.Println("already there:", reply.Error.Message)
	default:
		fmt.Println("failed:", reply.Error.Code, "retryable:", reply.Error.Retryable)
	}
	// Output:
	// publish on okta.requests.acme.create_user
	// already there: a user with login ann.lee@example.com already exists in tenant acme
}

// A request with a misspelt parameter is rejected with a message that
// names the field.
func ExampleSubjects_Decode() {
	body := []byte(`{"params":{"userId":"ann.lee@example.com"}}`)
	_, err := messages.Subjects{}.Decode("okta.requests.acme.get_user", body)
	fmt.Println(err.Code)
	fmt.Println(err.Message)
	// Output:
	// invalid_request
	// params.userId is not a parameter of get_user; expected one of user_id
}
