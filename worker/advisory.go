package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/okta-worker/okta-worker/messages"
)

// The server leaves a request that used up MaxDeliver in the work queue
// and announces it with a core-NATS advisory, sent only while someone
// listens. The worker captures these advisories in a stream of its own
// (a stream's interest makes the server send them even while every
// replica is down), and one durable consumer shared by the replicas
// turns each into a final reply, a dead letter and the removal of the
// request.

// advisoriesStream is the name of the stream capturing max-deliveries
// advisories of the requests stream.
func (w *Worker) advisoriesStream() string { return w.cfg.DeadStream + "_ADVISORIES" }

// advisoriesSubject is the max-deliveries advisory subject of every
// consumer of the requests stream.
func (w *Worker) advisoriesSubject() string {
	return "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES." + w.cfg.RequestsStream + ".*"
}

// advisoriesConsumer is the durable consumer of the advisories stream.
func (w *Worker) advisoriesConsumer() string { return w.cfg.ConsumerPrefix + "dead-letters" }

// ensureAdvisories creates the advisories stream and its consumer.
func (w *Worker) ensureAdvisories(ctx context.Context) (jetstream.Consumer, error) {
	tune := func(c *jetstream.StreamConfig) {
		c.Retention = jetstream.WorkQueuePolicy
		c.MaxAge = DefaultRepliesMaxAge
	}
	if _, err := w.upsertStream(ctx, w.advisoriesStream(), w.advisoriesSubject(), tune); err != nil {
		return nil, err
	}
	cons, err := w.js.CreateOrUpdateConsumer(ctx, w.advisoriesStream(), jetstream.ConsumerConfig{
		Durable:     w.advisoriesConsumer(),
		Description: "okta-worker: requests that used up their deliveries",
		AckPolicy:   jetstream.AckExplicitPolicy,
		AckWait:     w.cfg.AckWait,
	})
	if err != nil {
		return nil, fmt.Errorf("worker: creating consumer %s: %w", w.advisoriesConsumer(), err)
	}
	return cons, nil
}

// runAdvisories handles advisories until ctx ends, re-creating the
// consumption when it ends by itself.
func (w *Worker) runAdvisories(ctx context.Context) {
	for n := 1; ; n++ {
		cons, err := w.ensureAdvisories(ctx)
		var cc jetstream.ConsumeContext
		if err == nil {
			cc, err = cons.Consume(func(m jetstream.Msg) { w.onAdvisory(ctx, m) },
				jetstream.PullMaxMessages(1), jetstream.PullExpiry(pullExpiry),
				jetstream.PullHeartbeat(pullHeartbeat))
		}
		if err == nil {
			n = 0
			select {
			case <-ctx.Done():
				w.stopAdvisories(cc)
				return
			case <-cc.Closed():
			}
		} else {
			w.log.Warn("dead-letter advisories not consumed, retrying", zap.Error(err))
		}
		if !sleepReal(ctx, restartDelay(max(n, 1))) {
			return
		}
	}
}

// stopAdvisories drains the consumption so that an advisory being
// handled is finished, giving up after FinishTimeout (a connection that
// is gone never confirms the drain).
func (w *Worker) stopAdvisories(cc jetstream.ConsumeContext) {
	cc.Drain()
	tm := time.NewTimer(w.cfg.FinishTimeout)
	defer tm.Stop()
	select {
	case <-cc.Closed():
	case <-tm.C:
		cc.Stop()
	}
}

// maxDeliveries is the payload of a max-deliveries advisory.
type maxDeliveries struct {
	Stream     string `json:"stream"`
	Consumer   string `json:"consumer"`
	StreamSeq  uint64 `json:"stream_seq"`
	Deliveries uint64 `json:"deliveries"`
}

// onAdvisory handles one advisory and acknowledges it once handled; on
// failure it comes back after a delay.
func (w *Worker) onAdvisory(ctx context.Context, m jetstream.Msg) {
	var a maxDeliveries
	if err := json.Unmarshal(m.Data(), &a); err != nil || a.StreamSeq == 0 {
		_ = m.Term()
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*w.cfg.FinishTimeout)
	defer cancel()
	if err := w.buryRequest(ctx, a); err != nil {
		w.log.Warn("handling a request out of deliveries failed, retrying",
			zap.Uint64(keyStreamSeq, a.StreamSeq), zap.Error(err))
		_ = m.NakWithDelay(w.cfg.NakDelay)
		return
	}
	_ = m.Ack()
}

// buryRequest answers a request that used up its deliveries, copies it
// to the dead letters and removes it from the work queue. A request
// whose outcome was recorded gets its recorded reply published again
// (dropped as a duplicate if it was out), and a dead letter only when
// that outcome is one or the reply cannot be published; a duplicate of
// a request another message holds is only removed, since that message
// answers.
func (w *Worker) buryRequest(ctx context.Context, a maxDeliveries) error {
	s, err := w.js.Stream(ctx, w.cfg.RequestsStream)
	if err != nil {
		return err
	}
	raw, err := s.GetMsg(ctx, a.StreamSeq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil // answered and acknowledged meanwhile
	}
	if err != nil {
		return err
	}
	tenant, _, _ := strings.Cut(strings.TrimPrefix(raw.Subject, w.requestsPrefix()), ".")
	dec, _ := w.cfg.Subjects.Decode(raw.Subject, raw.Data)
	if dec == nil {
		dec = &messages.Decoded{}
	}
	id := requestID(dec.ID, raw.Header.Get(jetstream.MsgIDHeader),
		&jetstream.MsgMetadata{Stream: w.cfg.RequestsStream,
			Sequence: jetstream.SequencePair{Stream: a.StreamSeq}})
	log := w.log.With(zap.String(keyTenant, tenant), zap.String(keyRequestID, id),
		zap.Uint64(keyStreamSeq, a.StreamSeq))
	out, verdict, err := w.recordDeath(ctx, tenant, id, dec, raw, a)
	if err != nil {
		return err
	}
	if verdict == deathDuplicate {
		log.Info("duplicate out of deliveries removed; the message holding its id answers it")
	} else {
		if err := w.lastWords(ctx, raw, a, out, verdict); err != nil {
			return err
		}
		log.Warn("request out of deliveries removed from the work queue")
	}
	if err := s.DeleteMsg(ctx, a.StreamSeq); err != nil &&
		!errors.Is(err, jetstream.ErrMsgNotFound) {
		return fmt.Errorf("worker: removing request %d: %w", a.StreamSeq, err)
	}
	return nil
}

// The verdicts of recordDeath.
type deathVerdict int

const (
	deathNew       deathVerdict = iota // the final error reply was recorded now
	deathAnswered                      // an outcome was recorded before
	deathDuplicate                     // another message holds the request
)

// lastWords publishes the outcome of a request out of deliveries and,
// when it died now, its outcome is worth a replay, or its reply cannot
// be published, its dead letter.
func (w *Worker) lastWords(ctx context.Context, raw *jetstream.RawStreamMsg, a maxDeliveries,
	out outcome, verdict deathVerdict) error {
	replyErr := w.sendReplyAs(ctx, out.subject, out.reply, out.msgID)
	dead := verdict == deathNew || (out.seq == a.StreamSeq && deadWorthy(out.reply))
	if !dead && replyErr == nil {
		return nil
	}
	dl := w.newDeadLetter(raw.Subject, raw.Header, raw.Data, out.reply)
	dl.StreamSeq, dl.Deliveries = a.StreamSeq, a.Deliveries
	dl.Reason = fmt.Sprintf("max deliveries: delivered %d times without an answer",
		a.Deliveries)
	if replyErr != nil {
		dl.Reason = fmt.Sprintf("max deliveries: delivered %d times; the reply could not be "+
			"published: %v", a.Deliveries, replyErr)
	}
	return w.publishDead(ctx, dl)
}

// recordDeath records the final error reply of a request out of
// deliveries, unless its record holds an outcome or another message
// holds it. It returns the outcome to publish and the verdict.
func (w *Worker) recordDeath(ctx context.Context, tenant, id string, dec *messages.Decoded,
	raw *jetstream.RawStreamMsg, a maxDeliveries) (outcome, deathVerdict, error) {
	kv := w.kv()
	if kv == nil {
		return outcome{}, deathDuplicate, errNoOutcomeStore
	}
	key := outcomeKey(tenant, id)
	now := w.clock.Now()
	r := &messages.Reply{ID: id, Tenant: tenant, Action: dec.Action, CompletedAt: now.UTC(),
		Error: &messages.Error{Code: messages.CodeInternal, Retryable: true,
			Message: fmt.Sprintf("The worker could not finish this request in %d deliveries; "+
				"it is in the dead letters for an operator to replay.", a.Deliveries)}}
	out := outcome{seq: a.StreamSeq, subject: w.replySubject(tenant, dec.Action, dec.ReplyTo),
		msgID: replyMsgID(tenant, id), reply: r}
	if replay := raw.Header.Get(ReplayHeader); usableID(replay) {
		out.msgID += ":replay:" + replay
	}
	rec := record{State: stateDone, Seq: a.StreamSeq, Began: now, Subject: out.subject,
		MsgID: out.msgID, Reply: r}
	for range 3 {
		_, err := kv.Create(ctx, key, mustJSON(rec))
		if err == nil {
			return out, deathNew, nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return outcome{}, deathDuplicate, err
		}
		c, err := readClaim(ctx, kv, key, a.StreamSeq)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue
		}
		if err != nil {
			return outcome{}, deathDuplicate, err
		}
		switch c.kind {
		case claimDone:
			o := c.rec.outcome()
			if o.msgID == "" {
				o.msgID = replyMsgID(tenant, id)
			}
			return o, deathAnswered, nil
		case claimBusy:
			return outcome{}, deathDuplicate, nil
		}
		rec.Began = c.rec.Began
		if _, err := kv.Update(ctx, key, mustJSON(rec), c.rev); err == nil {
			return out, deathNew, nil
		}
	}
	return outcome{}, deathDuplicate, errors.New("worker: idempotency record keeps changing")
}
