package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/okta-worker/okta-worker/messages"
	"github.com/okta-worker/okta-worker/okta"
)

func TestReplyTo(t *testing.T) {
	nc, js := connect(t, startNATS(t))
	ctx := context.Background()
	acme := newOrg(t, testToken)
	startWorker(t, js, []Tenant{{Name: "acme", Okta: acme.client}}, testConfig())
	acme.sim.AddUser(map[string]any{"login": "ada@example.com", "email": "ada@example.com"})
	inbox, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name: "APP_INBOX", Subjects: []string{"app.inbox.>"},
	})
	require.NoError(t, err)
	direct, err := nc.SubscribeSync("app.direct.r2")
	require.NoError(t, err)

	tests := []struct {
		name    string
		replyTo string
		receive func(t *testing.T) []byte
	}{{
		name:    "captured by a stream",
		replyTo: "app.inbox.r1",
		receive: func(t *testing.T) []byte {
			var m *jetstream.RawStreamMsg
			require.Eventually(t, func() bool {
				m, err = inbox.GetLastMsgForSubject(ctx, "app.inbox.r1")
				return err == nil
			}, waitFor, poll)
			assert.Equal(t, "reply:acme:reply-to-1", m.Header.Get(jetstream.MsgIDHeader))
			return m.Data
		},
	}, {
		name:    "no stream, core subscriber",
		replyTo: "app.direct.r2",
		receive: func(t *testing.T) []byte {
			m, err := direct.NextMsg(waitFor)
			require.NoError(t, err)
			return m.Data
		},
	}}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := fmt.Sprintf("reply-to-%d", i+1)
			request(t, js, "okta.requests.acme.get_user", id, map[string]any{
				"id": id, "reply_to": tt.replyTo,
				"params": map[string]any{"user_id": "ada@example.com"},
			})
			var r messages.Reply
			require.NoError(t, json.Unmarshal(tt.receive(t), &r))
			assert.Equal(t, id, r.ID)
			assert.True(t, r.Success)
			got, err := repliesTo(js, id)
			require.NoError(t, err)
			assert.Empty(t, got, "a reply_to reply is not also published by default")
		})
	}
}

func TestClassify(t *testing.T) {
	oktaErr := func(status int, code string, retryable bool) error {
		return fmt.Errorf("okta call: %w", &okta.Error{
			Method: "GET", Path: "/api/v1/users/x", HTTPStatus: status, Code: code,
			Summary: "s", RequestID: "req1", Retryable: retryable,
		})
	}
	transport := &url.Error{Op: "Get", URL: "https://acme.okta.com", Err: io.ErrUnexpectedEOF}
	tests := []struct {
		name      string
		err       error
		code      messages.Code
		retryable bool // the reply's verdict
		retry     bool // whether the worker calls again at once
	}{
		{name: "404", err: oktaErr(404, "E0000007", false), code: messages.CodeNotFound},
		{name: "ambiguous", err: fmt.Errorf("x: %w", okta.ErrAmbiguous),
			code: messages.CodeAmbiguous},
		{name: "conflict", err: fmt.Errorf("x: %w", okta.ErrConflict),
			code: messages.CodeConflict},
		{name: "401", err: oktaErr(401, "E0000011", false), code: messages.CodeUnauthorized},
		{name: "429", err: oktaErr(429, "E0000047", true), code: messages.CodeRateLimited,
			retryable: true},
		{name: "500", err: oktaErr(500, "E0000009", true),
			code: messages.CodeUpstreamUnavailable, retryable: true, retry: true},
		{name: "409 activating", err: oktaErr(409, "E0000112", true),
			code: messages.CodeOktaRejected, retryable: true, retry: true},
		{name: "400", err: oktaErr(400, "E0000001", false), code: messages.CodeOktaRejected},
		{name: "transport", err: fmt.Errorf("okta: GET: %w", transport),
			code: messages.CodeUpstreamUnavailable, retryable: true, retry: true},
		{name: "timeout", err: fmt.Errorf("okta: %w", context.DeadlineExceeded),
			code: messages.CodeUpstreamUnavailable, retryable: true, retry: true},
		{name: "cancelled", err: &url.Error{Op: "Get", URL: "u", Err: context.Canceled},
			code: messages.CodeUpstreamUnavailable, retryable: true},
		{name: "panic", err: &panicError{value: "boom"}, code: messages.CodeInternal},
		{name: "bug", err: errors.New("worker: no user"), code: messages.CodeInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := replyError(tt.err, 2)
			assert.Equal(t, tt.code, e.Code)
			assert.Equal(t, tt.retryable, e.Retryable)
			assert.Equal(t, tt.retry, retryable(tt.err))
			assert.NotEmpty(t, e.Message)
			assert.True(t, strings.HasSuffix(e.Message, "."), "one sentence: %q", e.Message)
			var oe *okta.Error
			if errors.As(tt.err, &oe) {
				assert.Equal(t, oe.HTTPStatus, e.HTTPStatus)
				assert.Equal(t, oe.Code, e.OktaErrorCode)
				assert.Equal(t, "req1", e.OktaRequestID)
			}
		})
	}
}

func TestRequestID(t *testing.T) {
	meta := &jetstream.MsgMetadata{Stream: "OKTA_REQUESTS"}
	meta.Sequence.Stream = 42
	tests := []struct {
		name, body, header string
		meta               *jetstream.MsgMetadata
		want               string
	}{
		{name: "body first", body: "b1", header: "h1", meta: meta, want: "b1"},
		{name: "header next", header: "h1", meta: meta, want: "h1"},
		{name: "stream position last", meta: meta, want: "OKTA_REQUESTS-42"},
		{name: "body id with a space", body: "b 1", header: "h1", want: "h1"},
		{name: "body id too long", body: strings.Repeat("x", 201), meta: meta,
			want: "OKTA_REQUESTS-42"},
		{name: "header with a newline", header: "h\n1", meta: meta, want: "OKTA_REQUESTS-42"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, requestID(tt.body, tt.header, tt.meta))
		})
	}
	assert.True(t, strings.HasPrefix(requestID("", "", nil), "unknown-"))
}

func TestReplySubject(t *testing.T) {
	w := &Worker{cfg: Config{}.withDefaults()}
	tests := []struct {
		name, tenant, action, replyTo, want string
	}{
		{name: "default", tenant: "acme", action: "get_user", want: "okta.replies.acme.get_user"},
		{name: "reply_to", tenant: "acme", action: "get_user", replyTo: "app.x",
			want: "app.x"},
		{name: "inbox", tenant: "acme", action: "get_user", replyTo: "_INBOX.abc",
			want: "_INBOX.abc"},
		{name: "request loop refused", tenant: "acme", action: "get_user",
			replyTo: "okta.requests.acme.get_user", want: "okta.replies.acme.get_user"},
		{name: "dead letters refused", tenant: "acme", action: "get_user",
			replyTo: "okta.dead.acme.get_user", want: "okta.replies.acme.get_user"},
		{name: "wildcard refused", tenant: "acme", action: "get_user", replyTo: "app.*",
			want: "okta.replies.acme.get_user"},
		{name: "reserved refused", tenant: "acme", action: "get_user", replyTo: "$JS.API.x",
			want: "okta.replies.acme.get_user"},
		{name: "space refused", tenant: "acme", action: "get_user", replyTo: "app. x",
			want: "okta.replies.acme.get_user"},
		{name: "empty token refused", tenant: "acme", action: "get_user", replyTo: "app..x",
			want: "okta.replies.acme.get_user"},
		{name: "too long refused", tenant: "acme", action: "get_user",
			replyTo: strings.Repeat("a", 256), want: "okta.replies.acme.get_user"},
		{name: "no action", tenant: "acme", want: "okta.replies.acme.invalid"},
		{name: "dotted action", tenant: "acme", action: "a.b",
			want: "okta.replies.acme.invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := w.replySubject(tt.tenant, messages.Action(tt.action), tt.replyTo)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestNewReplyTimesOnTheWorkerClock(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	fc := clockwork.NewFakeClockAt(start)
	w := &Worker{cfg: Config{}.withDefaults(), clock: fc}
	j := &job{id: "r1", dec: &messages.Decoded{}, start: start, attempts: 2}
	j.dec.Action = messages.ActionGetUser
	fc.Advance(1500 * time.Millisecond)

	r := w.newReply(j, "acme", json.RawMessage(`{"id":"00u1"}`), nil)
	assert.True(t, r.Success)
	assert.Equal(t, int64(1500), r.DurationMS)
	assert.Equal(t, start.Add(1500*time.Millisecond), r.CompletedAt)
	assert.Equal(t, 2, r.Attempts)
	assert.JSONEq(t, `{"id":"00u1"}`, string(r.Data))
}
