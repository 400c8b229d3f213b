package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"golang.org/x/time/rate"

	"github.com/okta-worker/okta-worker/messages"
)

// unknownTenants answers requests for tenants that no stream captures.
// The requests stream captures only configured tenants, so such a
// request would otherwise vanish (a core publish) or leave its publisher
// waiting for a PubAck until it times out (a JetStream publish).
type unknownTenants struct {
	w    *Worker
	sub  *nats.Subscription
	log  *zap.Logger
	logs *rate.Limiter // throttles the per-request Warn
	runs tracker
}

// listenUnknown subscribes to every subject under the requests prefix in
// the queue group shared by all replicas, so each stray request is
// answered once: those of unknown tenants, and those whose subject has
// too few or too many tokens to name a tenant and an action.
func (w *Worker) listenUnknown(ctx context.Context) (*unknownTenants, error) {
	u := &unknownTenants{w: w, log: w.log, logs: rate.NewLimiter(logEvery, 1)}
	nc := w.js.Conn()
	subject := w.requestsPrefix() + ">"
	sub, err := nc.QueueSubscribe(subject, w.cfg.QueueGroup, u.receive)
	if err != nil {
		return nil, fmt.Errorf("worker: subscribing to %s: %w", subject, err)
	}
	// Flushing makes sure the server has the subscription before Run
	// reports the worker started.
	ctx, cancel := context.WithTimeout(ctx, w.cfg.FinishTimeout)
	defer cancel()
	if err := nc.FlushWithContext(ctx); err != nil {
		_ = sub.Unsubscribe()
		return nil, fmt.Errorf("worker: subscribing to %s: %w", subject, err)
	}
	u.sub = sub
	return u, nil
}

// stop unsubscribes and waits for the answers being sent.
func (u *unknownTenants) stop() {
	if err := u.sub.Unsubscribe(); err != nil {
		u.log.Debug("unsubscribing unknown-tenant listener failed", zap.Error(err))
	}
	u.runs.wait()
}

// receive is the subscription's callback.
func (u *unknownTenants) receive(m *nats.Msg) {
	if !u.runs.begin() {
		return
	}
	defer u.runs.done()
	u.answer(m)
}

// answer replies to a request for a tenant no stream captures: an error
// reply (unknown_tenant, or invalid_request for a token that cannot be a
// tenant name) on the request's reply_to or the default reply subject,
// and, when the publisher waits for a PubAck, an error in the JetStream
// API's shape so that its publish fails with a clear message.
func (u *unknownTenants) answer(m *nats.Msg) {
	rest := strings.TrimPrefix(m.Subject, u.w.requestsPrefix())
	tenant, action, hasAction := strings.Cut(rest, ".")
	if hasAction && u.w.known[tenant] {
		return // the requests stream captures every subject below a tenant
	}
	twoTokens := hasAction && !strings.Contains(action, ".")
	ctx, cancel := context.WithTimeout(context.Background(), u.w.cfg.FinishTimeout)
	defer cancel()
	if u.captured(ctx, m.Subject) {
		return
	}
	if !twoTokens {
		// No tenant and action to address a reply to: only a publisher
		// waiting for its PubAck can be told.
		u.respond(m, "okta-worker: subject must be "+u.w.requestsPrefix()+"<tenant>.<action>")
		return
	}
	e := unknownTenantError(tenant)
	u.reply(ctx, m, tenant, messages.Action(action), e)
	u.respond(m, apiErrorDescription(e, tenant))
}

// respond answers a publisher that waits for a PubAck with a JetStream
// API error carrying desc, so that its publish fails at once with that
// message instead of timing out.
func (u *unknownTenants) respond(m *nats.Msg, desc string) {
	if m.Reply == "" {
		return
	}
	if err := m.Respond(apiErrorBody(desc)); err != nil {
		u.log.Debug("answering a stray request's publisher failed", zap.Error(err))
	}
}

// reply publishes the error reply to a request for an unknown tenant.
// The body is read only for its id and reply_to.
func (u *unknownTenants) reply(ctx context.Context, m *nats.Msg, tenant string,
	action messages.Action, e *messages.Error) {
	dec, _ := u.w.cfg.Subjects.Decode(m.Subject, m.Data)
	if dec == nil {
		dec = &messages.Decoded{}
	}
	dec.Action = action
	j := &job{dec: dec, start: u.w.clock.Now()}
	j.id = requestID(dec.ID, m.Header.Get(jetstream.MsgIDHeader), nil)
	if u.logs.Allow() {
		u.log.Warn("request for an unknown tenant", zap.String(keyTenant, tenant),
			zap.String(keyAction, string(action)), zap.String(keyRequestID, j.id))
	}
	subject := u.w.replySubject(tenant, action, dec.ReplyTo)
	if err := u.w.sendReply(ctx, subject, u.w.newReply(j, tenant, nil, e)); err != nil {
		u.log.Warn("publishing unknown-tenant reply failed", zap.Error(err))
	}
}

// captured reports whether a stream captures subject after all, for
// example a tenant that another replica's newer tenants file added. When
// the lookup fails the request is left alone: answering it could race
// with a PubAck from a stream the worker does not know about.
func (u *unknownTenants) captured(ctx context.Context, subject string) bool {
	_, err := u.w.js.StreamNameBySubject(ctx, subject)
	switch {
	case err == nil:
		return true
	case errors.Is(err, jetstream.ErrStreamNotFound):
		return false
	default:
		u.log.Warn("looking up the stream of a request failed", zap.Error(err))
		return true
	}
}

// unknownTenantError is the reply error for a tenant token that names no
// configured tenant.
func unknownTenantError(tenant string) *messages.Error {
	if !messages.ValidTenant(tenant) {
		return &messages.Error{Code: messages.CodeInvalidRequest, Message: fmt.Sprintf(
			"The subject's tenant token %q is not a tenant name ([a-z0-9][a-z0-9-]{0,62}); "+
				"publish on okta.requests.<tenant>.<action> with a configured tenant.", tenant)}
	}
	return &messages.Error{Code: messages.CodeUnknownTenant, Message: fmt.Sprintf(
		"No tenant named %q is configured in okta-worker; "+
			"check the subject's tenant token or ask the operator to add the tenant.", tenant)}
}

// apiErrorDescription says why a request for tenant was refused.
func apiErrorDescription(e *messages.Error, tenant string) string {
	if e.Code == messages.CodeInvalidRequest {
		return fmt.Sprintf("okta-worker: invalid tenant name %q", tenant)
	}
	return fmt.Sprintf("okta-worker: unknown tenant %q", tenant)
}

// apiErrorBody is a JetStream API error answer, which a JetStream client
// waiting for a PubAck turns into an error carrying desc.
func apiErrorBody(desc string) []byte {
	var body struct {
		Error struct {
			Code        int    `json:"code"`
			Description string `json:"description"`
		} `json:"error"`
	}
	body.Error.Code = 404
	body.Error.Description = desc
	b, _ := json.Marshal(body) // a struct of strings and ints always encodes
	return b
}

// tracker counts running goroutines and stops new ones from starting
// once its owner waits for them. It is safe for concurrent use.
type tracker struct {
	mu      sync.Mutex
	stopped bool
	running sync.WaitGroup
}

// begin counts one more running goroutine, unless the tracker is
// stopped; a true result must be matched by a call to done.
func (tr *tracker) begin() bool {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.stopped {
		return false
	}
	tr.running.Add(1)
	return true
}

// done counts one goroutine less.
func (tr *tracker) done() { tr.running.Done() }

// wait stops the tracker and waits for the running goroutines. Adding
// under the lock that sets stopped keeps Add from racing with Wait.
func (tr *tracker) wait() {
	tr.mu.Lock()
	tr.stopped = true
	tr.mu.Unlock()
	tr.running.Wait()
}
