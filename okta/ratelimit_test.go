package okta

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestBucketFor(t *testing.T) {
	tests := []struct {
		name   string
		method string
		path   string
		want   Bucket
	}{
		{"create", "POST", "/api/v1/users", BucketUsers},
		{"search", "GET", "/api/v1/users?search=profile.email+eq+%22a%22", BucketUsers},
		{"list with trailing slash", "GET", "/api/v1/users/", BucketUsers},
		{"get by id", "GET", "/api/v1/users/00u1234567890abcdefg", BucketUserByID},
		{"get by escaped login", "GET", "/api/v1/users/a%2Bb%40x.com", BucketUserByID},
		{"method in lower case", "get", "/api/v1/users/00u1", BucketUserByID},
		{"replace by id", "PUT", "/api/v1/users/00u1", BucketUserUpdate},
		{"partial update by id", "POST", "/api/v1/users/00u1", BucketUserUpdate},
		{"delete by id", "DELETE", "/api/v1/users/00u1", BucketUserUpdate},
		{"lifecycle shares create's bucket", "POST", "/api/v1/users/00u1/lifecycle/activate",
			BucketUsers},
		{"user types", "GET", "/api/v1/meta/types/user", BucketGeneric},
		{"user's groups", "GET", "/api/v1/users/00u1/groups", BucketGeneric},
		{"delete the collection", "DELETE", "/api/v1/users", BucketGeneric},
		{"patch by id", "PATCH", "/api/v1/users/00u1", BucketGeneric},
		{"a sibling path", "GET", "/api/v1/usersX", BucketGeneric},
		{"another api", "GET", "/api/v1/groups", BucketGeneric},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, BucketFor(tt.method, tt.path))
		})
	}
}

func TestParseRateLimit(t *testing.T) {
	date := "Fri, 01 May 2026 12:00:00 GMT"
	reset := time.Unix(1777636860, 0).UTC() // t0 + 60 s
	tests := []struct {
		name   string
		header http.Header
		want   RateLimit
	}{
		{
			name: "all headers",
			header: http.Header{"Date": {date}, "X-Rate-Limit-Limit": {"600"},
				"X-Rate-Limit-Remaining": {"599"}, "X-Rate-Limit-Reset": {"1777636860"}},
			want: RateLimit{Limit: 600, Remaining: 599, Reset: reset, Date: t0, OK: true},
		},
		{
			name: "lower-case names as HTTP/2 sends them",
			header: http.Header{"date": {date}, "x-rate-limit-limit": {"600"},
				"x-rate-limit-remaining": {"0"}, "x-rate-limit-reset": {"1777636860"}},
			want: RateLimit{Limit: 600, Remaining: 0, Reset: reset, Date: t0, OK: true},
		},
		{
			name: "concurrency 429",
			header: http.Header{"Date": {date}, "X-Rate-Limit-Limit": {"0"},
				"X-Rate-Limit-Remaining": {"0"}, "X-Rate-Limit-Reset": {"1777636860"}},
			want: RateLimit{Reset: reset, Date: t0, OK: true},
		},
		{
			name: "repeated headers: the first valid value wins",
			header: http.Header{"X-Rate-Limit-Limit": {"abc", "600", "700"},
				"X-Rate-Limit-Remaining": {"-1", "5"}, "X-Rate-Limit-Reset": {"1777636860"}},
			want: RateLimit{Limit: 600, Remaining: 5, Reset: reset, OK: true},
		},
		{
			name: "values folded with commas",
			header: http.Header{"X-Rate-Limit-Limit": {"600, 700"},
				"X-Rate-Limit-Remaining": {" 5 ,6"}, "X-Rate-Limit-Reset": {"1777636860,1"}},
			want: RateLimit{Limit: 600, Remaining: 5, Reset: reset, OK: true},
		},
		{
			name: "a missing header",
			header: http.Header{"Date": {date}, "X-Rate-Limit-Limit": {"600"},
				"X-Rate-Limit-Remaining": {"599"}},
			want: RateLimit{Date: t0},
		},
		{
			name: "a negative value",
			header: http.Header{"X-Rate-Limit-Limit": {"600"},
				"X-Rate-Limit-Remaining": {"-3"}, "X-Rate-Limit-Reset": {"1777636860"}},
			want: RateLimit{},
		},
		{
			name: "signs, fractions and overflow are not counts",
			header: http.Header{"X-Rate-Limit-Limit": {"+600"},
				"X-Rate-Limit-Remaining": {"1.5"}, "X-Rate-Limit-Reset": {"99999999999999999999"}},
			want: RateLimit{},
		},
		{
			name:   "an RFC 850 date",
			header: http.Header{"Date": {"Friday, 01-May-26 12:00:00 GMT"}},
			want:   RateLimit{Date: t0},
		},
		{
			name:   "an unparseable date",
			header: http.Header{"Date": {"2026-05-01T12:00:00Z"}},
			want:   RateLimit{},
		},
		{name: "no headers", header: http.Header{}, want: RateLimit{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, ParseRateLimit(tt.header))
		})
	}
}

func TestResetAfter(t *testing.T) {
	local := t0.Add(45 * time.Second) // a local clock 45 s ahead of Okta's
	tests := []struct {
		name   string
		rl     RateLimit
		now    time.Time
		want   time.Duration
		wantOK bool
	}{
		{
			name:   "measured on Okta's clock, plus the margin",
			rl:     RateLimit{Reset: t0.Add(30 * time.Second), Date: t0, OK: true},
			now:    local,
			want:   31 * time.Second,
			wantOK: true,
		},
		{
			name:   "local clock when Date is missing",
			rl:     RateLimit{Reset: local.Add(10 * time.Second), OK: true},
			now:    local,
			want:   11 * time.Second,
			wantOK: true,
		},
		{
			name:   "a reset in the current second waits the margin",
			rl:     RateLimit{Reset: t0, Date: t0, OK: true},
			now:    local,
			want:   time.Second,
			wantOK: true,
		},
		{
			name:   "a reset in the past is zero",
			rl:     RateLimit{Reset: t0.Add(-5 * time.Second), Date: t0, OK: true},
			now:    local,
			want:   0,
			wantOK: true,
		},
		{
			name:   "a reset before the local now without Date is zero",
			rl:     RateLimit{Reset: local.Add(-time.Hour), OK: true},
			now:    local,
			want:   0,
			wantOK: true,
		},
		{
			name:   "concurrency 429 estimate",
			rl:     RateLimit{Reset: t0.Add(2 * time.Second), Date: t0, OK: true},
			now:    local,
			want:   3 * time.Second,
			wantOK: true,
		},
		{name: "no headers", rl: RateLimit{Date: t0}, now: local, want: 0, wantOK: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.rl.ResetAfter(tt.now)
			assert.Equal(t, tt.wantOK, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestConcurrency(t *testing.T) {
	assert.True(t, RateLimit{OK: true}.Concurrency())
	assert.False(t, RateLimit{}.Concurrency(), "no headers say nothing")
	assert.False(t, RateLimit{OK: true, Limit: 600}.Concurrency(), "a spent bucket")
}
