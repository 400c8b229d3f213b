package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/okta-worker/okta-worker/messages"
	"github.com/okta-worker/okta-worker/okta"
)

// maxIDLen is the longest request id the worker takes from a request; it
// matches what the messages package accepts.
const maxIDLen = 200

// newReply builds the reply to j for the given tenant from the outcome
// of its handling: data on success, else the error mapped to the wire's
// error object.
func (w *Worker) newReply(j *job, tenant string, data json.RawMessage, err error) *messages.Reply {
	now := w.clock.Now()
	r := &messages.Reply{
		ID:          j.id,
		Tenant:      tenant,
		Action:      j.dec.Action,
		Attempts:    j.attempts,
		DurationMS:  now.Sub(j.start).Milliseconds(),
		CompletedAt: now.UTC(),
	}
	if err != nil {
		r.Error = replyError(err, j.attempts)
		return r
	}
	r.Success, r.Data = true, data
	return r
}

// replyError maps a failure to the reply's error object. Decoding errors
// pass through; Okta's answers keep every Okta field; the message is one
// sentence a caller can act on and never carries Okta's raw text, a
// token or a password.
func replyError(err error, attempts int) *messages.Error {
	var me *messages.Error
	if errors.As(err, &me) {
		return me
	}
	var oe *okta.Error
	errors.As(err, &oe)
	code, retry := classify(err, oe)
	e := &messages.Error{Code: code, Retryable: retry, Message: errorMessage(code, oe, attempts)}
	if id := conflictUserID(err); id != "" {
		e.Message = "A user with this login already exists in the tenant's Okta org " +
			"(id " + id + ") and cannot be shown to be the one this request created; " +
			"fetch it with get_user or choose another login."
	}
	if oe != nil {
		e.HTTPStatus = oe.HTTPStatus
		e.OktaErrorCode = oe.Code
		e.OktaErrorSummary = oe.Summary
		e.OktaErrorCauses = oe.Causes
		e.OktaRequestID = oe.RequestID
	}
	return e
}

// classify returns the error code of a failure and whether publishing
// the request again later may succeed. oe is err's *okta.Error, if any.
func classify(err error, oe *okta.Error) (messages.Code, bool) {
	var pe *panicError
	switch {
	case errors.As(err, &pe):
		return messages.CodeInternal, false
	case errors.Is(err, okta.ErrNotFound):
		return messages.CodeNotFound, false
	case errors.Is(err, okta.ErrAmbiguous):
		return messages.CodeAmbiguous, false
	case errors.Is(err, okta.ErrConflict):
		return messages.CodeConflict, false
	case errors.Is(err, okta.ErrUnauthorized):
		return messages.CodeUnauthorized, false
	case errors.Is(err, okta.ErrRateLimited):
		return messages.CodeRateLimited, true
	case oe != nil && oe.HTTPStatus >= 500:
		return messages.CodeUpstreamUnavailable, true
	case oe != nil:
		return messages.CodeOktaRejected, oe.Retryable
	case transient(err):
		return messages.CodeUpstreamUnavailable, true
	default:
		return messages.CodeInternal, false
	}
}

// errorMessage returns the sentence that tells the caller what to do.
func errorMessage(code messages.Code, oe *okta.Error, attempts int) string {
	switch code {
	case messages.CodeNotFound:
		return "No user in the tenant's Okta org matches user_id; " +
			"check the id, login or email address."
	case messages.CodeAmbiguous:
		return "Several users in the tenant's Okta org have this email address; " +
			"name the user by id or login instead."
	case messages.CodeConflict:
		return "A user with this login already exists in the tenant's Okta org; " +
			"fetch it with get_user or choose another login."
	case messages.CodeUnauthorized:
		return "Okta refused the worker's API token for this tenant; " +
			"an operator must check the token and its admin role."
	case messages.CodeRateLimited:
		return fmt.Sprintf("Okta kept rate-limiting this tenant through %d attempts; "+
			"publish the request again later.", attempts)
	case messages.CodeUpstreamUnavailable:
		return fmt.Sprintf("Okta did not answer successfully after %d attempts; "+
			"publish the request again later.", attempts)
	case messages.CodeOktaRejected:
		return fmt.Sprintf("Okta rejected the request with HTTP %d; fix what "+
			"okta_error_summary and okta_error_causes name and publish it again.",
			oe.HTTPStatus)
	default:
		return "The worker failed unexpectedly on this request; " +
			"give the operator the request id."
	}
}

// sendReply publishes r on subject with a Nats-Msg-Id derived from the
// tenant and the request id, so that a stream capturing the subject
// drops the reply of a redelivered request as a duplicate. A subject no
// stream captures (a reply_to inbox) gets a core publish and a flush: a
// JetStream publish there would never be acknowledged.
func (w *Worker) sendReply(ctx context.Context, subject string, r *messages.Reply) error {
	return w.sendReplyAs(ctx, subject, r, replyMsgID(r.Tenant, r.ID))
}

// sendReplyAs is sendReply with the given Nats-Msg-Id.
func (w *Worker) sendReplyAs(ctx context.Context, subject string, r *messages.Reply,
	msgID string) error {
	body, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("worker: encoding reply: %w", err)
	}
	m := nats.NewMsg(subject)
	m.Data = body
	m.Header.Set(jetstream.MsgIDHeader, msgID)
	captured, err := w.captured(ctx, subject)
	if err != nil {
		return err
	}
	if !captured {
		return w.publishCore(ctx, m)
	}
	if _, err := w.js.PublishMsg(ctx, m); err != nil {
		return fmt.Errorf("worker: publishing reply on %s: %w", subject, err)
	}
	return nil
}

// captured reports whether a stream captures subject. The default reply
// subjects are captured by the replies stream the worker created.
func (w *Worker) captured(ctx context.Context, subject string) (bool, error) {
	if strings.HasPrefix(subject, w.repliesPrefix()) {
		return true, nil
	}
	_, err := w.js.StreamNameBySubject(ctx, subject)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, jetstream.ErrStreamNotFound):
		return false, nil
	default:
		return false, fmt.Errorf("worker: looking up the stream of %s: %w", subject, err)
	}
}

// publishCore publishes m on core NATS and waits until the server has it.
func (w *Worker) publishCore(ctx context.Context, m *nats.Msg) error {
	nc := w.js.Conn()
	if err := nc.PublishMsg(m); err != nil {
		return fmt.Errorf("worker: publishing reply on %s: %w", m.Subject, err)
	}
	if err := nc.FlushWithContext(ctx); err != nil {
		return fmt.Errorf("worker: flushing reply on %s: %w", m.Subject, err)
	}
	return nil
}

// replyMsgID is the Nats-Msg-Id of the reply to a tenant's request.
func replyMsgID(tenant, id string) string { return "reply:" + tenant + ":" + id }

// replySubject returns where a reply goes: the request's reply_to when it
// is a subject the worker may publish on, else the default reply subject
// of the tenant and action (an action that cannot be a subject token is
// replaced by "invalid").
func (w *Worker) replySubject(tenant string, action messages.Action, replyTo string) string {
	if replyTo != "" && w.safeReplyTo(replyTo) {
		return replyTo
	}
	if !isToken(string(action)) {
		action = "invalid"
	}
	return w.cfg.Subjects.Reply(tenant, action)
}

// safeReplyTo reports whether the worker may publish a reply on s: a
// plain subject of at most 255 bytes, not reserved ($...), not a request
// subject, which would feed the reply back in as a request, and not a
// dead-letter subject. The messages package checks most of this on valid
// requests; the worker checks again because a request that failed
// validation may carry any string.
func (w *Worker) safeReplyTo(s string) bool {
	deads := strings.TrimSuffix(w.cfg.Subjects.Deads(), ">")
	if len(s) > 255 || strings.HasPrefix(s, "$") ||
		strings.HasPrefix(s+".", w.requestsPrefix()) || strings.HasPrefix(s+".", deads) {
		return false
	}
	for tok := range strings.SplitSeq(s, ".") {
		if !isToken(tok) {
			return false
		}
	}
	return true
}

// isToken reports whether s can be one token of a published subject.
func isToken(s string) bool {
	if s == "" || !utf8.ValidString(s) || strings.ContainsAny(s, ".*>") {
		return false
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// requestID picks a request's id: the body's id, else the Nats-Msg-Id
// header, else the message's stream and sequence, else a fresh unique
// id (only a core message has no stream position).
func requestID(bodyID, headerID string, meta *jetstream.MsgMetadata) string {
	switch {
	case usableID(bodyID):
		return bodyID
	case usableID(headerID):
		return headerID
	case meta != nil:
		return fmt.Sprintf("%s-%d", meta.Stream, meta.Sequence.Stream)
	default:
		return "unknown-" + nuid.Next()
	}
}

// usableID reports whether id can identify a request: 1 to 200 bytes of
// printable characters without spaces, as the messages package requires.
// An id that failed validation is not used, since it goes into a header.
func usableID(id string) bool {
	if id == "" || len(id) > maxIDLen || !utf8.ValidString(id) {
		return false
	}
	for _, r := range id {
		if !unicode.IsPrint(r) || unicode.IsSpace(r) {
			return false
		}
	}
	return true
}

// requestsPrefix returns "<prefix>.requests.".
func (w *Worker) requestsPrefix() string {
	return strings.TrimSuffix(w.cfg.Subjects.Requests(), ">")
}

// repliesPrefix returns "<prefix>.replies.".
func (w *Worker) repliesPrefix() string {
	return strings.TrimSuffix(w.cfg.Subjects.Replies(), ">")
}
