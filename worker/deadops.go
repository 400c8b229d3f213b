package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
)

// DeadEntry is a dead letter and its sequence in the dead-letter stream.
type DeadEntry struct {
	Seq    uint64
	Letter DeadLetter
}

// Dead reads and replays the dead letters of a deployment; it is what
// "okta-worker dead" runs. Only the stream, subject and bucket names and
// the dead-letter key of its Config matter.
type Dead struct {
	js  jetstream.JetStream
	cfg Config
}

// NewDead returns the dead-letter operations for the deployment cfg
// describes.
func NewDead(js jetstream.JetStream, cfg Config) (*Dead, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Dead{js: js, cfg: cfg}, nil
}

// List returns the dead letters, oldest first; with tenant set, only
// that tenant's.
func (d *Dead) List(ctx context.Context, tenant string) ([]DeadEntry, error) {
	s, err := d.js.Stream(ctx, d.cfg.DeadStream)
	if err != nil {
		return nil, fmt.Errorf("worker: dead-letter stream %s: %w", d.cfg.DeadStream, err)
	}
	var out []DeadEntry
	err = eachMsg(ctx, s, func(m *jetstream.RawStreamMsg) error {
		var dl DeadLetter
		if err := json.Unmarshal(m.Data, &dl); err != nil {
			return fmt.Errorf("worker: dead letter %d: %w", m.Sequence, err)
		}
		if tenant == "" || dl.Tenant == tenant {
			out = append(out, DeadEntry{Seq: m.Sequence, Letter: dl})
		}
		return nil
	})
	return out, err
}

// eachMsg calls fn with every message stored in s, oldest first,
// skipping those deleted while it reads. It stops at fn's first error.
func eachMsg(ctx context.Context, s jetstream.Stream,
	fn func(*jetstream.RawStreamMsg) error) error {
	info, err := s.Info(ctx)
	if err != nil {
		return err
	}
	for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if err := fn(m); err != nil {
			return err
		}
	}
	return nil
}

// ReplaySelect chooses the dead letters to replay: those with request
// id ID (of any tenant, or of Tenant if set), all of Tenant's, or All.
// DropPassword replays letters whose password was removed without one.
type ReplaySelect struct {
	ID           string
	Tenant       string
	All          bool
	DropPassword bool
}

// matches reports whether the selection takes dl.
func (r ReplaySelect) matches(dl DeadLetter) bool {
	switch {
	case r.ID != "":
		return dl.ID == r.ID && (r.Tenant == "" || dl.Tenant == r.Tenant)
	case r.Tenant != "":
		return dl.Tenant == r.Tenant
	default:
		return r.All
	}
}

// Replay republishes the selected dead letters to their request subject
// under a new Nats-Msg-Id (the requests stream's dedupe window would drop
// the old one), after forgetting the request's recorded outcome so that
// the worker performs it again, and removes each letter once the publish
// is acknowledged. It returns the letters replayed; letters it refused
// (a removed or unopenable password) are named in the error, and the
// others are still replayed.
func (d *Dead) Replay(ctx context.Context, sel ReplaySelect) ([]DeadEntry, error) {
	if sel.ID == "" && sel.Tenant == "" && !sel.All {
		return nil, errors.New("worker: replay needs an id, a tenant or all")
	}
	entries, err := d.List(ctx, "")
	if err != nil {
		return nil, err
	}
	kv, err := d.js.KeyValue(ctx, d.cfg.IdempotencyBucket)
	if err != nil {
		return nil, fmt.Errorf("worker: idempotency bucket: %w", err)
	}
	var done []DeadEntry
	var errs []error
	for _, e := range entries {
		if !sel.matches(e.Letter) {
			continue
		}
		if err := d.replayOne(ctx, kv, e, sel.DropPassword); err != nil {
			errs = append(errs, fmt.Errorf("dead letter %d (tenant %s, id %s): %w",
				e.Seq, e.Letter.Tenant, e.Letter.ID, err))
			continue
		}
		done = append(done, e)
	}
	return done, errors.Join(errs...)
}

// replayOne replays one letter.
func (d *Dead) replayOne(ctx context.Context, kv jetstream.KeyValue, e DeadEntry,
	dropPassword bool) error {
	body, err := d.restore(e.Letter, dropPassword)
	if err != nil {
		return err
	}
	err = kv.Delete(ctx, outcomeKey(e.Letter.Tenant, e.Letter.ID))
	if err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("forgetting the recorded outcome: %w", err)
	}
	token := nuid.Next()
	m := nats.NewMsg(e.Letter.Subject)
	m.Data = body
	m.Header.Set(jetstream.MsgIDHeader, "replay:"+token)
	m.Header.Set(ReplayHeader, token)
	if _, err := d.js.PublishMsg(ctx, m,
		jetstream.WithExpectStream(d.cfg.RequestsStream)); err != nil {
		return fmt.Errorf("publishing: %w", err)
	}
	s, err := d.js.Stream(ctx, d.cfg.DeadStream)
	if err == nil {
		err = s.DeleteMsg(ctx, e.Seq)
	}
	if err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
		return fmt.Errorf("replayed, but removing the letter failed: %w", err)
	}
	return nil
}

// restore returns the request body to publish again, with its password
// opened and put back when it was sealed.
func (d *Dead) restore(dl DeadLetter, dropPassword bool) ([]byte, error) {
	if dl.PasswordRemoved && !dropPassword {
		return nil, errors.New("its password was not kept (no dead-letter key was set); " +
			"replay it without the password (--drop-password), or publish the request " +
			"again with it")
	}
	if len(dl.Request) == 0 {
		return nil, errors.New("the request body was not kept")
	}
	if dl.SealedPassword == "" {
		return dl.Request, nil
	}
	pw, err := openPassword(d.cfg.DeadLetterKey, dl.Tenant, dl.ID, dl.SealedPassword)
	if err != nil {
		return nil, err
	}
	var top map[string]json.RawMessage
	var params map[string]json.RawMessage
	if json.Unmarshal(dl.Request, &top) != nil || json.Unmarshal(top["params"], &params) != nil {
		return nil, errors.New("the request body is not an object with params")
	}
	params["password"] = mustJSON(pw)
	top["params"] = mustJSON(params)
	return mustJSON(top), nil
}
