package worker

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/okta-worker/okta-worker/messages"
)

// ReplayHeader marks a request republished from the dead letters. Its
// value is added to the reply's Nats-Msg-Id, so that the replies stream
// does not drop the replayed request's reply as a duplicate of the reply
// that sent it to the dead letters.
const ReplayHeader = "Okta-Worker-Replay"

// DeadLetter is a request that got a final error reply after exhausting
// its attempts or its deliveries, kept in the dead-letter stream so that
// an operator can replay it once the cause is fixed.
//
// A password is never stored in clear: with a dead-letter key it is
// sealed with AES-GCM in SealedPassword; without one it is removed and
// PasswordRemoved is set, and a replay refuses the letter unless told to
// send it without the password.
type DeadLetter struct {
	ID              string          `json:"id"`
	Tenant          string          `json:"tenant"`
	Action          string          `json:"action"`
	Reason          string          `json:"reason"`
	Code            messages.Code   `json:"code,omitempty"`
	DiedAt          time.Time       `json:"died_at"`
	Subject         string          `json:"subject"` // where the request was published
	MsgID           string          `json:"msg_id,omitempty"`
	StreamSeq       uint64          `json:"stream_seq"`
	Deliveries      uint64          `json:"deliveries"`
	Request         json.RawMessage `json:"request,omitempty"` // the body, password removed
	SealedPassword  string          `json:"sealed_password,omitempty"`
	PasswordRemoved bool            `json:"password_removed,omitempty"`
}

// deadWorthy reports whether a reply ends a request that an operator may
// want to replay: a failure that might succeed later, or a worker fault.
func deadWorthy(r *messages.Reply) bool {
	return r != nil && !r.Success && r.Error != nil &&
		(r.Error.Retryable || r.Error.Code == messages.CodeInternal)
}

// deadCopy copies the request to the dead letters when its outcome is a
// final error worth replaying and this message is the one that produced
// it (a duplicate answered from the record does not die again).
func (t *tenant) deadCopy(ctx context.Context, j *job, out outcome) error {
	if !deadWorthy(out.reply) || j.meta == nil || out.seq != j.meta.Sequence.Stream {
		return nil
	}
	dl := t.w.newDeadLetter(j.msg.Subject(), j.msg.Headers(), j.msg.Data(), out.reply)
	dl.StreamSeq, dl.Deliveries = j.meta.Sequence.Stream, j.meta.NumDelivered
	dl.Reason = "attempts exhausted: " + string(out.reply.Error.Code)
	if err := t.w.publishDead(ctx, dl); err != nil {
		return err
	}
	j.log.Warn("request moved to the dead letters", zap.String(keyReason, dl.Reason))
	return nil
}

// newDeadLetter builds the dead letter of a request from its subject,
// headers, body and final reply; the reason and position are the
// caller's.
func (w *Worker) newDeadLetter(subject string, h nats.Header, body []byte,
	r *messages.Reply) DeadLetter {
	dl := DeadLetter{
		ID: r.ID, Tenant: r.Tenant, Action: string(r.Action), Subject: subject,
		DiedAt: w.clock.Now().UTC(), MsgID: h.Get(jetstream.MsgIDHeader),
	}
	if r.Error != nil {
		dl.Code = r.Error.Code
	}
	req, pw, found := splitPassword(body)
	dl.Request = req
	if !found {
		return dl
	}
	sealed, err := sealPassword(w.cfg.DeadLetterKey, dl.Tenant, dl.ID, pw)
	if err != nil || sealed == "" {
		dl.PasswordRemoved = true
		return dl
	}
	dl.SealedPassword = sealed
	return dl
}

// splitPassword returns the request body without params.password, and
// the password. A body that is not a JSON object is kept only when it
// cannot hold a password; otherwise it is dropped and reported as
// holding one, so nothing secret is ever stored in clear.
func splitPassword(body []byte) (json.RawMessage, string, bool) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		if strings.Contains(strings.ToLower(string(body)), "password") {
			return nil, "", true
		}
		b, _ := json.Marshal(string(body)) // keep the text, quoted
		return b, "", false
	}
	var params map[string]json.RawMessage
	if json.Unmarshal(top["params"], &params) != nil || params["password"] == nil {
		return body, "", false
	}
	var pw string
	_ = json.Unmarshal(params["password"], &pw)
	delete(params, "password")
	top["params"] = mustJSON(params)
	return mustJSON(top), pw, true
}

// sealPassword encrypts pw with AES-GCM under key, binding it to the
// tenant and request id; it returns "" without a key.
func sealPassword(key []byte, tenant, id, pw string) (string, error) {
	if len(key) == 0 {
		return "", nil
	}
	aead, err := newAEAD(key)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := aead.Seal(nonce, nonce, []byte(pw), []byte(tenant+"\x00"+id))
	return base64.StdEncoding.EncodeToString(out), nil
}

// openPassword decrypts a password sealed by sealPassword.
func openPassword(key []byte, tenant, id, sealed string) (string, error) {
	if len(key) == 0 {
		return "", errors.New("the letter's password is sealed and no dead-letter key is set")
	}
	aead, err := newAEAD(key)
	if err != nil {
		return "", err
	}
	raw, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil || len(raw) < aead.NonceSize() {
		return "", errors.New("the letter's sealed password is malformed")
	}
	n := aead.NonceSize()
	pw, err := aead.Open(nil, raw[:n], raw[n:], []byte(tenant+"\x00"+id))
	if err != nil {
		return "", errors.New("the letter's password does not open with this dead-letter key")
	}
	return string(pw), nil
}

// newAEAD returns AES-GCM under key.
func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("worker: dead-letter key: %w", err)
	}
	return cipher.NewGCM(block)
}

// publishDead stores a dead letter. Its Nats-Msg-Id names the request
// and the message that died, so copying the same death twice (a crash
// in between, or the advisory and the handler both) stores it once.
func (w *Worker) publishDead(ctx context.Context, dl DeadLetter) error {
	action := messages.Action(dl.Action)
	if !isToken(dl.Action) {
		action = "invalid"
	}
	m := nats.NewMsg(w.cfg.Subjects.Dead(dl.Tenant, action))
	m.Data = mustJSON(dl)
	m.Header.Set(jetstream.MsgIDHeader, fmt.Sprintf("dead:%s:%s:%d", dl.Tenant, dl.ID, dl.StreamSeq))
	if _, err := w.js.PublishMsg(ctx, m, jetstream.WithExpectStream(w.cfg.DeadStream)); err != nil {
		return fmt.Errorf("worker: publishing dead letter: %w", err)
	}
	return nil
}

// jobReplyMsgID is the Nats-Msg-Id of the reply to j: the request's, made
// new for a request replayed from the dead letters.
func jobReplyMsgID(j *job, r *messages.Reply) string {
	id := replyMsgID(r.Tenant, r.ID)
	if replay := j.msg.Headers().Get(ReplayHeader); usableID(replay) {
		id += ":replay:" + replay
	}
	return id
}
