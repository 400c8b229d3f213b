package okta

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// Bounds on what the client reads from Okta. A user object is a few KiB
// and an error body less than one; the bounds only stop a misbehaving
// server or proxy from exhausting memory.
const (
	maxBodyBytes  = 4 << 20  // largest response body read
	maxDrainBytes = 64 << 10 // what is discarded beyond it to reuse the connection
)

// errBodyTooLarge reports a response body longer than maxBodyBytes.
var errBodyTooLarge = errors.New("response body exceeds 4 MiB")

// call is one HTTP exchange with Okta.
type call struct {
	method string
	// path is the escaped path, starting with /api/v1; every dynamic
	// segment in it was escaped with escapeSegment.
	path    string
	query   url.Values
	body    []byte // nil sends no body
	ifMatch string // If-Match header; "" sends none

	// secrets are values besides the token that must never appear in an
	// error, such as the password of a new user.
	secrets []string
}

// response is a 2xx answer, read whole.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do performs one exchange: it sends the request, reads the body within
// maxBodyBytes, reports the rate-limit headers to the Observer and turns a
// non-2xx status into an *Error. Transport failures, timeouts included,
// come back wrapped with the method and path.
func (c *Client) do(ctx context.Context, cl call) (*response, error) {
	req, err := c.newRequest(ctx, cl)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("okta: %s %s: %w", cl.method, cl.path, transportCause(err))
	}
	defer drainClose(resp.Body)

	body, readErr := readBounded(resp.Body)
	rl := c.rateLimitOf(resp.Header)
	c.observer.ObserveRateLimit(BucketFor(cl.method, cl.path), rl)

	// A non-2xx status is an answer even when its body was cut short, so
	// it wins over a read error.
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, newError(cl, resp, body, rl, c.secretsOf(cl))
	}
	if readErr != nil {
		return nil, fmt.Errorf("okta: %s %s: reading response: %w", cl.method, cl.path, readErr)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: body}, nil
}

// rateLimitOf parses the rate-limit state of a response. When Okta sent
// no usable Date, the time of arrival on the client's clock stands in for
// it, so that a reset is measured from when the answer came rather than
// from whenever the caller gets to look at it.
func (c *Client) rateLimitOf(h http.Header) RateLimit {
	rl := ParseRateLimit(h)
	if rl.Date.IsZero() {
		rl.Date = c.clock.Now().UTC()
	}
	return rl
}

// newRequest builds the HTTP request of cl with the client's headers.
func (c *Client) newRequest(ctx context.Context, cl call) (*http.Request, error) {
	// Path is the decoded form and RawPath the escaped one the server
	// receives; setting both keeps net/url from escaping a second time.
	decoded, err := url.PathUnescape(cl.path)
	if err != nil {
		return nil, fmt.Errorf("okta: %s %s: bad path: %w", cl.method, cl.path, err)
	}
	u := url.URL{Scheme: c.scheme, Host: c.host, Path: decoded, RawPath: cl.path}
	if len(cl.query) > 0 {
		u.RawQuery = cl.query.Encode()
	}

	var body io.Reader
	if cl.body != nil {
		body = bytes.NewReader(cl.body)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("okta: %s %s: building request: %w", cl.method, cl.path, err)
	}
	c.setHeaders(req, cl)
	return req, nil
}

// setHeaders sets authentication and content negotiation on req.
func (c *Client) setHeaders(req *http.Request, cl call) {
	req.Header.Set("Authorization", "SSWS "+c.token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	if cl.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if cl.ifMatch != "" {
		req.Header.Set("If-Match", cl.ifMatch)
	}
}

// secretsOf lists the strings redacted from the errors of cl.
func (c *Client) secretsOf(cl call) []string {
	return append([]string{c.token}, cl.secrets...)
}

// transportCause strips the *url.Error wrapper from a transport failure:
// it repeats the full URL, query included, which the caller's message
// already names by method and path. What it wraps (a timeout, a context
// error, a dial error) stays reachable through errors.Is and errors.As.
func transportCause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err
	}
	return err
}

// readBounded reads r up to maxBodyBytes. Beyond that it returns what it
// read with errBodyTooLarge.
func readBounded(r io.Reader) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r, maxBodyBytes+1))
	if err != nil {
		return body, err
	}
	if len(body) > maxBodyBytes {
		return body[:maxBodyBytes], errBodyTooLarge
	}
	return body, nil
}

// drainClose discards a bounded rest of body and closes it, so that the
// connection can carry the next request.
func drainClose(body io.ReadCloser) {
	_, _ = io.CopyN(io.Discard, body, maxDrainBytes)
	_ = body.Close()
}
