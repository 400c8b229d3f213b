package worker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// subjectUpdateTries bounds the read-merge-write rounds on the requests
// stream's subjects. JetStream has no compare-and-set on a stream's
// configuration, so two replicas starting together with different
// tenants files can overwrite each other; re-reading after the write and
// trying again makes that window small.
const subjectUpdateTries = 5

// ensureStreams creates or updates the requests, replies and dead-letter
// streams.
func (w *Worker) ensureStreams(ctx context.Context) error {
	if err := w.ensureRequestsStream(ctx); err != nil {
		return err
	}
	replies := func(c *jetstream.StreamConfig) {
		c.Retention = jetstream.LimitsPolicy
		c.MaxAge = w.cfg.RepliesMaxAge
		c.Duplicates = w.cfg.RepliesDuplicates
	}
	_, err := w.upsertStream(ctx, w.cfg.RepliesStream, w.cfg.Subjects.Replies(), replies)
	if err != nil {
		return err
	}
	// Dead letters are kept until an operator replays or removes them
	// (see dead.go).
	dead := func(c *jetstream.StreamConfig) { c.Retention = jetstream.LimitsPolicy }
	_, err = w.upsertStream(ctx, w.cfg.DeadStream, w.cfg.Subjects.Deads(), dead)
	return err
}

// ensureRequestsStream makes the requests stream capture every configured
// tenant's requests, keeping the subjects it already has so that replicas
// with older tenants files do not remove each other's tenants.
func (w *Worker) ensureRequestsStream(ctx context.Context) error {
	want := make([]string, 0, len(w.tenants))
	for _, t := range w.tenants {
		want = append(want, t.filter)
	}
	workQueue := func(c *jetstream.StreamConfig) { c.Retention = jetstream.WorkQueuePolicy }
	for range subjectUpdateTries {
		if _, err := w.upsertStream(ctx, w.cfg.RequestsStream, "", workQueue, want...); err != nil {
			return err
		}
		have, err := w.streamConfig(ctx, w.cfg.RequestsStream)
		if err != nil {
			return err
		}
		if missing := missingSubjects(have.Subjects, want); len(missing) == 0 {
			return nil
		}
	}
	return fmt.Errorf("worker: stream %s keeps losing tenant subjects; "+
		"another replica is rewriting them", w.cfg.RequestsStream)
}

// upsertStream creates the stream or updates it, starting from its
// current configuration so that settings an operator added survive, and
// adding subjects (subject, when not "", and extra) to those it has. tune
// sets the fields the worker owns besides subjects, storage and replicas.
func (w *Worker) upsertStream(ctx context.Context, name, subject string,
	tune func(*jetstream.StreamConfig), extra ...string) (*jetstream.StreamConfig, error) {
	cfg, err := w.streamConfig(ctx, name)
	if err != nil {
		return nil, err
	}
	if subject != "" {
		extra = append([]string{subject}, extra...)
	}
	cfg.Name = name
	cfg.Subjects = mergeSubjects(cfg.Subjects, extra)
	cfg.Storage = jetstream.FileStorage
	cfg.Replicas = w.cfg.Replicas
	tune(cfg)
	s, err := w.js.CreateOrUpdateStream(ctx, *cfg)
	if err != nil {
		return nil, fmt.Errorf("worker: creating or updating stream %s: %w", name, err)
	}
	got := s.CachedInfo().Config
	w.log.Debug("stream ready", zap.String(keyStream, name),
		zap.Strings(keySubject, got.Subjects))
	return &got, nil
}

// streamConfig returns the stream's current configuration, or an empty
// one when the stream does not exist yet.
func (w *Worker) streamConfig(ctx context.Context, name string) (*jetstream.StreamConfig, error) {
	s, err := w.js.Stream(ctx, name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return &jetstream.StreamConfig{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("worker: reading stream %s: %w", name, err)
	}
	cfg := s.CachedInfo().Config
	return &cfg, nil
}

// mergeSubjects returns have followed by the subjects of add it lacks,
// without duplicates; the order is stable so repeated start-ups write the
// same configuration.
func mergeSubjects(have, add []string) []string {
	out := make([]string, 0, len(have)+len(add))
	for _, s := range slices.Concat(have, add) {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// missingSubjects returns the subjects of want that have lacks.
func missingSubjects(have, want []string) []string {
	var missing []string
	for _, s := range want {
		if !slices.Contains(have, s) {
			missing = append(missing, s)
		}
	}
	return missing
}

// ensureConsumer creates or updates the tenant's durable pull consumer.
// Only the pause API changes a consumer's pause, so a tenant paused by an
// earlier run stays paused until its deadline.
func (t *tenant) ensureConsumer(ctx context.Context) (jetstream.Consumer, error) {
	cfg := t.w.cfg
	cons, err := t.w.js.CreateOrUpdateConsumer(ctx, cfg.RequestsStream, jetstream.ConsumerConfig{
		Durable:       t.durable,
		Description:   "okta-worker requests of tenant " + t.name,
		FilterSubject: t.filter,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       cfg.AckWait,
		MaxAckPending: cfg.MaxAckPending,
		MaxDeliver:    cfg.MaxDeliver,
	})
	if err != nil {
		return nil, fmt.Errorf("worker: creating consumer %s: %w", t.durable, err)
	}
	return cons, nil
}

// validName reports whether name can be a stream, consumer or queue
// group name: not empty, and none of the characters NATS reserves.
func validName(name string) bool {
	return name != "" && !strings.ContainsAny(name, ".*>/\\ \t\r\n")
}

// joinProblems joins configuration problems into one error detail.
func joinProblems(p []string) string { return strings.Join(p, "; ") }
