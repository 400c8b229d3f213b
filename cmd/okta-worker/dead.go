package main

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/okta-worker/okta-worker/messages"
	"github.com/okta-worker/okta-worker/worker"
)

// deadFlags are the settings shared by "okta-worker dead list" and
// "okta-worker dead replay".
type deadFlags struct {
	natsURL string
	keyFile string
	tenant  string
	cfg     worker.Config
	out     io.Writer
}

// define declares the flags that name the deployment.
func (f *deadFlags) define(fs *flag.FlagSet) {
	fs.StringVar(&f.natsURL, "nats-url", nats.DefaultURL, "NATS server URL(s)")
	fs.StringVar(&f.tenant, "tenant", "", "only this tenant's dead letters")
	fs.StringVar(&f.cfg.Subjects.Prefix, "subject-prefix", messages.DefaultPrefix,
		"first token of every subject")
	fs.StringVar(&f.cfg.RequestsStream, "requests-stream", worker.DefaultRequestsStream,
		"name of the requests stream")
	fs.StringVar(&f.cfg.DeadStream, "dead-stream", worker.DefaultDeadStream,
		"name of the dead-letter stream")
	fs.StringVar(&f.cfg.IdempotencyBucket, "idempotency-bucket", worker.DefaultIdempotencyBucket,
		"key-value bucket of recorded outcomes")
	defineKeyFile(fs, &f.keyFile)
	f.out = stdout
}

// defineKeyFile declares the dead-letter key flag of run and dead.
func defineKeyFile(fs *flag.FlagSet, path *string) {
	fs.StringVar(path, "dead-letter-key-file", "",
		"file holding the AES key (16, 24 or 32 bytes, hex or base64) that seals passwords "+
			"in dead letters; without it passwords are removed from dead letters")
}

// readKeyFile reads a dead-letter key; "" gives no key.
func readKeyFile(path string) ([]byte, error) {
	if path == "" {
		return nil, nil
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("dead-letter key: %w", err)
	}
	text := strings.TrimSpace(string(raw))
	for _, decode := range []func(string) ([]byte, error){
		hex.DecodeString, base64.StdEncoding.DecodeString,
	} {
		if k, err := decode(text); err == nil && (len(k) == 16 || len(k) == 24 || len(k) == 32) {
			return k, nil
		}
	}
	return nil, fmt.Errorf("dead-letter key in %s is not 16, 24 or 32 bytes in hex or base64", path)
}

// open connects and returns the dead-letter operations; close ends the
// connection.
func (f *deadFlags) open() (d *worker.Dead, closeFn func(), err error) {
	key, err := readKeyFile(f.keyFile)
	if err != nil {
		return nil, nil, err
	}
	f.cfg.DeadLetterKey = key
	nc, err := nats.Connect(f.natsURL, nats.Name("okta-worker dead"))
	if err != nil {
		return nil, nil, fmt.Errorf("connecting to %s: %w", redactURL(f.natsURL), err)
	}
	js, err := jetstream.New(nc)
	if err == nil {
		d, err = worker.NewDead(js, f.cfg)
	}
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return d, nc.Close, nil
}

func deadListCommand(fs *flag.FlagSet) func(context.Context) error {
	var f deadFlags
	f.define(fs)
	return func(ctx context.Context) error {
		d, closeFn, err := f.open()
		if err != nil {
			return err
		}
		defer closeFn()
		entries, err := d.List(ctx, f.tenant)
		if err != nil {
			return err
		}
		return printDead(f.out, entries)
	}
}

// printDead writes one line per dead letter.
func printDead(w io.Writer, entries []worker.DeadEntry) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTENANT\tACTION\tDIED\tPASSWORD\tREASON")
	for _, e := range entries {
		dl := e.Letter
		pw := "-"
		switch {
		case dl.SealedPassword != "":
			pw = "sealed"
		case dl.PasswordRemoved:
			pw = "removed"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", dl.ID, dl.Tenant, dl.Action,
			dl.DiedAt.Format(time.RFC3339), pw, dl.Reason)
	}
	return tw.Flush()
}

func deadReplayCommand(fs *flag.FlagSet) func(context.Context) error {
	var f deadFlags
	var sel worker.ReplaySelect
	f.define(fs)
	fs.StringVar(&sel.ID, "id", "", "replay the dead letters of this request id")
	fs.BoolVar(&sel.All, "all", false, "replay every dead letter")
	fs.BoolVar(&sel.DropPassword, "drop-password", false,
		"replay letters whose password was removed without a password")
	return func(ctx context.Context) error {
		sel.Tenant = f.tenant
		if sel.ID == "" && sel.Tenant == "" && !sel.All {
			return fmt.Errorf("dead replay: give --id, --tenant or --all")
		}
		d, closeFn, err := f.open()
		if err != nil {
			return err
		}
		defer closeFn()
		done, err := d.Replay(ctx, sel)
		for _, e := range done {
			fmt.Fprintf(f.out, "replayed %s (tenant %s, %s)\n",
				e.Letter.ID, e.Letter.Tenant, e.Letter.Action)
		}
		fmt.Fprintf(f.out, "%d replayed\n", len(done))
		return err
	}
}

// stdout is where the dead commands print; tests replace it.
var stdout io.Writer = os.Stdout
