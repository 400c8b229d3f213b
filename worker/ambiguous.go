package worker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"

	"go.uber.org/zap"

	"github.com/okta-worker/okta-worker/messages"
	"github.com/okta-worker/okta-worker/okta"
)

// disambiguate follows one Okta call of a request. A create_user whose
// earlier attempt may have reached Okta unanswered (a timeout, a
// transport error or a 5xx in this delivery, or an earlier delivery of
// the same message) and that now meets "login already exists" is
// resolved: to the existing user when that user is provably the one the
// earlier attempt created, else to a conflict naming the user.
func (t *tenant) disambiguate(ctx context.Context, j *job, data json.RawMessage,
	err error) (json.RawMessage, error) {
	p, ok := j.dec.Params.(*messages.CreateUserParams)
	switch {
	case !ok || err == nil:
		return data, err
	case retryable(err):
		j.ambiguous = true
		return data, err
	case !errors.Is(err, okta.ErrConflict) || !j.ambiguous:
		return data, err
	}
	want := newUser(p)
	var login string
	_ = json.Unmarshal(want.Profile["login"], &login)
	u, gerr := t.okta.GetUser(ctx, login)
	if gerr != nil {
		// Unreadable now: a later attempt (or delivery) decides.
		j.log.Warn("reading the user of an ambiguous create failed", zap.Error(gerr))
		return nil, gerr
	}
	if t.createdByUs(j, u, want, t.oktaOffset(err)) {
		j.log.Info("ambiguous create resolved: the user is the one an earlier attempt created",
			zap.String(keyUserID, u.ID))
		return u.JSON, nil
	}
	return nil, &conflictError{err: err, userID: u.ID}
}

// oktaOffset estimates how far Okta's clock is ahead of the worker's
// from the Date of Okta's answer to the call that just failed: 0 when the
// answer had none.
func (t *tenant) oktaOffset(err error) time.Duration {
	var oe *okta.Error
	if !errors.As(err, &oe) || oe.RateLimit.Date.IsZero() {
		return 0
	}
	return oe.RateLimit.Date.Sub(t.w.clock.Now())
}

// createdByUs reports whether u can only be the user an earlier attempt
// of j created: created no earlier than the first attempt began, moved
// to Okta's clock by offset, less CreateSkew (Okta's timestamps are whole
// seconds, and the offset is measured to a second), and holding every
// profile attribute the request asked for.
func (t *tenant) createdByUs(j *job, u *okta.User, want okta.NewUser,
	offset time.Duration) bool {
	var got struct {
		Created time.Time                  `json:"created"`
		Profile map[string]json.RawMessage `json:"profile"`
	}
	if err := json.Unmarshal(u.JSON, &got); err != nil || got.Created.IsZero() {
		return false
	}
	began := j.began
	if began.IsZero() {
		began = j.start
	}
	if got.Created.Before(began.Add(offset - t.w.cfg.CreateSkew)) {
		return false
	}
	for k, v := range want.Profile {
		if !sameJSON(v, got.Profile[k]) {
			return false
		}
	}
	return true
}

// sameJSON reports whether two JSON texts hold the same value.
func sameJSON(a, b json.RawMessage) bool {
	if bytes.Equal(a, b) {
		return true
	}
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return false
	}
	return reflect.DeepEqual(va, vb)
}

// conflictError is a "login already exists" that could not be resolved to
// the request's own earlier create; it names the user holding the login.
type conflictError struct {
	err    error
	userID string
}

func (e *conflictError) Error() string {
	return fmt.Sprintf("%v (existing user %s)", e.err, e.userID)
}

func (e *conflictError) Unwrap() error { return e.err }

// conflictUserID returns the id of the user a conflict names, if any.
func conflictUserID(err error) string {
	var ce *conflictError
	if errors.As(err, &ce) {
		return ce.userID
	}
	return ""
}
