package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/okta-worker/okta-worker/okta/oktasim"
)

// simFlags are the settings of "okta-worker sim".
type simFlags struct {
	listen  string
	token   string
	limits  oktasim.Limits
	latency time.Duration
	faults  oktasim.Faults
	log     logFlags
}

func (f *simFlags) define(fs *flag.FlagSet) {
	fs.StringVar(&f.listen, "listen", "127.0.0.1:8080", "listen address")
	fs.StringVar(&f.token, "token", "",
		"accept only this SSWS token; empty accepts any non-empty token")
	defineSimOptions(fs, &f.limits, &f.latency, &f.faults)
	f.log.define(fs)
}

// defineSimOptions exposes the simulator's limits, latency and faults;
// zero limits take the simulator's defaults.
func defineSimOptions(fs *flag.FlagSet, l *oktasim.Limits, latency *time.Duration,
	faults *oktasim.Faults) {
	fs.DurationVar(&l.Window, "window", oktasim.DefaultWindow, "rate-limit window")
	fs.IntVar(&l.Users, "users-limit", oktasim.DefaultUsersLimit,
		"requests per window to /api/v1/users (create and search); -1 unlimited")
	fs.IntVar(&l.UserByID, "user-get-limit", oktasim.DefaultUserByIDLimit,
		"requests per window to GET /api/v1/users/{id}; -1 unlimited")
	fs.IntVar(&l.UserUpdate, "user-update-limit", oktasim.DefaultUserUpdateLimit,
		"requests per window to POST/PUT /api/v1/users/{id}; -1 unlimited")
	fs.IntVar(&l.Generic, "generic-limit", oktasim.DefaultGenericLimit,
		"requests per window to the rest of /api/v1; -1 unlimited")
	fs.DurationVar(latency, "latency", 0, "delay added to every answer")
	fs.Float64Var(&faults.Rate5xx, "fault-5xx", 0, "fraction of requests answered with a 5xx")
	fs.Float64Var(&faults.RateTimeout, "fault-timeout", 0, "fraction of requests that time out")
	fs.BoolVar(&faults.TimeoutAfterEffect, "fault-timeout-after-effect", false,
		"let a timed-out request take effect first, as when Okta created the user "+
			"but the answer never arrived")
	fs.DurationVar(&faults.TimeoutDelay, "fault-timeout-delay", 0,
		"how long a timed-out request is held before a 504; 0 holds it until the client gives up")
	fs.Int64Var(&faults.Seed, "fault-seed", 1, "seed of the fault generator")
}

func (f simFlags) options() []oktasim.Option {
	opts := []oktasim.Option{
		oktasim.WithLimits(f.limits),
		oktasim.WithLatency(f.latency),
		oktasim.WithFaults(f.faults),
	}
	if f.token != "" {
		opts = append(opts, oktasim.WithToken(f.token))
	}
	return opts
}

func simCommand(fs *flag.FlagSet) func(context.Context) error {
	var f simFlags
	f.define(fs)
	return func(ctx context.Context) error {
		log, err := f.log.build()
		if err != nil {
			return err
		}
		defer func() { _ = log.Sync() }()
		ln, err := net.Listen("tcp", f.listen)
		if err != nil {
			return fmt.Errorf("sim: %w", err)
		}
		log.Info("okta simulator listening", zap.String("url", "http://"+ln.Addr().String()))
		return serveHTTP(ctx, ln, oktasim.New(f.options()...))
	}
}

// serveHTTP serves h on ln until ctx ends, then shuts down gracefully.
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	if e := <-errc; !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	return err
}
