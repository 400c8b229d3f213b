package worker

import (
	"fmt"
	"time"
)

// Reliability holds the settings that keep a request from being lost or
// done twice. Every zero field takes its default.
type Reliability struct {
	// IdempotencyBucket is the JetStream key-value bucket holding the
	// outcome of every request id; "" means DefaultIdempotencyBucket.
	IdempotencyBucket string
	// IdempotencyTTL is the idempotency window: how long an outcome is
	// kept and a request id answered from it; 0 means
	// DefaultIdempotencyTTL.
	IdempotencyTTL time.Duration

	// CreateSkew is how much earlier than the first attempt (moved to
	// Okta's clock with the offset the Date of Okta's answers shows) Okta
	// may stamp a user's creation and the user still count as created by
	// that attempt: Okta's timestamps are whole seconds and the offset is
	// known to about a second; 0 means DefaultCreateSkew.
	CreateSkew time.Duration

	// MaxElapsed bounds the time one request spends retrying transient
	// Okta failures, next to MaxAttempts; 0 means DefaultMaxElapsed.
	MaxElapsed time.Duration

	// MaxDeliver is how many times JetStream delivers a request before
	// it goes to the dead letters; 0 means DefaultMaxDeliver.
	MaxDeliver int

	// DeadLetterKey, when set (16, 24 or 32 bytes), encrypts a request's
	// password with AES-GCM in its dead letter, so that a replay can
	// send it again. Without it the password is removed and the letter
	// marked, and a replay refuses it unless told to drop the password.
	DeadLetterKey []byte
}

// withDefaults returns r with every zero field set to its default.
func (r Reliability) withDefaults() Reliability {
	if r.IdempotencyBucket == "" {
		r.IdempotencyBucket = DefaultIdempotencyBucket
	}
	if r.IdempotencyTTL == 0 {
		r.IdempotencyTTL = DefaultIdempotencyTTL
	}
	if r.CreateSkew == 0 {
		r.CreateSkew = DefaultCreateSkew
	}
	if r.MaxElapsed == 0 {
		r.MaxElapsed = DefaultMaxElapsed
	}
	if r.MaxDeliver == 0 {
		r.MaxDeliver = DefaultMaxDeliver
	}
	return r
}

// problems lists what is wrong with r once its defaults are applied.
func (r Reliability) problems() []string {
	var out []string
	if !validName(r.IdempotencyBucket) {
		out = append(out, fmt.Sprintf("idempotency bucket %q is not valid", r.IdempotencyBucket))
	}
	if r.IdempotencyTTL <= 0 || r.CreateSkew < 0 || r.MaxElapsed <= 0 {
		out = append(out, "IdempotencyTTL and MaxElapsed must be positive, CreateSkew not negative")
	}
	if r.MaxDeliver < 2 {
		out = append(out, "MaxDeliver must be at least 2")
	}
	switch len(r.DeadLetterKey) {
	case 0, 16, 24, 32:
	default:
		out = append(out, "DeadLetterKey must be 16, 24 or 32 bytes")
	}
	return out
}
