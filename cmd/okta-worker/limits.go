package main

import (
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/okta-worker/okta-worker/okta"
	"github.com/okta-worker/okta-worker/worker"
)

// limitFlags are the settings of the rate limiter each tenant gets. The
// floor and cap of its waits are the worker's --min-pause and
// --max-pause, so that the limiter and the worker's pause of a consumer
// after a 429 bound their waits alike.
type limitFlags struct {
	reserve         float64
	concurrencyWait time.Duration
}

func (f *limitFlags) define(fs *flag.FlagSet) {
	fs.Float64Var(&f.reserve, "rate-reserve", 0,
		"percent (0-99) of every Okta rate-limit bucket never spent, for orgs whose "+
			"other applications share the budget")
	fs.DurationVar(&f.concurrencyWait, "concurrency-backoff", okta.DefaultConcurrencyWait,
		"first backoff after an Okta concurrency 429; it doubles up to eight times")
}

// limiterConfig returns the limiters' settings for a worker configured
// with c. Zero pauses mean the worker's defaults, which are also the
// limiter's.
func (f limitFlags) limiterConfig(c worker.Config) okta.LimiterConfig {
	return okta.LimiterConfig{
		ReservePercent:  f.reserve,
		MinWait:         c.MinPause,
		MaxWait:         c.MaxPause,
		ConcurrencyWait: f.concurrencyWait,
	}
}

// limitedTenant returns the tenant name, served by a client of baseURL
// that waits on a limiter of its own: one limiter per tenant, since an
// org's rate limits are the org's.
func limitedTenant(name, baseURL, token string, cfg okta.LimiterConfig,
	opts ...okta.Option) (worker.Tenant, error) {
	lim, err := okta.NewLimiter(cfg)
	if err != nil {
		return worker.Tenant{}, fmt.Errorf("tenant %q: %w", name, err)
	}
	cl, err := okta.NewClient(baseURL, token, append(opts, okta.WithLimiter(lim))...)
	if err != nil {
		return worker.Tenant{}, fmt.Errorf("tenant %q: %w", name, err)
	}
	return worker.Tenant{Name: name, Okta: cl, Limiter: lim}, nil
}

// printLimits writes, per tenant, how its limiter held its requests back
// and how often Okta refused one anyway.
func printLimits(out io.Writer, tenants []worker.Tenant) {
	for _, t := range tenants {
		if t.Limiter == nil {
			continue
		}
		s := t.Limiter.Stats()
		fmt.Fprintf(out, "rate limits %s: %d requests, %d paced (%v), %d throttled until "+
			"a reset (%v), %d refused by Okta (429)\n", t.Name, s.Requests,
			s.Paced.Count, s.Paced.Time.Round(time.Millisecond), s.Throttled.Count,
			s.Throttled.Time.Round(time.Millisecond), s.TooManyRequests+s.ConcurrencyLimited)
	}
}
