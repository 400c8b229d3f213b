package oktasim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"github.com/okta-worker/okta-worker/okta/oktasim"
)

const testToken = "test-token-00000"

// t0 is where the fake clock of every test starts: a whole second, so
// tests that need a fraction add it on purpose.
var t0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

var (
	userIDPattern = regexp.MustCompile(`^00u[0-9A-Za-z]{17}$`)
	typeIDPattern = regexp.MustCompile(`^oty[0-9A-Za-z]{17}$`)
	oktaTime      = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
)

// org is a simulator behind an httptest server, with the fake clock
// that drives it.
type org struct {
	t     *testing.T
	sim   *oktasim.Server
	srv   *httptest.Server
	clock *clockwork.FakeClock
}

// newOrg starts a simulator on a fake clock at t0 that accepts only
// testToken. The server and the simulator close in cleanup, the
// simulator first so held requests are released.
func newOrg(t *testing.T, opts ...oktasim.Option) *org {
	t.Helper()
	clock := clockwork.NewFakeClockAt(t0)
	all := append([]oktasim.Option{oktasim.WithClock(clock), oktasim.WithToken(testToken)}, opts...)
	sim := oktasim.New(all...)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	t.Cleanup(sim.Close)
	return &org{t: t, sim: sim, srv: srv, clock: clock}
}

// answer is a response with its body read.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// do sends one request with the test token; body "" sends none. The
// path is sent as written, escapes included.
func (o *org) do(method, path, body string, hdr ...string) answer {
	o.t.Helper()
	return o.doCtx(context.Background(), method, path, body, hdr...)
}

func (o *org) doCtx(ctx context.Context, method, path, body string, hdr ...string) answer {
	o.t.Helper()
	req := o.request(ctx, method, path, body)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return o.send(req)
}

// request builds a request with the test token.
func (o *org) request(ctx context.Context, method, path, body string) *http.Request {
	o.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, o.srv.URL+path, rd)
	require.NoError(o.t, err)
	req.Header.Set("Authorization", "SSWS "+testToken)
	req.Header.Set("Accept", "application/json")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

func (o *org) send(req *http.Request) answer {
	o.t.Helper()
	resp, err := o.srv.Client().Do(req)
	require.NoError(o.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(o.t, err)
	return answer{status: resp.StatusCode, header: resp.Header, body: b}
}

// create posts a user and requires a 200; it returns the user object.
func (o *org) create(query, body string) map[string]any {
	o.t.Helper()
	a := o.do(http.MethodPost, "/api/v1/users"+query, body)
	require.Equal(o.t, http.StatusOK, a.status, string(a.body))
	return a.object(o.t)
}

// createPerson creates an activated user with the default profile
// fields built from login.
func (o *org) createPerson(login string) string {
	o.t.Helper()
	u := o.create("", profileBody(login, nil))
	return u["id"].(string)
}

// profileBody is a create body with login, email = login, and names.
func profileBody(login string, extra map[string]any) string {
	p := map[string]any{"login": login, "email": login, "firstName": "Ada", "lastName": "Lovelace"}
	for k, v := range extra {
		p[k] = v
	}
	b, _ := json.Marshal(map[string]any{"profile": p})
	return string(b)
}

func (a answer) object(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(a.body))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&m), string(a.body))
	return m
}

func (a answer) array(t *testing.T) []map[string]any {
	t.Helper()
	var m []map[string]any
	dec := json.NewDecoder(bytes.NewReader(a.body))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&m), string(a.body))
	return m
}

// oktaErr is an Okta error body, decoded strictly so an unexpected key
// fails the test.
type oktaErr struct {
	ErrorCode    string `json:"errorCode"`
	ErrorSummary string `json:"errorSummary"`
	ErrorLink    string `json:"errorLink"`
	ErrorID      string `json:"errorId"`
	ErrorCauses  []struct {
		ErrorSummary string `json:"errorSummary"`
	} `json:"errorCauses"`
}

// requireError checks an Okta error answer: status, code, the shape of
// the body, and returns it.
func requireError(t *testing.T, a answer, status int, code string) oktaErr {
	t.Helper()
	require.Equal(t, status, a.status, string(a.body))
	require.Equal(t, "application/json", a.header.Get("Content-Type"))
	var e oktaErr
	dec := json.NewDecoder(bytes.NewReader(a.body))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&e), string(a.body))
	require.Equal(t, code, e.ErrorCode)
	require.Equal(t, code, e.ErrorLink)
	require.Regexp(t, `^oae[0-9A-Za-z]+$`, e.ErrorID)
	require.NotNil(t, e.ErrorCauses, "errorCauses must be [] rather than null")
	return e
}

func causes(e oktaErr) []string {
	out := []string{}
	for _, c := range e.ErrorCauses {
		out = append(out, c.ErrorSummary)
	}
	return out
}

func profileOf(t *testing.T, u map[string]any) map[string]any {
	t.Helper()
	p, ok := u["profile"].(map[string]any)
	require.True(t, ok, "profile is an object")
	return p
}
