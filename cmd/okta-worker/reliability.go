package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/okta-worker/okta-worker/worker"
)

// reliabilityFlags are the run settings for idempotency, retries, dead
// letters, shutdown and health.
type reliabilityFlags struct {
	keyFile    string
	healthAddr string
}

// define declares the flags; zero values mean the worker's defaults.
func (f *reliabilityFlags) define(fs *flag.FlagSet, c *worker.Config) {
	fs.StringVar(&c.IdempotencyBucket, "idempotency-bucket", worker.DefaultIdempotencyBucket,
		"key-value bucket recording the outcome of every request id")
	fs.DurationVar(&c.IdempotencyTTL, "idempotency-ttl", worker.DefaultIdempotencyTTL,
		"idempotency window: how long a request id's outcome is kept and replayed")
	fs.IntVar(&c.MaxAttempts, "max-attempts", worker.DefaultMaxAttempts,
		"Okta calls per request for transient failures (5xx, timeouts) before giving up")
	fs.DurationVar(&c.MaxElapsed, "max-elapsed", worker.DefaultMaxElapsed,
		"time one request may spend retrying transient Okta failures")
	fs.IntVar(&c.MaxDeliver, "max-deliver", worker.DefaultMaxDeliver,
		"deliveries of a request before it goes to the dead letters")
	fs.DurationVar(&c.ShutdownGrace, "shutdown-grace", worker.DefaultShutdownGrace,
		"how long requests in flight may finish after SIGTERM before they are handed back")
	defineKeyFile(fs, &f.keyFile)
	fs.StringVar(&f.healthAddr, "health-addr", "",
		"listen address of /livez and /readyz, e.g. 127.0.0.1:8081; empty serves none")
}

// serveWithHealth runs the worker on nc until ctx ends, serving its
// health endpoints on f.healthAddr when one is set.
func (f *reliabilityFlags) serveWithHealth(ctx context.Context, nc *nats.Conn,
	tenants []worker.Tenant, cfg worker.Config, log *zap.Logger) error {
	key, err := readKeyFile(f.keyFile)
	if err != nil {
		return err
	}
	cfg.DeadLetterKey = key
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	w, err := worker.New(js, tenants, cfg, worker.WithLogger(log))
	if err != nil {
		return err
	}
	if f.healthAddr != "" {
		stop, err := startHealth(f.healthAddr, w.HealthHandler(), log)
		if err != nil {
			return err
		}
		defer stop()
	}
	return w.Run(ctx)
}

// startHealth serves h on addr until stop is called.
func startHealth(addr string, h http.Handler, log *zap.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("health endpoint: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Warn("health endpoint stopped", zap.Error(err))
		}
	}()
	log.Info("health endpoint listening", zap.String("addr", ln.Addr().String()))
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-done
	}, nil
}
