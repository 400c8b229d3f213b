package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/okta-worker/okta-worker/messages"
	"github.com/okta-worker/okta-worker/okta"
	"github.com/okta-worker/okta-worker/worker"
)

// runFlags are the settings of "okta-worker run". Defaults live in the
// flag definitions so -h documents them.
type runFlags struct {
	tenants      string
	natsURL      string
	embeddedAddr string
	dataDir      string
	httpTimeout  time.Duration
	log          logFlags
	worker       worker.Config
	limits       limitFlags
	reliability  reliabilityFlags
}

func (f *runFlags) define(fs *flag.FlagSet) {
	fs.StringVar(&f.tenants, "tenants", "", "tenants file (YAML or JSON); required")
	fs.StringVar(&f.natsURL, "nats-url", "",
		"NATS server URL(s), comma-separated; empty starts an embedded JetStream server")
	fs.StringVar(&f.embeddedAddr, "embedded-nats-addr", "127.0.0.1:4222",
		"listen address of the embedded NATS server (loopback only)")
	fs.StringVar(&f.dataDir, "data-dir", "data", "directory of the embedded server's JetStream data")
	fs.DurationVar(&f.httpTimeout, "http-timeout", okta.DefaultTimeout,
		"bound on one HTTP exchange with Okta")
	f.log.define(fs)
	defineWorkerFlags(fs, &f.worker)
	f.limits.define(fs)
	f.reliability.define(fs, &f.worker)
}

// defineWorkerFlags exposes the worker's settings; zero means the
// worker's documented default.
func defineWorkerFlags(fs *flag.FlagSet, c *worker.Config) {
	fs.StringVar(&c.Subjects.Prefix, "subject-prefix", messages.DefaultPrefix,
		"first token of every subject")
	fs.StringVar(&c.RequestsStream, "requests-stream", worker.DefaultRequestsStream,
		"name of the requests stream")
	fs.StringVar(&c.RepliesStream, "replies-stream", worker.DefaultRepliesStream,
		"name of the replies stream")
	fs.StringVar(&c.DeadStream, "dead-stream", worker.DefaultDeadStream,
		"name of the dead-letter stream")
	fs.StringVar(&c.ConsumerPrefix, "consumer-prefix", worker.DefaultConsumerPrefix,
		"durable consumer name prefix; the tenant name follows")
	fs.DurationVar(&c.RepliesMaxAge, "replies-max-age", worker.DefaultRepliesMaxAge,
		"how long the replies stream keeps replies")
	fs.IntVar(&c.Replicas, "replicas", 1, "stream replicas (3 on a NATS cluster)")
	fs.DurationVar(&c.AckWait, "ack-wait", worker.DefaultAckWait, "consumer ack wait")
	fs.IntVar(&c.Concurrency, "concurrency", worker.DefaultConcurrency,
		"requests in flight per tenant")
	fs.DurationVar(&c.MaxPause, "max-pause", worker.DefaultMaxPause,
		"longest pause of a tenant after an Okta 429, and cap of every rate-limit wait")
	fs.DurationVar(&c.MinPause, "min-pause", worker.DefaultMinPause,
		"floor of a rate-limit wait when Okta's headers are missing or implausible")
}

func runCommand(fs *flag.FlagSet) func(context.Context) error {
	var f runFlags
	f.define(fs)
	return func(ctx context.Context) error {
		if f.tenants == "" {
			return fmt.Errorf("run: --tenants is required (see the README for the file format)")
		}
		log, err := f.log.build()
		if err != nil {
			return err
		}
		defer func() { _ = log.Sync() }()
		return runWorker(ctx, f, log)
	}
}

func runWorker(ctx context.Context, f runFlags, log *zap.Logger) error {
	confs, err := loadTenants(f.tenants)
	if err != nil {
		return err
	}
	hc := &http.Client{Timeout: f.httpTimeout}
	tenants, err := buildTenants(confs, hc, os.Getenv, f.limits.limiterConfig(f.worker))
	if err != nil {
		return err
	}
	url := f.natsURL
	if url == "" {
		srv, err := startEmbeddedNATS(f.embeddedAddr, f.dataDir)
		if err != nil {
			return err
		}
		defer func() { srv.Shutdown(); srv.WaitForShutdown() }()
		url = srv.ClientURL()
		log.Info("embedded nats started", zap.String("url", url), zap.String("data_dir", f.dataDir))
	}
	nc, err := connectNATS(url, log)
	if err != nil {
		return err
	}
	defer closeNATS(nc)
	return f.reliability.serveWithHealth(ctx, nc, tenants, f.worker, log)
}

// serve runs the worker on nc until ctx ends.
func serve(ctx context.Context, nc *nats.Conn, tenants []worker.Tenant, cfg worker.Config,
	log *zap.Logger) error {
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	w, err := worker.New(js, tenants, cfg, worker.WithLogger(log))
	if err != nil {
		return err
	}
	return w.Run(ctx)
}

// buildTenants makes one Okta client per tenant, all sharing hc, each
// waiting on a rate limiter of its own tenant.
func buildTenants(confs []tenantConfig, hc *http.Client,
	getenv func(string) string, lcfg okta.LimiterConfig) ([]worker.Tenant, error) {
	tenants := make([]worker.Tenant, 0, len(confs))
	for _, c := range confs {
		tok, err := c.token(getenv)
		if err != nil {
			return nil, err
		}
		t, err := limitedTenant(c.Name, c.url(), tok, lcfg, okta.WithHTTPClient(hc))
		if err != nil {
			return nil, err
		}
		tenants = append(tenants, t)
	}
	return tenants, nil
}
