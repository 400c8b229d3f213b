// Package bench measures how okta-worker spends Okta's rate limits. It
// holds no code of its own outside its tests: BenchmarkRateLimit drives
// the real stack (an embedded nats-server, worker replicas sharing a
// tenant's consumer, okta clients with limiters, and the Okta simulator
// with a scaled window) through a backlog many windows long, and the
// same workload through Okta's own Go SDK as the baseline. It runs in
// real time and only when asked for:
//
//	go test -run '^$' -bench RateLimit -benchtime 1x ./bench/
//
// BENCHMARKS.md at the root of the repository holds the figures.
package bench
