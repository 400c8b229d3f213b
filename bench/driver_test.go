package bench

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	oktasdk "github.com/okta/okta-sdk-golang/v5/okta"

	"github.com/okta-worker/okta-worker/okta"
)

// The baseline's settings of Okta's own SDK: five retries of a 429, as
// the Terraform provider configures it, each waiting what the SDK
// computes from the headers (reset - Date + 1s) but at most 30s, and the
// SDK's opt-in throttle, WithRateLimitPrevent, added in v5.0.6.
const (
	sdkMaxRetries = 5
	sdkMaxBackoff = 30 // seconds
)

// getter reads one user by id; an error means the read must be done
// again later (a 429 the client gave up on).
type getter func(ctx context.Context, id string) error

// drive reads n users of o through the getters, one per replica, with
// concurrency workers per replica taking jobs from one shared queue: the
// client-level equivalent of worker replicas sharing a consumer. A job
// whose read fails goes back to the queue. It returns how many reads
// failed per replica and the time it took.
func drive(tb testing.TB, o *org, getters []getter, n int) ([]int64, time.Duration) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	queue := make(chan int, n)
	for i := range n {
		queue <- i
	}
	var left atomic.Int64
	left.Store(int64(n))
	failed := make([]int64, len(getters))
	start := time.Now()
	var wg sync.WaitGroup
	for r, get := range getters {
		for range concurrency {
			wg.Go(func() { work(ctx, cancel, queue, &left, &failed[r], o.users, get) })
		}
	}
	wg.Wait()
	if left.Load() > 0 {
		tb.Fatalf("%d reads left when the time ran out", left.Load())
	}
	return failed, time.Since(start)
}

// work is one worker of drive: it reads users until the queue is done.
func work(ctx context.Context, cancel context.CancelFunc, queue chan int,
	left *atomic.Int64, failed *int64, users []string, get getter) {
	for {
		select {
		case <-ctx.Done():
			return
		case i := <-queue:
			if err := get(ctx, users[i%len(users)]); err != nil {
				atomic.AddInt64(failed, 1)
				queue <- i
				continue
			}
			if left.Add(-1) == 0 {
				cancel()
			}
		}
	}
}

// ourGetters returns one okta.Client with its own Limiter per replica.
func ourGetters(tb testing.TB, o *org, replicas int) []getter {
	tb.Helper()
	hc := &http.Client{Timeout: 30 * time.Second}
	var gs []getter
	for r := range replicas {
		lim, err := okta.NewLimiter(okta.LimiterConfig{})
		if err != nil {
			tb.Fatal(err)
		}
		c, err := okta.NewClient(o.url, fmt.Sprintf("bench-acme-r%d", r),
			okta.WithHTTPClient(hc), okta.WithLimiter(lim))
		if err != nil {
			tb.Fatal(err)
		}
		gs = append(gs, func(ctx context.Context, id string) error {
			_, err := c.GetUser(ctx, id)
			return err
		})
	}
	return gs
}

// sdkGetters returns one client of Okta's SDK per replica, configured
// with its own rate-limit settings.
func sdkGetters(tb testing.TB, o *org, replicas int) []getter {
	tb.Helper()
	var gs []getter
	for r := range replicas {
		sdk := newSDK(tb, o, fmt.Sprintf("bench-acme-r%d", r))
		gs = append(gs, func(ctx context.Context, id string) error {
			_, resp, err := sdk.UserAPI.GetUser(ctx, id).Execute()
			if err == nil && resp != nil && resp.StatusCode != http.StatusOK {
				err = errors.New(resp.Status)
			}
			return err
		})
	}
	return gs
}

// newSDK returns Okta's SDK configured against the org. The SDK keeps
// only the host name of the org URL (NewConfiguration sets Host from
// url.Hostname), so Host is set to host:port here; the https check is
// off because the simulator listens on plain http on loopback.
func newSDK(tb testing.TB, o *org, token string) *oktasdk.APIClient {
	tb.Helper()
	cfg, err := oktasdk.NewConfiguration(
		oktasdk.WithOrgUrl(o.url),
		oktasdk.WithToken(token),
		oktasdk.WithTestingDisableHttpsCheck(true),
		oktasdk.WithHttpClientPtr(&http.Client{Timeout: 30 * time.Second}),
		oktasdk.WithCache(false),
		oktasdk.WithRateLimitMaxRetries(sdkMaxRetries),
		oktasdk.WithRateLimitMaxBackOff(sdkMaxBackoff),
		oktasdk.WithRateLimitPrevent(true),
	)
	if err != nil {
		tb.Fatal(err)
	}
	u, err := url.Parse(o.url)
	if err != nil {
		tb.Fatal(err)
	}
	cfg.Host = u.Host
	return oktasdk.NewAPIClient(cfg)
}
