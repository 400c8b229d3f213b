package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"runtime/debug"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/okta-worker/okta-worker/messages"
	"github.com/okta-worker/okta-worker/okta"
)

// job is one delivery of a request being handled.
type job struct {
	msg      jetstream.Msg
	meta     *jetstream.MsgMetadata // nil if the reply subject was unreadable
	dec      *messages.Decoded      // never nil; empty until decoded
	id       string
	start    time.Time
	attempts int // Okta calls made, 429s included
	log      *zap.Logger

	// claim is the delivery's hold on the request's idempotency record;
	// nil until admitted. began is when the request's first attempt
	// began, and ambiguous says an attempt may have reached Okta without
	// its answer reaching the worker.
	claim     *claim
	began     time.Time
	ambiguous bool
}

// handle processes one delivery of a request: decode it, claim its
// idempotency record (a request answered before gets its recorded reply
// again, see [tenant.admit]), call Okta (waiting at the tenant's gate and
// retrying as needed), record the outcome, publish the reply, then
// acknowledge. A request still running when ctx is cancelled (the
// shutdown grace period is over) is handed back unanswered.
func (t *tenant) handle(ctx context.Context, msg jetstream.Msg) {
	j := t.newJob(msg)
	defer t.recoverJob(j)

	if bad := t.decode(j); bad != nil {
		// A request that cannot be decoded never will be: answer it and
		// terminate it rather than have it delivered again.
		t.finish(j, t.w.newReply(j, t.name, nil, bad), true)
		return
	}
	stop := t.keepAlive(j)
	defer stop() // also when perform panics
	if !t.admit(ctx, j) {
		return
	}
	data, err := t.perform(ctx, j)
	stop()
	if err != nil && ctx.Err() != nil {
		t.handBack(j)
		return
	}
	t.finish(j, t.w.newReply(j, t.name, data, err), false)
}

// newJob starts the record of a delivery, with the id the request has
// before its body is read: its Nats-Msg-Id header, else its stream
// position.
func (t *tenant) newJob(msg jetstream.Msg) *job {
	meta, _ := msg.Metadata()
	j := &job{msg: msg, meta: meta, dec: &messages.Decoded{}, start: t.w.clock.Now(), log: t.log}
	j.id = requestID("", msg.Headers().Get(jetstream.MsgIDHeader), meta)
	return j
}

// decode validates the request and attaches the request's fields to
// the job's logger. It returns the validation error, if any.
func (t *tenant) decode(j *job) *messages.Error {
	dec, bad := t.w.cfg.Subjects.Decode(j.msg.Subject(), j.msg.Data())
	if dec != nil {
		j.dec = dec
	}
	j.id = requestID(j.dec.ID, j.msg.Headers().Get(jetstream.MsgIDHeader), j.meta)
	fields := []zap.Field{
		zap.String(keyAction, string(j.dec.Action)), zap.String(keyRequestID, j.id),
	}
	if j.meta != nil {
		fields = append(fields, zap.Uint64(keyStreamSeq, j.meta.Sequence.Stream),
			zap.Uint64(keyDelivery, j.meta.NumDelivered))
	}
	j.log = t.log.With(fields...)
	if j.meta != nil && j.meta.NumDelivered > 1 {
		j.log.Warn("request redelivered")
	}
	return bad
}

// perform runs the request against Okta and returns the reply data. Each
// 429 is waited out (see [tenant.sitOut]) up to MaxRateLimitPauses times;
// the 429 after that is returned, and answered rate_limited.
func (t *tenant) perform(ctx context.Context, j *job) (json.RawMessage, error) {
	for pauses := 0; ; pauses++ {
		data, err := t.attempt(ctx, j)
		if !errors.Is(err, okta.ErrRateLimited) || ctx.Err() != nil {
			return data, err
		}
		if pauses == t.w.cfg.MaxRateLimitPauses {
			return nil, err
		}
		if err := t.sitOut(ctx, j, err); err != nil {
			return nil, err
		}
	}
}

// attempt calls Okta, retrying transient failures with jittered
// exponential backoff (a fresh policy per request, since one is not safe
// to share). Every call first waits at the tenant's gate.
func (t *tenant) attempt(ctx context.Context, j *job) (json.RawMessage, error) {
	op := func() (json.RawMessage, error) {
		if err := t.gate.wait(ctx); err != nil {
			return nil, backoff.Permanent(err)
		}
		j.attempts++
		data, err := t.call(ctx, j)
		data, err = t.disambiguate(ctx, j, data, err)
		if err != nil && !retryable(err) {
			return nil, backoff.Permanent(err)
		}
		return data, err
	}
	notify := func(err error, wait time.Duration) {
		t.oktaWarn(j, "okta call failed, retrying", zap.Error(err),
			zap.Int(keyAttempt, j.attempts), zap.Duration(keyWait, wait))
	}
	return backoff.RetryNotifyWithTimerAndData(op, t.w.newBackOff(ctx), notify,
		&clockTimer{clock: t.w.clock})
}

// newBackOff returns the retry policy of one request.
func (w *Worker) newBackOff(ctx context.Context) backoff.BackOff {
	b := backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(w.cfg.RetryInitial),
		backoff.WithMaxInterval(w.cfg.RetryMax),
		backoff.WithMaxElapsedTime(w.cfg.MaxElapsed),
		backoff.WithClockProvider(w.clock))
	return backoff.WithContext(backoff.WithMaxRetries(b, uint64(w.cfg.MaxAttempts-1)), ctx)
}

// call makes one Okta call for the request. A panic inside it (a broken
// client) becomes a *panicError, logged here with its stack.
func (t *tenant) call(ctx context.Context, j *job) (data json.RawMessage, err error) {
	defer func() {
		if v := recover(); v != nil {
			j.log.Error("panic while calling okta", zap.String(keyPanic, fmt.Sprint(v)),
				zap.ByteString(keyStack, debug.Stack()))
			data, err = nil, &panicError{value: v}
		}
	}()
	switch p := j.dec.Params.(type) {
	case *messages.CreateUserParams:
		return userData(t.okta.CreateUser(ctx, newUser(p)))
	case *messages.GetUserParams:
		return userData(t.okta.GetUser(ctx, p.UserID))
	case *messages.UpdateUserParams:
		return t.updateUser(ctx, j, p)
	case *messages.ListTypeIDOptionsParams:
		return typesData(t.okta.ListUserTypes(ctx))
	default:
		return nil, fmt.Errorf("worker: no call for params of type %T", p)
	}
}

// newUser translates create_user params into what the Okta client sends:
// the named params over params.profile, and the login defaulting to the
// email address when neither names one.
func newUser(p *messages.CreateUserParams) okta.NewUser {
	profile := make(map[string]json.RawMessage, len(p.Profile)+6)
	for k, v := range p.Profile {
		profile[k] = v
	}
	named := map[string]string{
		"email": p.Email, "login": p.Login, "firstName": p.FirstName,
		"lastName": p.LastName, "mobilePhone": p.MobilePhone, "secondEmail": p.SecondEmail,
	}
	for k, v := range named {
		if v != "" {
			profile[k] = jsonString(v)
		}
	}
	if _, ok := profile["login"]; !ok {
		profile["login"] = jsonString(p.Email)
	}
	return okta.NewUser{
		Profile:  profile,
		TypeID:   p.TypeID,
		Password: p.Password.Reveal(),
		GroupIDs: p.GroupIDs,
		Activate: p.Activate,
	}
}

// jsonString encodes s as a JSON string.
func jsonString(s string) json.RawMessage {
	b, _ := json.Marshal(s) // a string always encodes
	return b
}

// userData returns the user as the reply's data.
func userData(u *okta.User, err error) (json.RawMessage, error) {
	if err != nil {
		return nil, err
	}
	if u == nil || len(u.JSON) == 0 {
		return nil, errors.New("worker: okta client returned no user")
	}
	return u.JSON, nil
}

// typesData returns the user types as the reply's data.
func typesData(types []okta.UserType, err error) (json.RawMessage, error) {
	if err != nil {
		return nil, err
	}
	out := make([]messages.UserType, 0, len(types))
	for _, ut := range types {
		out = append(out, messages.UserType{
			ID: ut.ID, Name: ut.Name, DisplayName: ut.DisplayName,
			Description: ut.Description, Default: ut.Default,
		})
	}
	return json.Marshal(out)
}

// retryable reports whether a failed Okta call may succeed if made again
// soon: Okta's own verdict for its answers (5xx, 409 E0000112), and
// transport failures and timeouts. 429s are not retried here; they are
// waited out at the tenant's gate. A cancelled context is final.
func retryable(err error) bool {
	var oe *okta.Error
	switch {
	case err == nil, errors.Is(err, context.Canceled), errors.Is(err, okta.ErrRateLimited):
		return false
	case errors.As(err, &oe):
		return oe.Retryable
	default:
		return transient(err)
	}
}

// transient reports whether err is a transport failure or a timeout, as
// opposed to a bug or a refusal.
func transient(err error) bool {
	var ue *url.Error
	var ne net.Error
	return errors.As(err, &ue) || errors.As(err, &ne) ||
		errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

// panicError is a panic recovered while calling Okta.
type panicError struct{ value any }

func (e *panicError) Error() string { return fmt.Sprintf("worker: panic: %v", e.value) }

// keepAlive sends InProgress for the job every KeepAlive until the
// returned stop is called, so that a request waiting on Okta or on the
// tenant's gate never outlives its AckWait. It ticks on real time because
// the server measures AckWait on its own clock. stop waits for the
// ticking goroutine and may be called more than once.
func (t *tenant) keepAlive(j *job) (stop func()) {
	every := t.w.cfg.KeepAlive
	if every < 0 {
		return func() {}
	}
	quit, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-quit:
				return
			case <-tick.C:
				if err := j.msg.InProgress(); err != nil {
					j.log.Debug("keep-alive failed", zap.Error(err))
				}
			}
		}
	}()
	stopped := false
	return func() {
		if !stopped {
			stopped = true
			close(quit)
			<-finished
		}
	}
}

// finish records the reply as the request's outcome, then publishes it
// and settles the message (see [tenant.publishAndAck]). When the outcome
// cannot be recorded the message is NAKed with a delay and answered when
// it comes back; when another delivery recorded one first, that reply is
// the one sent.
func (t *tenant) finish(j *job, r *messages.Reply, terminate bool) {
	out := outcome{subject: t.w.replySubject(r.Tenant, r.Action, j.dec.ReplyTo),
		msgID: jobReplyMsgID(j, r), reply: r}
	if j.meta != nil {
		out.seq = j.meta.Sequence.Stream
	}
	if j.claim != nil {
		ctx, cancel := context.WithTimeout(context.Background(), t.w.cfg.FinishTimeout)
		recorded, err := t.settle(ctx, j.claim, out)
		cancel()
		switch {
		case errors.Is(err, errSuperseded):
			j.log.Info("request taken over by a newer message, which answers it")
			t.ack(j, false, "")
			return
		case err != nil:
			j.log.Warn("recording outcome failed, request will come back", zap.Error(err))
			t.nakLater(j)
			return
		}
		out = recorded
	}
	t.publishAndAck(j, out, terminate)
}

// publishAndAck publishes the reply and then settles the message: it
// terminates it when terminate is set and acknowledges it otherwise.
// Both run under their own short context, so that a request whose
// handling timed out is still answered once. When the reply cannot be
// published the message is not acknowledged but NAKed with a delay, so
// it comes back and is answered then.
func (t *tenant) publishAndAck(j *job, out outcome, terminate bool) {
	ctx, cancel := context.WithTimeout(context.Background(), t.w.cfg.FinishTimeout)
	defer cancel()
	r := out.reply
	if err := t.deadCopy(ctx, j, out); err != nil {
		j.log.Warn("copying request to the dead letters failed, request will come back",
			zap.Error(err))
		t.nakLater(j)
		return
	}
	if err := t.w.sendReplyAs(ctx, out.subject, r, out.msgID); err != nil {
		j.log.Warn("publishing reply failed, request will come back", zap.Error(err))
		t.nakLater(j)
		return
	}
	reason := ""
	if r.Error != nil {
		reason = "okta-worker: " + string(r.Error.Code)
	}
	t.ack(j, terminate, reason)
	t.logOutcome(j, r)
}

// ack acknowledges the message, or terminates it with reason.
func (t *tenant) ack(j *job, terminate bool, reason string) {
	ctx, cancel := context.WithTimeout(context.Background(), t.w.cfg.FinishTimeout)
	defer cancel()
	var err error
	if terminate {
		err = j.msg.TermWithReason(reason)
	} else {
		err = j.msg.DoubleAck(ctx)
	}
	if err != nil {
		// The reply is out; a redelivery publishes it again with the same
		// Nats-Msg-Id, which the replies stream drops as a duplicate.
		j.log.Warn("acknowledging request failed", zap.Error(err))
	}
}

// nakLater hands the message back to be delivered again after NakDelay.
func (t *tenant) nakLater(j *job) {
	if err := j.msg.NakWithDelay(t.w.cfg.NakDelay); err != nil {
		j.log.Warn("nak failed", zap.Error(err))
	}
}

// handBack returns an unfinished request to JetStream at shutdown, so that
// another replica (or this one, restarted) takes it at once.
func (t *tenant) handBack(j *job) {
	j.log.Info("request handed back unfinished at shutdown")
	if err := j.msg.Nak(); err != nil {
		j.log.Debug("nak failed, request returns after its ack wait", zap.Error(err))
	}
}

// recoverJob is the last line of defence: a panic outside the Okta call
// is logged and the request answered internal and terminated, so that
// one bad message neither crashes the worker nor comes back forever.
func (t *tenant) recoverJob(j *job) {
	v := recover()
	if v == nil {
		return
	}
	j.log.Error("panic while handling request", zap.String(keyPanic, fmt.Sprint(v)),
		zap.ByteString(keyStack, debug.Stack()))
	defer func() {
		if v := recover(); v != nil {
			j.log.Error("panic while answering a failed request", zap.String(keyPanic, fmt.Sprint(v)))
		}
	}()
	t.finish(j, t.w.newReply(j, t.name, nil, &panicError{value: v}), true)
}

// logOutcome logs how a request ended: failures an operator must act on
// at Error (throttled per tenant), degradations at Warn, the rest at
// Debug. A panic has been logged where it was recovered.
func (t *tenant) logOutcome(j *job, r *messages.Reply) {
	fields := []zap.Field{zap.Int(keyAttempts, r.Attempts)}
	if r.Success {
		j.log.Debug("request done", fields...)
		return
	}
	e := r.Error
	fields = append(fields, zap.String(keyCode, string(e.Code)))
	if e.HTTPStatus != 0 {
		fields = append(fields, zap.Int(keyHTTPStatus, e.HTTPStatus),
			zap.String(keyOktaErrorCode, e.OktaErrorCode),
			zap.String(keyOktaRequestID, e.OktaRequestID))
	}
	switch e.Code {
	case messages.CodeUnauthorized:
		if t.authLog.Allow() {
			j.log.Error("okta refused the tenant's token", fields...)
		}
	case messages.CodeUpstreamUnavailable, messages.CodeRateLimited:
		t.oktaWarn(j, "request failed", fields...)
	default:
		j.log.Debug("request failed", fields...)
	}
}

// oktaWarn logs a warning about Okta failing, or, beyond the tenant's
// throttle, the same entry at Debug.
func (t *tenant) oktaWarn(j *job, msg string, fields ...zap.Field) {
	if t.oktaLog.Allow() {
		j.log.Warn(msg, fields...)
		return
	}
	j.log.Debug(msg, fields...)
}

// clockTimer runs backoff's waits on the worker's clock.
type clockTimer struct {
	clock clockwork.Clock
	timer clockwork.Timer
}

// Start starts or restarts the timer.
func (c *clockTimer) Start(d time.Duration) {
	if c.timer == nil {
		c.timer = c.clock.NewTimer(d)
		return
	}
	c.timer.Reset(d)
}

// Stop stops the timer, if it was started.
func (c *clockTimer) Stop() {
	if c.timer != nil {
		c.timer.Stop()
	}
}

// C returns the channel the timer fires on.
func (c *clockTimer) C() <-chan time.Time { return c.timer.Chan() }
