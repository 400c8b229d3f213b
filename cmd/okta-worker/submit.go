package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/okta-worker/okta-worker/messages"
	"github.com/okta-worker/okta-worker/worker"
)

// submitFlags are the settings of "okta-worker submit".
type submitFlags struct {
	natsURL       string
	prefix        string
	repliesStream string
	tenant        string
	action        string
	params        string
	id            string
	timeout       time.Duration
}

func submitCommand(fs *flag.FlagSet) func(context.Context) error {
	var f submitFlags
	fs.StringVar(&f.natsURL, "nats-url", nats.DefaultURL, "NATS server URL(s)")
	fs.StringVar(&f.prefix, "subject-prefix", messages.DefaultPrefix, "first token of every subject")
	fs.StringVar(&f.repliesStream, "replies-stream", worker.DefaultRepliesStream,
		"name of the replies stream")
	fs.StringVar(&f.tenant, "tenant", "", "tenant name; required")
	fs.StringVar(&f.action, "action", "", "action, e.g. get_user; required")
	fs.StringVar(&f.params, "params", "{}", "the action's params as a JSON object")
	fs.StringVar(&f.id, "id", "", "request id (idempotency key); empty generates one")
	fs.DurationVar(&f.timeout, "timeout", 30*time.Second, "how long to wait for the reply")
	return func(ctx context.Context) error {
		if f.tenant == "" || f.action == "" {
			return fmt.Errorf("submit: --tenant and --action are required")
		}
		ctx, cancel := context.WithTimeout(ctx, f.timeout)
		defer cancel()
		r, err := submit(ctx, f)
		if err != nil {
			return err
		}
		if err := printJSON(os.Stdout, r); err != nil {
			return err
		}
		if !r.Success {
			return fmt.Errorf("request %s failed: %s", r.ID, r.Error.Code)
		}
		return nil
	}
}

// submit publishes one request and returns its reply.
func submit(ctx context.Context, f submitFlags) (messages.Reply, error) {
	nc, err := nats.Connect(f.natsURL, nats.Name("okta-worker submit"))
	if err != nil {
		return messages.Reply{}, fmt.Errorf("connecting to %s: %w", redactURL(f.natsURL), err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return messages.Reply{}, err
	}
	subjects := messages.Subjects{Prefix: f.prefix}
	action := messages.Action(f.action)
	if f.id == "" {
		f.id = newRequestID()
	}
	cons, err := replyReader(ctx, js, f.repliesStream, subjects.Reply(f.tenant, action))
	if err != nil {
		return messages.Reply{}, fmt.Errorf("reading replies from stream %s: %w",
			f.repliesStream, err)
	}
	body, err := json.Marshal(messages.Request{ID: f.id, Params: json.RawMessage(f.params)})
	if err != nil {
		return messages.Reply{}, fmt.Errorf("--params is not JSON: %w", err)
	}
	subject := subjects.Request(f.tenant, action)
	if _, err := js.Publish(ctx, subject, body, jetstream.WithMsgID(f.id)); err != nil {
		return messages.Reply{}, fmt.Errorf("publishing to %s: %w", subject, err)
	}
	return awaitReply(ctx, cons, f.id)
}

// replyLookback is how far back in the replies stream submit looks for
// its reply. It covers the stream's duplicate window (5 minutes by
// default), so that when the same request id was answered a moment ago
// the recorded reply, which the worker publishes again and the stream
// drops as a duplicate, is still found.
const replyLookback = 10 * time.Minute

// replyReader returns a reader of the replies on subject stored since
// replyLookback ago. It starts at a fixed instant rather than at "new":
// an ordered consumer may be re-created on its first read, and "new"
// would then skip a reply stored in between.
func replyReader(ctx context.Context, js jetstream.JetStream, stream,
	subject string) (jetstream.Consumer, error) {
	since := time.Now().Add(-replyLookback)
	return js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{subject},
		DeliverPolicy:  jetstream.DeliverByStartTimePolicy,
		OptStartTime:   &since,
	})
}

// awaitReply reads replies until the one for id arrives.
func awaitReply(ctx context.Context, cons jetstream.Consumer, id string) (messages.Reply, error) {
	for {
		m, err := cons.Next(jetstream.FetchContext(ctx))
		if err != nil {
			return messages.Reply{}, fmt.Errorf("waiting for the reply to %s: %w", id, err)
		}
		var r messages.Reply
		if json.Unmarshal(m.Data(), &r) == nil && r.ID == id {
			return r, nil
		}
	}
}

func newRequestID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "submit-" + hex.EncodeToString(b)
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
