package okta

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewClientAccepts(t *testing.T) {
	tests := []struct {
		name       string
		baseURL    string
		wantScheme string
		wantHost   string
	}{
		{"https org", "https://acme.okta.com", "https", "acme.okta.com"},
		{"trailing slash", "https://acme.okta.com/", "https", "acme.okta.com"},
		{"https with port", "https://acme.example.com:8443", "https", "acme.example.com:8443"},
		{"http on 127.0.0.1", "http://127.0.0.1:8080", "http", "127.0.0.1:8080"},
		{"http anywhere in 127/8", "http://127.3.2.1", "http", "127.3.2.1"},
		{"http on ::1", "http://[::1]:9000/", "http", "[::1]:9000"},
		{"http on localhost", "http://LocalHost:9000", "http", "LocalHost:9000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewClient(tt.baseURL, testToken)
			require.NoError(t, err)
			assert.Equal(t, tt.wantScheme, c.scheme)
			assert.Equal(t, tt.wantHost, c.host)
		})
	}
}

func TestNewClientRejects(t *testing.T) {
	tests := []struct {
		name    string
		baseURL string
		token   string
	}{
		{"empty URL", "", testToken},
		{"no scheme", "acme.okta.com", testToken},
		{"http on a public host", "http://acme.okta.com", testToken},
		{"http on a private address", "http://10.0.0.1:8080", testToken},
		{"http on a name that only starts like localhost", "http://localhost.evil.com", testToken},
		{"another scheme", "ftp://acme.okta.com", testToken},
		{"a path", "https://acme.okta.com/api/v1", testToken},
		{"a query", "https://acme.okta.com?x=1", testToken},
		{"an empty query", "https://acme.okta.com/?", testToken},
		{"a fragment", "https://acme.okta.com/#top", testToken},
		{"user information", "https://admin:hunter2-secret@acme.okta.com", testToken},
		{"no host", "https:///x", testToken},
		{"only a port", "https://:443", testToken},
		{"unparseable", "https://acme.okta.com:port", testToken},
		{"empty token", "https://acme.okta.com", ""},
		{"token with a space", "https://acme.okta.com", "abc def"},
		{"token with a newline", "https://acme.okta.com", testToken + "\r\nX-Evil: 1"},
		{"token with non-ASCII", "https://acme.okta.com", "tökenvalue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewClient(tt.baseURL, tt.token)
			require.ErrorIs(t, err, ErrInvalidConfig)
			assert.Nil(t, c)
			if tt.token != "" {
				assert.NotContains(t, err.Error(), tt.token)
			}
			assert.NotContains(t, err.Error(), "hunter2-secret")
		})
	}
}

func TestWithHTTPClient(t *testing.T) {
	transport := &http.Transport{}
	noTimeout := &http.Client{Transport: transport}
	c, err := NewClient("https://acme.okta.com", testToken, WithHTTPClient(noTimeout))
	require.NoError(t, err)
	assert.Equal(t, DefaultTimeout, c.http.Timeout, "a zero timeout is defaulted")
	assert.Same(t, transport, c.http.Transport, "the copy shares the transport")
	assert.Zero(t, noTimeout.Timeout, "the caller's client is not modified")
	assert.Nil(t, noTimeout.CheckRedirect, "the caller's client is not modified")

	own := &http.Client{Timeout: 5 * time.Second}
	c, err = NewClient("https://acme.okta.com", testToken, WithHTTPClient(own))
	require.NoError(t, err)
	assert.Equal(t, 5*time.Second, c.http.Timeout, "a timeout of the caller's is kept")

	c, err = NewClient("https://acme.okta.com", testToken, WithHTTPClient(nil))
	require.NoError(t, err)
	assert.Equal(t, DefaultTimeout, c.http.Timeout)
	assert.NotSame(t, http.DefaultClient, c.http)
}

func TestRequestHeaders(t *testing.T) {
	f := newFakeOkta(t, func(w http.ResponseWriter, r *http.Request) {
		oktaJSON(w, 200, testUserJSON("00u1234567890abcdefg", "ann@x.com"))
	})
	c := f.client(t)
	ctx := context.Background()

	_, err := c.GetUser(ctx, "00u1234567890abcdefg")
	require.NoError(t, err)
	_, err = c.CreateUser(ctx, NewUser{Profile: nil})
	require.NoError(t, err)

	reqs := f.received()
	require.Len(t, reqs, 2)
	for _, r := range reqs {
		assert.Equal(t, "SSWS "+testToken, r.Header.Get("Authorization"))
		assert.Equal(t, "application/json", r.Header.Get("Accept"))
		assert.Equal(t, "okta-worker", r.Header.Get("User-Agent"))
	}
	assert.Empty(t, reqs[0].Header.Get("Content-Type"), "GET has no body")
	assert.Equal(t, "application/json", reqs[1].Header.Get("Content-Type"))
}

func TestRedirectIsNotFollowed(t *testing.T) {
	f := newFakeOkta(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	})
	_, err := f.client(t).GetUser(context.Background(), "00u1234567890abcdefg")

	var oe *Error
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, http.StatusFound, oe.HTTPStatus)
	assert.False(t, oe.Retryable)
	assert.Len(t, f.received(), 1, "the redirect was not followed")
}

// recordingObserver keeps what it is told.
type recordingObserver struct {
	mu   sync.Mutex
	seen []observed
}

type observed struct {
	bucket Bucket
	rl     RateLimit
}

func (o *recordingObserver) ObserveRateLimit(b Bucket, rl RateLimit) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.seen = append(o.seen, observed{b, rl})
}

func (o *recordingObserver) all() []observed {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]observed(nil), o.seen...)
}

func TestObserverGetsBucketAndHeaders(t *testing.T) {
	const id = "00u1234567890abcdefg"
	f := newFakeOkta(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/api/v1/meta/types/user":
			oktaJSON(w, 200, `[]`)
		case r.Method == http.MethodPut:
			oktaError(w, 429, codeRateLimited,
				"API call exceeded rate limit due to too many requests.")
		case r.URL.Path == usersPath:
			oktaJSON(w, 200, "["+testUserJSON(id, "ann@x.com")+"]")
		default:
			oktaJSON(w, 200, testUserJSON(id, "ann@x.com"))
		}
	})
	obs := &recordingObserver{}
	c := f.client(t, WithObserver(obs))
	ctx := context.Background()

	_, err := c.GetUser(ctx, "a/b@x.com") // search, then read by id
	require.NoError(t, err)
	_, err = c.ListUserTypes(ctx)
	require.NoError(t, err)
	_, err = c.UpdateUser(ctx, id, UserChanges{TypeID: "otyOther"})
	require.ErrorIs(t, err, ErrRateLimited)

	wantRL := RateLimit{Limit: 600, Remaining: 599, Reset: t0.Add(time.Minute), Date: t0,
		OK: true}
	want := []observed{
		{BucketUsers, wantRL},
		{BucketUserByID, wantRL},
		{BucketGeneric, wantRL},
		{BucketUserByID, wantRL},
		{BucketUserUpdate, wantRL},
	}
	assert.Equal(t, want, obs.all())
}

func TestObserverSeesResponsesWithoutHeaders(t *testing.T) {
	f := newFakeOkta(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
	})
	obs := &recordingObserver{}
	_, err := f.client(t, WithObserver(obs)).ListUserTypes(context.Background())
	require.Error(t, err)
	got := obs.all()
	require.Len(t, got, 1)
	assert.Equal(t, BucketGeneric, got[0].bucket)
	assert.False(t, got[0].rl.OK)
}

// newStallingOkta starts a server that holds every request until the
// client gives up or the test ends; reached receives a value per request.
func newStallingOkta(t *testing.T) (f *fakeOkta, reached chan struct{}) {
	t.Helper()
	reached = make(chan struct{}, 10)
	release := make(chan struct{})
	f = newFakeOkta(t, func(w http.ResponseWriter, r *http.Request) {
		reached <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	// Cleanups run last-in first-out: release the handlers before the
	// server's Close waits for them.
	t.Cleanup(func() { close(release) })
	return f, reached
}

func TestTransportErrors(t *testing.T) {
	t.Run("context deadline", func(t *testing.T) {
		f, _ := newStallingOkta(t)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := f.client(t).GetUser(ctx, "ann@x.com")
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.True(t, strings.HasPrefix(err.Error(),
			"okta: GET /api/v1/users/ann%40x.com: "), err.Error())
		assert.NotContains(t, err.Error(), testToken)
		var oe *Error
		assert.False(t, errors.As(err, &oe), "no answer, no *Error")
	})

	t.Run("cancelled by the caller", func(t *testing.T) {
		f, reached := newStallingOkta(t)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			select {
			case <-reached:
				cancel()
			case <-ctx.Done():
			}
		}()
		_, err := f.client(t).ListUserTypes(ctx)
		require.ErrorIs(t, err, context.Canceled)
		assert.NotContains(t, err.Error(), testToken)
	})

	t.Run("client timeout", func(t *testing.T) {
		f, _ := newStallingOkta(t)
		hc := &http.Client{Timeout: 50 * time.Millisecond}
		c, err := NewClient(f.srv.URL, testToken, WithHTTPClient(hc))
		require.NoError(t, err)
		_, err = c.CreateUser(context.Background(), NewUser{Password: "Pa55word!-secret"})
		var ne net.Error
		require.ErrorAs(t, err, &ne)
		assert.True(t, ne.Timeout())
		assert.NotContains(t, err.Error(), testToken)
		assert.NotContains(t, err.Error(), "Pa55word!-secret")
	})
}

func TestConnectionRefused(t *testing.T) {
	f := newFakeOkta(t, func(w http.ResponseWriter, r *http.Request) {})
	c := f.client(t)
	f.srv.Close()

	_, err := c.GetUser(context.Background(), "00u1234567890abcdefg")
	var oe *Error
	require.Error(t, err)
	assert.False(t, errors.As(err, &oe))
	var opErr *net.OpError
	assert.ErrorAs(t, err, &opErr)
	assert.Contains(t, err.Error(), "okta: GET /api/v1/users/00u1234567890abcdefg: ")
}

func TestOversizedBody(t *testing.T) {
	f := newFakeOkta(t, func(w http.ResponseWriter, r *http.Request) {
		oktaHeaders(w, 10)
		_, _ = io.WriteString(w, `{"id":"00u1234567890abcdefg","x":"`)
		_, _ = io.WriteString(w, strings.Repeat("a", maxBodyBytes))
		_, _ = io.WriteString(w, `"}`)
	})
	_, err := f.client(t).GetUser(context.Background(), "00u1234567890abcdefg")
	require.ErrorIs(t, err, errBodyTooLarge)
}

func TestConnectionReuse(t *testing.T) {
	// An error answer with a body must leave the connection reusable.
	var mu sync.Mutex
	conns := map[string]bool{}
	f := newFakeOkta(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		conns[r.RemoteAddr] = true
		mu.Unlock()
		oktaError(w, 404, codeNotFound, "Not found: Resource not found: x (User)")
	})
	c := f.client(t)
	for range 3 {
		_, err := c.GetUser(context.Background(), "00u1234567890abcdefg")
		require.ErrorIs(t, err, ErrNotFound)
	}
	mu.Lock()
	defer mu.Unlock()
	assert.Len(t, conns, 1, "one connection carried every request")
}

func TestMissingDateUsesClientClock(t *testing.T) {
	arrival := t0.Add(45 * time.Second)
	clock := clockwork.NewFakeClockAt(arrival)
	f := newFakeOkta(t, func(w http.ResponseWriter, r *http.Request) {
		oktaHeaders(w, 0)
		w.Header()["Date"] = nil // net/http adds a Date unless told not to
		w.WriteHeader(429)
		_, _ = io.WriteString(w, `{"errorCode":"E0000047","errorSummary":"API call `+
			`exceeded rate limit due to too many requests.","errorCauses":[]}`)
	})
	obs := &recordingObserver{}
	_, err := f.client(t, WithClock(clock), WithObserver(obs)).GetUser(
		context.Background(), testID)

	var oe *Error
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, arrival, oe.RateLimit.Date)
	// Reset is t0+60 s; the answer came at t0+45 s on the client's clock.
	after, ok := oe.RetryAfter(arrival.Add(time.Hour))
	assert.True(t, ok)
	assert.Equal(t, 15*time.Second+ResetMargin, after)
	seen := obs.all()
	require.Len(t, seen, 1)
	assert.Equal(t, arrival, seen[0].rl.Date)
}

func TestPrintingAClientHidesTheToken(t *testing.T) {
	c, err := NewClient("https://acme.okta.com", testToken)
	require.NoError(t, err)
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(format, c)
		assert.NotContains(t, out, testToken, format)
		assert.Contains(t, out, "acme.okta.com", format)
	}
}
