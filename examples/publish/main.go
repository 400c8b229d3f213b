// Command publish shows how a Go service publishes one okta-worker
// request and reads its reply. Run it against a running worker:
//
//	go run ./examples/publish -tenant local -email ada@example.com
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/okta-worker/okta-worker/messages"
)

func main() {
	url := flag.String("nats-url", nats.DefaultURL, "NATS server URL")
	tenant := flag.String("tenant", "local", "tenant name")
	email := flag.String("email", "ada@example.com", "email (and login) of the new user")
	id := flag.String("id", "", "request id; empty uses one derived from the email")
	flag.Parse()
	if *id == "" {
		*id = "example-create-" + *email
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	reply, err := createUser(ctx, *url, *tenant, *id, *email)
	if err != nil {
		log.Fatal(err)
	}
	if !reply.Success {
		log.Fatalf("request %s failed: %s: %s", reply.ID, reply.Error.Code, reply.Error.Message)
	}
	fmt.Printf("request %s created user %s\n", reply.ID, reply.Data)
}

// createUser publishes a create_user request and waits for its reply.
func createUser(ctx context.Context, url, tenant, id, email string) (messages.Reply, error) {
	nc, err := nats.Connect(url)
	if err != nil {
		return messages.Reply{}, err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return messages.Reply{}, err
	}
	subjects := messages.Subjects{}

	// Read the replies of the last ten minutes on, not just new ones: if
	// this id was answered moments ago, the worker sends its recorded
	// reply again, and the stream drops that copy as a duplicate of the
	// first (its duplicate window is 5 minutes), which is then the one to
	// find.
	since := time.Now().Add(-10 * time.Minute)
	replies, err := js.OrderedConsumer(ctx, "OKTA_REPLIES", jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{subjects.Reply(tenant, messages.ActionCreateUser)},
		DeliverPolicy:  jetstream.DeliverByStartTimePolicy,
		OptStartTime:   &since,
	})
	if err != nil {
		return messages.Reply{}, err
	}

	params, err := json.Marshal(map[string]any{
		"email": email, "first_name": "Ada", "last_name": "Lovelace",
	})
	if err != nil {
		return messages.Reply{}, err
	}
	body, err := json.Marshal(messages.Request{ID: id, Params: params})
	if err != nil {
		return messages.Reply{}, err
	}
	// The request id doubles as the message id, so a publish retried
	// after a lost acknowledgement is stored once.
	_, err = js.Publish(ctx, subjects.Request(tenant, messages.ActionCreateUser), body,
		jetstream.WithMsgID(id))
	if err != nil {
		return messages.Reply{}, err
	}

	for {
		msg, err := replies.Next(jetstream.FetchContext(ctx))
		if err != nil {
			return messages.Reply{}, err
		}
		var r messages.Reply
		if json.Unmarshal(msg.Data(), &r) == nil && r.ID == id {
			return r, nil
		}
	}
}
