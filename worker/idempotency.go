package worker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/okta-worker/okta-worker/messages"
)

// Defaults of the reliability settings of [Config].
const (
	DefaultIdempotencyBucket = "okta-worker-outcomes"
	DefaultIdempotencyTTL    = 24 * time.Hour
	DefaultCreateSkew        = 5 * time.Second
	DefaultMaxElapsed        = 2 * time.Minute
	DefaultMaxDeliver        = 5
)

// The states of an idempotency record.
const (
	stateStarted = "started"
	stateDone    = "done"
)

// record is what the idempotency bucket holds for one request id: who
// started it and, once done, the reply it got. A redelivery, a restart
// or the same id published again reads it instead of calling Okta.
type record struct {
	State string `json:"state"`
	// Seq is the requests-stream sequence of the message that started
	// the request; a redelivery of that message has the same one.
	Seq uint64 `json:"seq"`
	// Began is when the first attempt began, on the worker's clock.
	Began time.Time `json:"began"`
	// Subject and Reply are where the reply went and what it said.
	Subject string          `json:"subject,omitempty"`
	MsgID   string          `json:"msg_id,omitempty"`
	Reply   *messages.Reply `json:"reply,omitempty"`
}

// claimKind says what a delivery found in the idempotency bucket.
type claimKind int

const (
	claimNew     claimKind = iota // no record: this delivery started the request
	claimResumed                  // started by this message earlier: an attempt may have reached Okta
	claimDone                     // done: the recorded reply is the answer
	claimBusy                     // started by another message, maybe running elsewhere now
)

// claim is a delivery's hold on its request's idempotency record.
type claim struct {
	kind claimKind
	key  string
	rev  uint64
	rec  record
}

// errNoOutcomeStore is returned when the idempotency bucket is not open,
// which only happens when Run has not started it.
var errNoOutcomeStore = errors.New("worker: idempotency bucket not open")

// ensureOutcomes creates or updates the idempotency bucket. Its TTL is
// the idempotency window: a request id seen again after it is a new
// request.
func (w *Worker) ensureOutcomes(ctx context.Context) error {
	kv, err := w.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      w.cfg.IdempotencyBucket,
		Description: "okta-worker: outcome of every request id",
		History:     1,
		TTL:         w.cfg.IdempotencyTTL,
		Storage:     jetstream.FileStorage,
		Replicas:    w.cfg.Replicas,
	})
	if err != nil {
		return fmt.Errorf("worker: creating key-value bucket %s: %w", w.cfg.IdempotencyBucket, err)
	}
	w.outcomes.Store(&kv)
	return nil
}

// kv returns the idempotency bucket, or nil before Run opened it.
func (w *Worker) kv() jetstream.KeyValue {
	if p := w.outcomes.Load(); p != nil {
		return *p
	}
	return nil
}

// outcomeKey is the bucket key of a tenant's request id. Keys allow only
// [-/_=.a-zA-Z0-9], and ids allow any printable character, so the id is
// hashed; the tenant stays readable for an operator.
func outcomeKey(tenant, id string) string {
	sum := sha256.Sum256([]byte(id))
	return tenant + "." + hex.EncodeToString(sum[:16])
}

// claim reads or creates the request's record. A message without a
// stream position (never the case for consumed messages) claims nothing.
func (t *tenant) claim(ctx context.Context, j *job) (*claim, error) {
	kv := t.w.kv()
	if kv == nil {
		return nil, errNoOutcomeStore
	}
	seq := j.meta.Sequence.Stream
	key := outcomeKey(t.name, j.id)
	for range 3 {
		rec := record{State: stateStarted, Seq: seq, Began: j.start}
		rev, err := kv.Create(ctx, key, mustJSON(rec))
		if err == nil {
			return &claim{kind: claimNew, key: key, rev: rev, rec: rec}, nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return nil, fmt.Errorf("worker: creating idempotency record: %w", err)
		}
		c, err := readClaim(ctx, kv, key, seq)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue // deleted (replayed or expired) in between: create again
		}
		return c, err
	}
	return nil, errors.New("worker: idempotency record keeps vanishing")
}

// readClaim reads the record under key and classifies it for the
// message at stream sequence seq.
func readClaim(ctx context.Context, kv jetstream.KeyValue, key string,
	seq uint64) (*claim, error) {
	e, err := kv.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	var rec record
	if err := json.Unmarshal(e.Value(), &rec); err != nil {
		return nil, fmt.Errorf("worker: decoding idempotency record %s: %w", key, err)
	}
	c := &claim{key: key, rev: e.Revision(), rec: rec}
	switch {
	case rec.State == stateDone && rec.Reply != nil:
		c.kind = claimDone
	case rec.Seq == seq:
		c.kind = claimResumed
	default:
		c.kind = claimBusy
	}
	return c, nil
}

// takeOver makes the message at seq the owner of a record started by a
// message that no longer exists, keeping when the first attempt began.
func (t *tenant) takeOver(ctx context.Context, c *claim, seq uint64) (*claim, error) {
	rec := c.rec
	rec.State, rec.Seq = stateStarted, seq
	rev, err := t.w.kv().Update(ctx, c.key, mustJSON(rec), c.rev)
	if err != nil {
		return nil, err
	}
	return &claim{kind: claimResumed, key: c.key, rev: rev, rec: rec}, nil
}

// outcome is a reply and where it goes, as recorded.
type outcome struct {
	seq     uint64 // the requests-stream sequence of the message answered
	subject string
	msgID   string // the reply's Nats-Msg-Id
	reply   *messages.Reply
}

// settle records the reply as the request's outcome, unless another
// delivery recorded one first; it returns the outcome to publish.
// Recording comes before publishing, so that a crash between the two
// publishes the recorded reply again instead of calling Okta again.
func (t *tenant) settle(ctx context.Context, c *claim, out outcome) (outcome, error) {
	for range 3 {
		rec := c.rec
		rec.State, rec.Subject, rec.MsgID, rec.Reply = stateDone, out.subject, out.msgID, out.reply
		_, err := t.w.kv().Update(ctx, c.key, mustJSON(rec), c.rev)
		if err == nil {
			return out, nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) &&
			!errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return outcome{}, fmt.Errorf("worker: recording outcome: %w", err)
		}
		// Someone else wrote the record: a done record's reply wins; a
		// record still started by this message is written again.
		now, err := readClaim(ctx, t.w.kv(), c.key, c.rec.Seq)
		switch {
		case err != nil:
			return outcome{}, fmt.Errorf("worker: re-reading outcome: %w", err)
		case now.kind == claimDone:
			return now.rec.outcome(), nil
		case now.kind == claimBusy:
			// Taken over by a newer message, which will answer.
			return outcome{}, errSuperseded
		}
		c = now
	}
	return outcome{}, errors.New("worker: idempotency record keeps changing")
}

// outcome returns the recorded reply and where it went.
func (r record) outcome() outcome {
	return outcome{seq: r.Seq, subject: r.Subject, msgID: r.MsgID, reply: r.Reply}
}

// errSuperseded says another message took over the request's record.
var errSuperseded = errors.New("worker: request taken over by a newer message")

// awaitOther waits while another message holds the request's record. It
// returns the claim once the record is done, or once this message may
// take it over because the other message is gone from the requests
// stream (answered or removed without a recorded outcome). It gives up
// after AckWait, so that duplicates never hold every slot while the
// original waits for one; the caller then hands the message back.
func (t *tenant) awaitOther(ctx context.Context, j *job, c *claim) (*claim, error) {
	ctx, cancel := context.WithTimeout(ctx, t.w.cfg.AckWait)
	defer cancel()
	seq := j.meta.Sequence.Stream
	tick := time.NewTicker(duplicatePoll)
	defer tick.Stop()
	for {
		if gone, err := t.requestGone(ctx, c.rec.Seq); err == nil && gone {
			return t.takeOverGone(ctx, j, c)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-tick.C:
		}
		next, err := readClaim(ctx, t.w.kv(), c.key, seq)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return t.claim(ctx, j)
		}
		if err != nil {
			continue
		}
		if next.kind != claimBusy {
			return next, nil
		}
		c = next
	}
}

// takeOverGone takes over a record whose message has left the requests
// stream. The message may have left because it was answered, so the
// record is read again first: a done record is the answer.
func (t *tenant) takeOverGone(ctx context.Context, j *job, c *claim) (*claim, error) {
	seq := j.meta.Sequence.Stream
	now, err := readClaim(ctx, t.w.kv(), c.key, seq)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		return t.claim(ctx, j)
	case err != nil:
		return nil, err
	case now.kind != claimBusy:
		return now, nil
	}
	j.log.Warn("request id held by a message that is gone, taking it over",
		zap.Uint64(keyOwnerSeq, now.rec.Seq))
	return t.takeOver(ctx, now, seq)
}

// duplicatePoll is how often a duplicate checks on the message that
// holds its request.
const duplicatePoll = 100 * time.Millisecond

// requestGone reports whether the requests stream no longer holds the
// message at seq.
func (t *tenant) requestGone(ctx context.Context, seq uint64) (bool, error) {
	s, err := t.w.js.Stream(ctx, t.w.cfg.RequestsStream)
	if err != nil {
		return false, err
	}
	_, err = s.GetMsg(ctx, seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return true, nil
	}
	return false, err
}

// resend publishes a recorded reply again, with the same Nats-Msg-Id,
// and acknowledges the message: the request was answered before.
func (t *tenant) resend(j *job, c *claim) {
	j.log.Info("request already answered, sending the recorded reply again")
	out := c.rec.outcome()
	if out.msgID == "" {
		out.msgID = replyMsgID(out.reply.Tenant, out.reply.ID)
	}
	t.publishAndAck(j, out, false)
}

// mustJSON encodes a value whose encoding cannot fail.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("worker: encoding " + fmt.Sprintf("%T", v) + ": " + err.Error())
	}
	return b
}

// logClaim logs what a delivery found, for the operator tracing a request.
func logClaim(j *job, c *claim) {
	switch c.kind {
	case claimResumed:
		j.log.Warn("request resumed: an earlier attempt may have reached okta")
	case claimBusy:
		j.log.Info("request id held by another message, waiting for its outcome",
			zap.Uint64(keyOwnerSeq, c.rec.Seq))
	}
}

// admit decides whether this delivery calls Okta. It claims the
// request's record; a request already answered gets its recorded reply
// again, one held by another message waits for that message's outcome,
// and one resumed after an earlier delivery of this message is marked
// ambiguous. It reports false when the delivery is settled without
// calling Okta (answered, or handed back for later).
func (t *tenant) admit(ctx context.Context, j *job) bool {
	if j.meta == nil {
		return true
	}
	c, err := t.claim(ctx, j)
	if err == nil && c.kind == claimBusy {
		logClaim(j, c)
		c, err = t.awaitOther(ctx, j, c)
	}
	if err != nil {
		if ctx.Err() != nil {
			t.handBack(j)
			return false
		}
		j.log.Warn("request outcome unknown for now, request will come back", zap.Error(err))
		t.nakLater(j)
		return false
	}
	if c.kind == claimDone {
		t.resend(j, c)
		return false
	}
	logClaim(j, c)
	j.claim, j.began = c, c.rec.Began
	j.ambiguous = c.kind == claimResumed
	return true
}
