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

// do performs one exchange: it waits for the Limiter if there is one,
// sends the request, reads the body within maxBodyBytes, reports the
// rate-limit headers to the Observer and the Limiter and turns a non-2xx
// status into an *Error. Transport failures, timeouts included, and a
// wait cut short by ctx come back wrapped with the method and path.
func (c *Client) do(ctx context.Context, cl call) (*response, error) {
	req, err := c.newRequest(ctx, cl)
	if err != nil {
		return nil, err
	}
	bucket := BucketFor(cl.method, cl.path)
	permit, err := c.permit(ctx, bucket)
	if err != nil {
		return nil, fmt.Errorf("okta: %s %s: waiting for the rate limit: %w",
			cl.method, cl.path, err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		permit.done(0, RateLimit{})
		return nil, fmt.Errorf("okta: %s %s: %w", cl.method, cl.path, transportCause(err))
	}
	defer drainClose(resp.Body)

	raw := ParseRateLimit(resp.Header)
	permit.done(resp.StatusCode, raw)
	body, readErr := readBounded(resp.Body)
	rl := c.withDate(raw)
	c.observer.ObserveRateLimit(bucket, rl)

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

// permit waits for the client's Limiter, when it has one.
func (c *Client) permit(ctx context.Context, b Bucket) (limiterPermit, error) {
	if c.limiter == nil {
		return limiterPermit{}, nil
	}
	p, err := c.limiter.Wait(ctx, b)
	return limiterPermit{p}, err
}

// limiterPermit is a *Permit that may be absent.
type limiterPermit struct{ p *Permit }

// done reports the outcome to the permit, if any. It is called as soon
// as the headers are in, before the body is read, so that the receive
// instant brackets Okta's Date as tightly as it can.
func (lp limiterPermit) done(status int, rl RateLimit) {
	if lp.p != nil {
		lp.p.Done(status, rl)
	}
}

// withDate returns rl with the time of arrival on the client's clock
// standing in for a missing or unusable Date, so that a reset is
// measured from when the answer came rather than from whenever the
// caller gets to look at it.
func (c *Client) withDate(rl RateLimit) RateLimit {
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
