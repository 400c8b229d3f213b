package bench

import (
	"flag"
	"fmt"
	"testing"
	"time"
)

// The scale of the benchmark; see BENCHMARKS.md for why these defaults.
// Pass others after -args, e.g. -args -ratelimit.window=2s.
var (
	flagWindow  = flag.Duration("ratelimit.window", time.Second, "the simulated bucket's window")
	flagLimit   = flag.Int("ratelimit.limit", 25, "requests per window")
	flagWindows = flag.Int("ratelimit.windows", 24, "backlog, in windows")
	flagLatency = flag.Duration("ratelimit.latency", 2*time.Millisecond,
		"the simulator's latency per request")
)

// scale returns the org of the benchmark with a clock skew.
func scale(skew time.Duration) orgSpec {
	return orgSpec{limit: *flagLimit, window: *flagWindow, skew: skew, latency: *flagLatency}
}

// report reports a usage as the benchmark's metrics and logs it.
func report(b *testing.B, u usage, replicas int, took time.Duration) {
	b.ReportMetric(u.utilisation*100, "util%")
	b.ReportMetric(u.perReplica, "429/replica/100win")
	b.ReportMetric(float64(u.firstRefuse), "429-first-window")
	b.ReportMetric(float64(u.windows), "windows")
	b.Logf("replicas %d: %d accepted, utilisation %.1f%% over %d windows; 429s: %d in all, "+
		"%d in the first window, %.2f per replica per 100 windows after it; took %v",
		replicas, u.accepted, u.utilisation*100, u.windows, u.refused, u.firstRefuse,
		u.perReplica, took.Round(time.Millisecond))
}

// BenchmarkRateLimit measures, in one run, how the worker stack spends
// a tenant's bucket (utilisation, 429s) with one and three replicas,
// with Okta's clock 45s ahead and behind, how much a throttled tenant
// slows another, and the same workload through Okta's SDK. It runs each
// scenario once, whatever b.N; run it with -benchtime 1x.
func BenchmarkRateLimit(b *testing.B) {
	b.Run("worker/replicas=1", func(b *testing.B) { benchWorker(b, 1, 0) })
	b.Run("worker/replicas=3", func(b *testing.B) { benchWorker(b, 3, 0) })
	b.Run("worker/replicas=3/okta+45s", func(b *testing.B) {
		benchWorker(b, 3, 45*time.Second)
	})
	b.Run("worker/replicas=3/okta-45s", func(b *testing.B) {
		benchWorker(b, 3, -45*time.Second)
	})
	b.Run("worker/isolation", func(b *testing.B) { benchIsolation(b, isolationLatency) })
	b.Run("worker/isolation/cpu-bound", func(b *testing.B) {
		benchIsolation(b, *flagLatency)
	})
	for _, r := range []int{1, 3} {
		b.Run(fmt.Sprintf("client/okta-worker/replicas=%d", r), func(b *testing.B) {
			benchClients(b, r, ourGetters)
		})
		b.Run(fmt.Sprintf("client/okta-sdk-golang/replicas=%d", r), func(b *testing.B) {
			benchClients(b, r, sdkGetters)
		})
	}
}

// benchWorker drains a backlog of the configured number of windows
// through replicas worker replicas sharing the tenant's consumer.
func benchWorker(b *testing.B, replicas int, skew time.Duration) {
	o := startOrg(b, scale(skew), 20)
	acme := tenant{name: "acme", org: o}
	nc, js, rs := startStack(b, replicas, []tenant{acme})
	n := *flagLimit * *flagWindows
	got := listen(b, nc, acme.name, n)
	start := time.Now()
	publish(b, js, acme, "run", n)
	got.wait(b, time.Duration(*flagWindows)*(*flagWindow)*4+time.Minute)
	report(b, measure(o.rec.all(), *flagLimit, *flagWindow, replicas), replicas,
		time.Since(start))
	var widths []time.Duration
	for _, r := range rs {
		widths = append(widths, r.limiters[acme.name].Stats().ClockOffset.Width())
	}
	b.Logf("width of each replica's estimate of Okta's clock at the end: %v", widths)
	if f := got.failures(); len(f) > 0 {
		b.Errorf("failed replies: %v", f)
	}
}

// benchClients drains the same backlog through clients without the
// worker, one per replica, so that Okta's SDK can be measured the same
// way as okta-worker's client.
func benchClients(b *testing.B, replicas int,
	getters func(testing.TB, *org, int) []getter) {
	o := startOrg(b, scale(0), 20)
	n := *flagLimit * *flagWindows
	failed, took := drive(b, o, getters(b, o, replicas), n)
	report(b, measure(o.rec.all(), *flagLimit, *flagWindow, replicas), replicas, took)
	b.Logf("reads given up by the client and done again, per replica: %v", failed)
}

// isolationLatency is the latency of the second tenant's org in the
// isolation run: a round trip to Okta, rather than the simulator's
// default, so that the tenant's throughput is bound by Okta's answers,
// as in production, and not by the CPU the whole stack shares in this
// one process. The cpu-bound variant keeps the default latency.
const isolationLatency = 20 * time.Millisecond

// benchIsolation measures a second tenant's throughput on three
// replicas, alone and beside a tenant that is being throttled, with its
// org answering after latency.
func benchIsolation(b *testing.B, latency time.Duration) {
	const replicas, burst = 3, 1500
	acme := tenant{name: "acme", org: startOrg(b, scale(0), 20)}
	globex := tenant{name: "globex", org: startOrg(b, orgSpec{limit: 1 << 20,
		window: time.Minute, latency: latency}, 20)}
	nc, js, rs := startStack(b, replicas, []tenant{acme, globex})

	run := func(name string, n int) time.Duration {
		got := listen(b, nc, globex.name, n)
		publish(b, js, globex, name, n)
		got.wait(b, 5*time.Minute)
		return got.span()
	}
	run("warm-up", 200)
	solo := run("solo", burst)

	throttled := *flagLimit * 10
	acmeDone := listen(b, nc, acme.name, throttled)
	publish(b, js, acme, "busy", throttled)
	beside := run("beside", burst)
	stats := rs[0].limiters[acme.name].Stats()
	acmeDone.wait(b, time.Duration(20)*(*flagWindow)+time.Minute)

	ratio := solo.Seconds() / beside.Seconds()
	b.ReportMetric(ratio*100, "isolation%")
	b.ReportMetric(float64(burst)/solo.Seconds(), "solo-req/s")
	b.ReportMetric(float64(burst)/beside.Seconds(), "beside-req/s")
	b.Logf("globex: %d reads alone in %v, beside throttled acme in %v: %.1f%%; "+
		"acme replica 0 meanwhile paced %d and throttled %d requests",
		burst, solo.Round(time.Millisecond), beside.Round(time.Millisecond), ratio*100,
		stats.Paced.Count, stats.Throttled.Count)
}
