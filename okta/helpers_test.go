package okta

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// testToken is the API token of every test client. Tests assert that it
// never shows in an error.
const testToken = "00TESTtokenSecretValue-abc123"

// t0 is the instant test servers put in their Date header.
var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// received is one request as a test server saw it.
type received struct {
	Method      string
	Path        string // decoded
	EscapedPath string
	RawQuery    string
	Query       url.Values
	Header      http.Header
	Body        []byte
}

// fakeOkta is an httptest server whose answers a test writes with the
// okta* helpers below, which set what Okta sets: JSON content type,
// Date, X-Okta-Request-Id and the rate-limit headers. It records every
// request it receives.
type fakeOkta struct {
	srv *httptest.Server

	mu       sync.Mutex
	requests []received
}

// newFakeOkta starts a server answering with handle.
func newFakeOkta(t *testing.T, handle http.HandlerFunc) *fakeOkta {
	t.Helper()
	f := &fakeOkta{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.record(r)
		handle(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// record stores r; it reads the body, which handlers then find empty.
func (f *fakeOkta) record(r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, received{
		Method:      r.Method,
		Path:        r.URL.Path,
		EscapedPath: r.URL.EscapedPath(),
		RawQuery:    r.URL.RawQuery,
		Query:       r.URL.Query(),
		Header:      r.Header.Clone(),
		Body:        body,
	})
}

// received returns a copy of the requests so far.
func (f *fakeOkta) received() []received {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]received(nil), f.requests...)
}

// client returns a client of the server with testToken.
func (f *fakeOkta) client(t *testing.T, opts ...Option) *Client {
	t.Helper()
	opts = append([]Option{WithHTTPClient(f.srv.Client())}, opts...)
	c, err := NewClient(f.srv.URL, testToken, opts...)
	require.NoError(t, err)
	return c
}

// oktaHeaders sets the headers Okta puts on every answer, with a bucket
// of 600 requests of which remaining are left, resetting 60 s after t0.
func oktaHeaders(w http.ResponseWriter, remaining int) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Date", t0.Format(http.TimeFormat))
	h.Set("X-Okta-Request-Id", "reqTest123")
	h.Set("X-Rate-Limit-Limit", "600")
	h.Set("X-Rate-Limit-Remaining", strconv.Itoa(remaining))
	h.Set("X-Rate-Limit-Reset", strconv.FormatInt(t0.Add(time.Minute).Unix(), 10))
}

// oktaJSON answers status with body, a JSON text.
func oktaJSON(w http.ResponseWriter, status int, body string) {
	oktaHeaders(w, 599)
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// oktaError answers with Okta's error body.
func oktaError(w http.ResponseWriter, status int, code, summary string, causes ...string) {
	type cause struct {
		ErrorSummary string `json:"errorSummary"`
	}
	body := struct {
		ErrorCode    string  `json:"errorCode"`
		ErrorSummary string  `json:"errorSummary"`
		ErrorLink    string  `json:"errorLink"`
		ErrorID      string  `json:"errorId"`
		ErrorCauses  []cause `json:"errorCauses"`
	}{code, summary, code, "oaeTestErrorId", []cause{}}
	for _, c := range causes {
		body.ErrorCauses = append(body.ErrorCauses, cause{c})
	}
	b, _ := json.Marshal(body)
	oktaJSON(w, status, string(b))
}

// testUserJSON is a user as Okta serves it, with id and login filled in.
func testUserJSON(id, login string) string {
	return fmt.Sprintf(`{"id":%q,"status":"ACTIVE","created":"2026-05-01T12:00:00.000Z",`+
		`"activated":null,"type":{"id":"oty1defaulttype00001"},"realmId":"guo1realm000000000001",`+
		`"profile":{"login":%q,"email":%q,"firstName":"Ann","lastName":"Lee",`+
		`"mobilePhone":null,"secondEmail":null},`+
		`"credentials":{"password":{},"provider":{"type":"OKTA","name":"OKTA"}},`+
		`"_links":{"self":{"href":"https://acme.okta.com/api/v1/users/%s"}}}`,
		id, login, login, id)
}
