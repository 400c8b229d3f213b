package main

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/okta-worker/okta-worker/messages"
	"github.com/okta-worker/okta-worker/okta"
	"github.com/okta-worker/okta-worker/okta/oktasim"
	"github.com/okta-worker/okta-worker/worker"
)

//go:embed demo/batch.json
var defaultBatch []byte

// demoInbox is where demo requests with a reply_to get their replies; no
// stream captures it, so those replies travel over core NATS.
const demoInbox = "demo.inbox.>"

// batch is the demo's input: stages run one after the other, so a stage
// can look up or update what an earlier one created.
type batch struct {
	Stages []struct {
		Name     string         `json:"name"`
		Requests []batchRequest `json:"requests"`
	} `json:"stages"`
}

// batchRequest is one request and the outcome the demo expects of it:
// "success" or an error code.
type batchRequest struct {
	ID      string          `json:"id"`
	Tenant  string          `json:"tenant"`
	Action  string          `json:"action"`
	Params  json.RawMessage `json:"params,omitempty"`
	ReplyTo string          `json:"reply_to,omitempty"`
	Expect  string          `json:"expect"`

	// ExpectData, when set, must be contained in the reply's data: every
	// key it names with exactly that value (numbers compared digit for
	// digit), so the demo proves an update kept what it did not name.
	ExpectData json.RawMessage `json:"expect_data,omitempty"`
}

type demoFlags struct {
	batchFile  string
	window     time.Duration
	acmeLimit  int
	stageLimit time.Duration
	log        logFlags
	limits     limitFlags
}

func demoCommand(fs *flag.FlagSet) func(context.Context) error {
	var f demoFlags
	fs.StringVar(&f.batchFile, "batch", "", "batch file (JSON); empty uses the built-in sample")
	fs.DurationVar(&f.window, "window", 3*time.Second, "rate-limit window of the simulated orgs")
	fs.IntVar(&f.acmeLimit, "acme-users-limit", 10,
		"create/search requests per window for tenant acme, small so the demo shows throttling")
	fs.DurationVar(&f.stageLimit, "stage-timeout", time.Minute, "longest wait for a stage's replies")
	f.log.define(fs)
	f.limits.define(fs)
	_ = fs.Set("log-level", "warn")
	_ = fs.Set("log-format", "console")
	return func(ctx context.Context) error {
		log, err := f.log.build()
		if err != nil {
			return err
		}
		defer func() { _ = log.Sync() }()
		b, err := readBatch(f.batchFile)
		if err != nil {
			return err
		}
		return runDemo(ctx, f, b, log, os.Stdout)
	}
}

func readBatch(path string) (batch, error) {
	raw := defaultBatch
	if path != "" {
		var err error
		if raw, err = os.ReadFile(path); err != nil {
			return batch{}, fmt.Errorf("demo: %w", err)
		}
	}
	var b batch
	if err := json.Unmarshal(raw, &b); err != nil {
		return batch{}, fmt.Errorf("demo: batch file: %w", err)
	}
	return b, nil
}

// runDemo wires embedded NATS, one simulated org per demo tenant and the
// worker, runs the batch, prints every reply and a summary, and fails if
// any reply is missing, doubled or not what the batch expects.
func runDemo(ctx context.Context, f demoFlags, b batch, log *zap.Logger, out io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	dir, err := os.MkdirTemp("", "okta-worker-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	srv, err := startEmbeddedNATS("127.0.0.1:0", dir)
	if err != nil {
		return err
	}
	defer func() { srv.Shutdown(); srv.WaitForShutdown() }()
	nc, err := connectNATS(srv.ClientURL(), log)
	if err != nil {
		return err
	}
	defer nc.Close()

	tenants, urls, err := startDemoOrgs(ctx, f, log)
	if err != nil {
		return err
	}
	var cfg worker.Config
	werr := make(chan error, 1)
	go func() { werr <- serve(ctx, nc, tenants, cfg, log) }()
	d := &demo{nc: nc, out: out, stageLimit: f.stageLimit}
	if err := d.waitReady(ctx, tenants, werr); err != nil {
		return err
	}
	fmt.Fprintf(out, "okta-worker demo: embedded NATS at %s, tenants acme and globex\n",
		srv.ClientURL())
	if err := spendBudget(ctx, urls["acme"], demoToken("acme"), f.acmeLimit); err != nil {
		return err
	}
	fmt.Fprintf(out, "another application on acme's org has just spent its create budget "+
		"(%d requests): the worker learns it from a 429 and pauses acme\n", f.acmeLimit)
	runErr := d.run(ctx, b)
	printLimits(out, tenants)
	cancel()
	if err := <-werr; err != nil && runErr == nil {
		runErr = err
	}
	return runErr
}

// demoToken is the made-up API token of a demo org; it never leaves the
// process.
func demoToken(tenant string) string { return "demo-token-" + tenant }

// spendBudget plays another application of the same org: it spends the
// create bucket's budget behind the worker's back, as HR tools sharing
// an org's limits do, so that the worker meets a 429 it could not
// foresee and pauses the tenant.
func spendBudget(ctx context.Context, url, token string, n int) error {
	other, err := okta.NewClient(url, token)
	if err != nil {
		return err
	}
	for i := range n {
		_, err := other.CreateUser(ctx, okta.NewUser{Profile: map[string]json.RawMessage{
			"login":     jsonText(fmt.Sprintf("other.app.%d@example.com", i)),
			"email":     jsonText(fmt.Sprintf("other.app.%d@example.com", i)),
			"firstName": jsonText("Other"), "lastName": jsonText("App"),
		}})
		if err != nil {
			return fmt.Errorf("demo: spending acme's budget: %w", err)
		}
	}
	return nil
}

func jsonText(s string) json.RawMessage {
	b, _ := json.Marshal(s) // a string always encodes
	return b
}

// startDemoOrgs starts a simulated Okta org for each demo tenant on a
// loopback port and returns the worker's view of them and their URLs.
func startDemoOrgs(ctx context.Context, f demoFlags,
	log *zap.Logger) ([]worker.Tenant, map[string]string, error) {
	orgs := []struct {
		name   string
		limits oktasim.Limits
	}{
		{"acme", oktasim.Limits{Window: f.window, Users: f.acmeLimit}},
		{"globex", oktasim.Limits{Window: f.window}},
	}
	var tenants []worker.Tenant
	urls := map[string]string{}
	for _, o := range orgs {
		token := demoToken(o.name)
		sim := oktasim.New(oktasim.WithToken(token), oktasim.WithLimits(o.limits))
		sim.AddUserType("contractor", "Contractor", "People on fixed-term contracts")
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, nil, err
		}
		urls[o.name] = "http://" + ln.Addr().String()
		go func() {
			if err := serveHTTP(ctx, ln, sim); err != nil {
				log.Error("okta simulator stopped", zap.String("tenant", o.name), zap.Error(err))
			}
		}()
		t, err := limitedTenant(o.name, urls[o.name], token,
			f.limits.limiterConfig(worker.Config{}))
		if err != nil {
			return nil, nil, err
		}
		tenants = append(tenants, t)
	}
	return tenants, urls, nil
}

// demo publishes a batch and checks its replies.
type demo struct {
	nc         *nats.Conn
	js         jetstream.JetStream
	out        io.Writer
	stageLimit time.Duration
	replies    chan messages.Reply
	seen       map[string]int
	tally      map[string]int
}

// waitReady waits until the worker has created every tenant's consumer,
// so no request is published before a stream captures it.
func (d *demo) waitReady(ctx context.Context, tenants []worker.Tenant, werr <-chan error) error {
	js, err := jetstream.New(d.nc)
	if err != nil {
		return err
	}
	d.js = js
	deadline := time.Now().Add(15 * time.Second)
	for _, t := range tenants {
		for {
			_, err := js.Consumer(ctx, worker.DefaultRequestsStream,
				worker.DefaultConsumerPrefix+t.Name)
			if err == nil {
				break
			}
			select {
			case err := <-werr:
				return fmt.Errorf("worker stopped before it was ready: %w", err)
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("worker not ready after 15s: %w", err)
			}
		}
	}
	return nil
}

func (d *demo) run(ctx context.Context, b batch) error {
	d.replies = make(chan messages.Reply, 64)
	d.seen = map[string]int{}
	d.tally = map[string]int{}
	stop, err := d.listen(ctx)
	if err != nil {
		return err
	}
	defer stop()
	start := time.Now()
	var failures []string
	total := 0
	for i, st := range b.Stages {
		fmt.Fprintf(d.out, "\nstage %d: %s\n", i+1, st.Name)
		f, err := d.runStage(ctx, st.Requests)
		if err != nil {
			return err
		}
		failures = append(failures, f...)
		total += len(st.Requests)
	}
	d.summary(total, time.Since(start), failures)
	if len(failures) > 0 {
		return fmt.Errorf("demo: %d of %d replies were not as expected", len(failures), total)
	}
	return nil
}

// listen feeds d.replies from the replies stream and the demo inbox.
func (d *demo) listen(ctx context.Context) (stop func(), err error) {
	cons, err := d.js.OrderedConsumer(ctx, worker.DefaultRepliesStream,
		jetstream.OrderedConsumerConfig{})
	if err != nil {
		return nil, fmt.Errorf("demo: reading replies: %w", err)
	}
	cc, err := cons.Consume(func(m jetstream.Msg) { d.deliver(ctx, m.Data()) })
	if err != nil {
		return nil, fmt.Errorf("demo: reading replies: %w", err)
	}
	sub, err := d.nc.Subscribe(demoInbox, func(m *nats.Msg) { d.deliver(ctx, m.Data) })
	if err != nil {
		cc.Stop()
		return nil, fmt.Errorf("demo: subscribing to %s: %w", demoInbox, err)
	}
	return func() { cc.Stop(); _ = sub.Unsubscribe() }, nil
}

func (d *demo) deliver(ctx context.Context, data []byte) {
	var r messages.Reply
	if err := json.Unmarshal(data, &r); err != nil {
		r = messages.Reply{Error: &messages.Error{Code: "undecodable", Message: err.Error()}}
	}
	select {
	case d.replies <- r:
	case <-ctx.Done():
	}
}

// runStage publishes a stage's requests, then prints replies until each
// has one, and returns the ids whose reply was not the expected one.
func (d *demo) runStage(ctx context.Context, reqs []batchRequest) ([]string, error) {
	want := map[string]batchRequest{}
	for _, r := range reqs {
		want[r.ID] = r
		if err := d.publish(ctx, r); err != nil {
			return nil, err
		}
	}
	var failures []string
	timeout := time.After(d.stageLimit)
	for pending := len(want); pending > 0; {
		select {
		case r := <-d.replies:
			d.seen[r.ID]++
			req, ok := want[r.ID]
			if !ok || d.seen[r.ID] > 1 {
				failures = append(failures, r.ID+" (unexpected or second reply)")
				continue
			}
			pending--
			if !d.print(req, r) {
				failures = append(failures, r.ID)
			}
		case <-timeout:
			return nil, fmt.Errorf("demo: %d replies missing after %s", pending, d.stageLimit)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return failures, nil
}

// publish sends one request. A request for an unknown tenant has no
// stream; the worker answers the publish with an error and publishes an
// unknown_tenant reply, which the demo then reads like any other.
func (d *demo) publish(ctx context.Context, r batchRequest) error {
	body, err := json.Marshal(messages.Request{ID: r.ID, Params: r.Params, ReplyTo: r.ReplyTo})
	if err != nil {
		return err
	}
	subject := messages.Subjects{}.Request(r.Tenant, messages.Action(r.Action))
	_, err = d.js.Publish(ctx, subject, body, jetstream.WithMsgID(r.ID))
	if err != nil && r.Expect != string(messages.CodeUnknownTenant) {
		return fmt.Errorf("demo: publishing %s: %w", r.ID, err)
	}
	return nil
}

// print writes one line for a reply and reports whether it matched.
func (d *demo) print(req batchRequest, r messages.Reply) bool {
	got := "success"
	detail := describeData(r.Data)
	if !r.Success && r.Error != nil {
		got = string(r.Error.Code)
		detail = r.Error.Message
	}
	d.tally[got]++
	mark, ok := "ok  ", got == req.Expect
	if !ok {
		detail += fmt.Sprintf(" (expected %s)", req.Expect)
	} else if where := missingData(req.ExpectData, r.Data); where != "" {
		ok = false
		detail += " (data differs at " + where + ")"
	}
	if !ok {
		mark = "FAIL"
	}
	fmt.Fprintf(d.out, "%s %-7s %-20s %-8s %-15s %s [%d attempt(s), %d ms]\n",
		mark, req.Tenant, req.Action, r.ID, got, detail, r.Attempts, r.DurationMS)
	return ok
}

// missingData returns the path of the first part of want that data does
// not contain, or "" when data contains all of it.
func missingData(want, data json.RawMessage) string {
	if len(want) == 0 {
		return ""
	}
	w, errW := decodeNumbers(want)
	d, errD := decodeNumbers(data)
	if errW != nil || errD != nil {
		return "(undecodable)"
	}
	return subset("data", w, d)
}

func decodeNumbers(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}

// subset reports where got fails to contain want: objects may have more
// keys than want names; arrays and scalars must be equal.
func subset(path string, want, got any) string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return path
		}
		for k, wv := range w {
			gv, present := g[k]
			if !present {
				return path + "." + k
			}
			if where := subset(path+"."+k, wv, gv); where != "" {
				return where
			}
		}
		return ""
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return path
		}
		for i := range w {
			if where := subset(fmt.Sprintf("%s[%d]", path, i), w[i], g[i]); where != "" {
				return where
			}
		}
		return ""
	default:
		if want != got {
			return path
		}
		return ""
	}
}

// describeData summarises a success reply: a user's id, status and
// login, or the names of the user types.
func describeData(data json.RawMessage) string {
	var user struct {
		ID      string            `json:"id"`
		Status  string            `json:"status"`
		Profile map[string]any    `json:"profile"`
		Type    map[string]string `json:"type"`
	}
	if json.Unmarshal(data, &user) == nil && user.ID != "" {
		return fmt.Sprintf("%s %s %v", user.ID, user.Status, user.Profile["login"])
	}
	var types []messages.UserType
	if json.Unmarshal(data, &types) == nil {
		s := fmt.Sprintf("%d user types:", len(types))
		for _, t := range types {
			s += " " + t.Name
		}
		return s
	}
	return string(data)
}

func (d *demo) summary(total int, took time.Duration, failures []string) {
	fmt.Fprintf(d.out, "\nsummary: %d requests, %d replies in %s\n", total, sumValues(d.tally),
		took.Round(time.Millisecond))
	keys := make([]string, 0, len(d.tally))
	for k := range d.tally {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(d.out, "  %-20s %d\n", k, d.tally[k])
	}
	if len(failures) == 0 {
		fmt.Fprintln(d.out, "every request got exactly one reply, each as expected")
		return
	}
	fmt.Fprintf(d.out, "not as expected: %v\n", failures)
}

func sumValues(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
