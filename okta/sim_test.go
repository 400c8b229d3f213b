package okta

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/okta-worker/okta-worker/okta/oktasim"
)

// newSim starts a simulated org and returns it with a client of it.
func newSim(t *testing.T, simOpts []oktasim.Option, opts ...Option) (*oktasim.Server, *Client) {
	t.Helper()
	sim := oktasim.New(simOpts...)
	srv := httptest.NewServer(sim)
	t.Cleanup(func() {
		sim.Close()
		srv.Close()
	})
	opts = append([]Option{WithHTTPClient(srv.Client())}, opts...)
	c, err := NewClient(srv.URL, testToken, opts...)
	require.NoError(t, err)
	return sim, c
}

// raw is shorthand for a JSON value in a profile.
func raw(s string) json.RawMessage { return json.RawMessage(s) }

// newProfile is a valid profile for the simulator's default type.
func newProfile(login, email string) map[string]json.RawMessage {
	return map[string]json.RawMessage{
		"login": jsonString(login), "email": jsonString(email),
		"firstName": raw(`"Ann"`), "lastName": raw(`"Lee"`),
	}
}

// profileOf decodes the profile of a user object into raw attributes.
func profileOf(t *testing.T, user []byte) map[string]json.RawMessage {
	t.Helper()
	var u struct {
		Profile map[string]json.RawMessage `json:"profile"`
	}
	require.NoError(t, json.Unmarshal(user, &u))
	return u.Profile
}

func TestSimCreateUser(t *testing.T) {
	tests := []struct {
		name       string
		user       NewUser
		wantStatus string
	}{
		{"staged", NewUser{Activate: false}, "STAGED"},
		{"active with a password", NewUser{Activate: true, Password: testPassword}, "ACTIVE"},
		{"provisioned without a password", NewUser{Activate: true}, "PROVISIONED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, c := newSim(t, nil)
			tt.user.Profile = newProfile("ann@x.com", "ann@x.com")
			u, err := c.CreateUser(context.Background(), tt.user)
			require.NoError(t, err)
			assert.Regexp(t, idPattern, u.ID)
			assert.Equal(t, tt.wantStatus, u.Status)
			assert.NotContains(t, string(u.JSON), `"credentials"`)
			assert.Contains(t, string(u.JSON), `"_links"`)
			assert.Equal(t, 1, sim.CountByLogin("ann@x.com"))
		})
	}
}

func TestSimCreateUserTypeAndGroups(t *testing.T) {
	sim, c := newSim(t, nil)
	typeID := sim.AddUserType("contractor", "Contractor", "External staff")
	u, err := c.CreateUser(context.Background(), NewUser{
		Profile: newProfile("ann@x.com", "ann@x.com"), TypeID: typeID,
		GroupIDs: []string{"00g1aaaaaaaaaaaaaaaa"},
	})
	require.NoError(t, err)
	assert.Equal(t, typeID, currentTypeID(memberOf(t, u.JSON, "type")))
	assert.Equal(t, []string{"00g1aaaaaaaaaaaaaaaa"}, sim.GroupIDs(u.ID))
}

// memberOf returns the value of the top-level member key of obj.
func memberOf(t *testing.T, obj []byte, key string) json.RawMessage {
	t.Helper()
	_, members, err := scanObject(obj)
	require.NoError(t, err)
	return memberValue(members, key)
}

func TestSimCreateDuplicateLogin(t *testing.T) {
	_, c := newSim(t, nil)
	ctx := context.Background()
	_, err := c.CreateUser(ctx, NewUser{Profile: newProfile("ann@x.com", "ann@x.com")})
	require.NoError(t, err)

	_, err = c.CreateUser(ctx, NewUser{Profile: newProfile("ANN@x.com", "other@x.com"),
		Password: testPassword})
	require.ErrorIs(t, err, ErrConflict)
	var oe *Error
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, 400, oe.HTTPStatus)
	assert.False(t, oe.Retryable)
	assert.NotEmpty(t, oe.RequestID)
	assert.NotContains(t, err.Error(), testPassword)
	assert.NotContains(t, err.Error(), testToken)
}

func TestSimCreateValidation(t *testing.T) {
	_, c := newSim(t, nil)
	p := newProfile("ann@x.com", "not-an-email")
	_, err := c.CreateUser(context.Background(), NewUser{Profile: p})
	var oe *Error
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, 400, oe.HTTPStatus)
	assert.Equal(t, codeValidation, oe.Code)
	assert.NotErrorIs(t, err, ErrConflict)
	assert.NotEmpty(t, oe.Causes)
}

func TestSimGetUserByEveryRef(t *testing.T) {
	logins := []string{"a+b@x.com", "o'neil#1@x.com", "50%off@x.com", "ümlaut@x.com",
		"a/b", `back\slash@x.com`, "semi;colon@x.com", "first last@x.com"}
	sim, c := newSim(t, nil)
	ctx := context.Background()
	for _, login := range logins {
		t.Run(login, func(t *testing.T) {
			id := sim.AddUser(map[string]any{"login": login, "email": "shared@x.com",
				"firstName": "A", "lastName": "B"})
			u, err := c.GetUser(ctx, login)
			require.NoError(t, err)
			assert.Equal(t, id, u.ID)

			u, err = c.GetUser(ctx, id)
			require.NoError(t, err)
			assert.Equal(t, login, stringAttr(t, profileOf(t, u.JSON)["login"]))
		})
	}
}

// stringAttr decodes a string attribute.
func stringAttr(t *testing.T, v json.RawMessage) string {
	t.Helper()
	var s string
	require.NoError(t, json.Unmarshal(v, &s))
	return s
}

func TestSimGetUserByEmail(t *testing.T) {
	sim, c := newSim(t, nil)
	ctx := context.Background()
	one := sim.AddUser(map[string]any{"login": "ann.lee@corp.example",
		"email": "Ann@Mail.example", "firstName": "Ann", "lastName": "Lee"})
	sim.AddUser(map[string]any{"login": "bob@corp.example", "email": "twins@mail.example",
		"firstName": "Bob", "lastName": "A"})
	sim.AddUser(map[string]any{"login": "bo@corp.example", "email": "twins@mail.example",
		"firstName": "Bo", "lastName": "B"})

	tests := []struct {
		name    string
		ref     string
		wantID  string
		wantErr error
	}{
		{name: "one match, other case", ref: "ann@mail.example", wantID: one},
		{name: "no match", ref: "nobody@mail.example", wantErr: ErrNotFound},
		{name: "two matches", ref: "twins@mail.example", wantErr: ErrAmbiguous},
		{name: "a login that is not an email", ref: "nobody", wantErr: ErrNotFound},
		{name: "an unknown id", ref: "00uAAAAAAAAAAAAAAAAA", wantErr: ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := c.GetUser(ctx, tt.ref)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				assert.NotContains(t, err.Error(), testToken)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantID, u.ID)
		})
	}
}

// losslessAttrs are the profile values an update must send back as they
// were, by attribute name.
var losslessAttrs = map[string]json.RawMessage{
	"nickName":     raw(`null`),
	"title":        raw(`""`),
	"tags":         raw(`[]`),
	"isContractor": raw(`false`),
	"employeeNo":   raw(`9007199254740993`),
	"ratio":        raw(`1.50`),
	"address":      raw(`{"street":["1 Main St",null],"geo":{"lat":-0.000001,"ok":true}}`),
	"customCode":   raw(`"<x&y>"`),
}

func TestSimUpdateUserIsLossless(t *testing.T) {
	sim, c := newSim(t, nil)
	seed := map[string]any{"login": "ann@x.com", "email": "ann@x.com",
		"firstName": "Ann", "lastName": "Lee", "costCenter": "CC-1"}
	for k, v := range losslessAttrs {
		seed[k] = v
	}
	id := sim.AddUser(seed)
	before, ok := sim.User(id)
	require.True(t, ok)

	u, err := c.UpdateUser(context.Background(), "ann@x.com", UserChanges{
		Profile: map[string]json.RawMessage{
			"firstName": raw(`"Anna"`), "costCenter": raw(`null`), "department": raw(`"R&D"`),
		},
	})
	require.NoError(t, err)
	assert.Equal(t, id, u.ID)

	stored, ok := sim.User(id)
	require.True(t, ok)
	got, was := profileOf(t, stored), profileOf(t, before)
	for k, v := range losslessAttrs {
		assert.Equal(t, string(was[k]), string(got[k]), "attribute %s keeps its bytes", k)
		assert.JSONEq(t, string(v), string(got[k]), "attribute %s", k)
	}
	assert.Equal(t, "9007199254740993", string(got["employeeNo"]))
	assert.Equal(t, "1.50", string(got["ratio"]))
	assert.Equal(t, `"Anna"`, string(got["firstName"]))
	assert.Equal(t, `null`, string(got["costCenter"]))
	assert.Equal(t, `"Lee"`, string(got["lastName"]))
	assert.Equal(t, `"R&D"`, string(got["department"]))
	assert.Equal(t, `"ann@x.com"`, string(got["login"]))
	assert.Equal(t, string(memberOf(t, before, "type")), string(memberOf(t, stored, "type")),
		"the user type is kept")
	assert.Equal(t, string(profileOf(t, u.JSON)["employeeNo"]), "9007199254740993")
}

func TestSimUpdateUserType(t *testing.T) {
	sim, c := newSim(t, nil)
	typeID := sim.AddUserType("contractor", "Contractor", "External staff")
	id := sim.AddUser(map[string]any{"login": "ann@x.com", "email": "ann@x.com",
		"firstName": "Ann", "lastName": "Lee", "costCenter": "12"})

	u, err := c.UpdateUser(context.Background(), id, UserChanges{TypeID: typeID})
	require.NoError(t, err)
	assert.Equal(t, typeID, currentTypeID(memberOf(t, u.JSON, "type")))
	stored, _ := sim.User(id)
	assert.Equal(t, `"12"`, string(profileOf(t, stored)["costCenter"]))
}

func TestSimUpdateUserByEmail(t *testing.T) {
	sim, c := newSim(t, nil)
	id := sim.AddUser(map[string]any{"login": "ann.lee", "email": "ann@mail.example",
		"firstName": "Ann", "lastName": "Lee"})
	_, err := c.UpdateUser(context.Background(), "ann@mail.example", UserChanges{
		Profile: map[string]json.RawMessage{"title": raw(`"Boss"`)}})
	require.NoError(t, err)
	stored, _ := sim.User(id)
	assert.Equal(t, `"Boss"`, string(profileOf(t, stored)["title"]))
}

// interposer runs once, before the first PUT it sees is sent.
type interposer struct {
	next   http.RoundTripper
	once   sync.Once
	before func()
}

func (i *interposer) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPut {
		i.once.Do(i.before)
	}
	return i.next.RoundTrip(r)
}

func TestSimConcurrentUpdatesLoseNothing(t *testing.T) {
	sim, other := newSim(t, nil)
	id := sim.AddUser(map[string]any{"login": "ann@x.com", "email": "ann@x.com",
		"firstName": "Ann", "lastName": "Lee"})
	ctx := context.Background()

	// The first client's PUT is held back while the other client updates
	// the same user, so the first writes over a version it did not read.
	var otherErr error
	hold := &interposer{next: http.DefaultTransport, before: func() {
		_, otherErr = other.UpdateUser(ctx, id, UserChanges{
			Profile: map[string]json.RawMessage{"title": raw(`"Boss"`)}})
	}}
	first, err := NewClient("http://"+other.host, testToken,
		WithHTTPClient(&http.Client{Transport: hold}))
	require.NoError(t, err)

	ch := UserChanges{Profile: map[string]json.RawMessage{"nickName": raw(`"Annie"`)}}
	_, err = first.UpdateUser(ctx, id, ch)
	require.NoError(t, otherErr)
	var oe *Error
	require.ErrorAs(t, err, &oe, "the stale write is refused")
	assert.Equal(t, http.StatusPreconditionFailed, oe.HTTPStatus)
	require.True(t, oe.Retryable)

	_, err = first.UpdateUser(ctx, id, ch)
	require.NoError(t, err, "the retry merges into the new version")
	stored, _ := sim.User(id)
	got := profileOf(t, stored)
	assert.Equal(t, `"Boss"`, string(got["title"]))
	assert.Equal(t, `"Annie"`, string(got["nickName"]))
}

func TestSimUpdateWhileActivating(t *testing.T) {
	sim, c := newSim(t, nil)
	id := sim.AddUser(map[string]any{"login": "ann@x.com", "email": "ann@x.com",
		"firstName": "Ann", "lastName": "Lee"})
	require.True(t, sim.SetActivating(id, "ACTIVE"))

	_, err := c.UpdateUser(context.Background(), id, UserChanges{
		Profile: map[string]json.RawMessage{"title": raw(`"Boss"`)}})
	var oe *Error
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, http.StatusConflict, oe.HTTPStatus)
	assert.Equal(t, codeActivating, oe.Code)
	assert.True(t, oe.Retryable)
}

func TestSimListUserTypes(t *testing.T) {
	sim, c := newSim(t, nil)
	typeID := sim.AddUserType("contractor", "Contractor", "External staff")
	types, err := c.ListUserTypes(context.Background())
	require.NoError(t, err)
	require.Len(t, types, 2)
	byID := map[string]UserType{}
	for _, ut := range types {
		byID[ut.ID] = ut
	}
	assert.Equal(t, UserType{ID: typeID, Name: "contractor", DisplayName: "Contractor",
		Description: "External staff"}, byID[typeID])
	def := byID[sim.DefaultTypeID()]
	assert.True(t, def.Default)
	assert.Equal(t, "user", def.Name)
}

func TestSimUnauthorized(t *testing.T) {
	_, c := newSim(t, []oktasim.Option{oktasim.WithToken("another-token")})
	_, err := c.ListUserTypes(context.Background())
	require.ErrorIs(t, err, ErrUnauthorized)
	var oe *Error
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, 401, oe.HTTPStatus)
	assert.False(t, oe.Retryable)
	assert.NotContains(t, err.Error(), testToken)
}

func TestSimRateLimits(t *testing.T) {
	clock := clockwork.NewFakeClockAt(t0)
	obs := &recordingObserver{}
	sim, c := newSim(t, []oktasim.Option{
		oktasim.WithClock(clock),
		oktasim.WithLimits(oktasim.Limits{UserByID: 2, Window: time.Minute}),
	}, WithObserver(obs), WithClock(clock))
	id := sim.AddUser(map[string]any{"login": "ann@x.com", "email": "ann@x.com",
		"firstName": "Ann", "lastName": "Lee"})
	ctx := context.Background()

	for range 2 {
		_, err := c.GetUser(ctx, id)
		require.NoError(t, err)
	}
	_, err := c.GetUser(ctx, id)
	require.ErrorIs(t, err, ErrRateLimited)
	var oe *Error
	require.ErrorAs(t, err, &oe)
	assert.True(t, oe.Retryable)
	assert.False(t, oe.RateLimit.Concurrency())
	after, ok := oe.RetryAfter(clock.Now().Add(time.Hour)) // the local clock does not count
	assert.True(t, ok)
	assert.Equal(t, time.Minute+ResetMargin, after)

	seen := obs.all()
	require.Len(t, seen, 3)
	for i, want := range []int{1, 0, 0} {
		assert.Equal(t, BucketUserByID, seen[i].bucket)
		assert.Equal(t, 2, seen[i].rl.Limit)
		assert.Equal(t, want, seen[i].rl.Remaining, "response %d", i)
		assert.True(t, seen[i].rl.Date.Equal(t0))
	}

	// Other buckets are not spent.
	_, err = c.ListUserTypes(ctx)
	require.NoError(t, err)

	clock.Advance(after)
	_, err = c.GetUser(ctx, id)
	require.NoError(t, err, "the window has reset")
}

func TestSimFaults(t *testing.T) {
	tests := []struct {
		name   string
		fault  oktasim.Fault
		status int
	}{
		{"internal error", oktasim.Fault500, 500},
		{"read-only mode", oktasim.Fault503, 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, c := newSim(t, nil)
			sim.Inject(oktasim.Injection{Fault: tt.fault})
			_, err := c.ListUserTypes(context.Background())
			var oe *Error
			require.ErrorAs(t, err, &oe)
			assert.Equal(t, tt.status, oe.HTTPStatus)
			assert.True(t, oe.Retryable)
		})
	}
}

func TestSimTimeout(t *testing.T) {
	sim, c := newSim(t, []oktasim.Option{oktasim.WithFaults(oktasim.Faults{
		TimeoutDelay: time.Hour})})
	sim.Inject(oktasim.Injection{Fault: oktasim.FaultTimeout})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := c.CreateUser(ctx, NewUser{Profile: newProfile("ann@x.com", "ann@x.com"),
		Password: testPassword})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "okta: POST /api/v1/users: ")
	assert.NotContains(t, err.Error(), testPassword)
	assert.NotContains(t, err.Error(), testToken)
	assert.Equal(t, 0, sim.Len(), "a timeout before the effect creates nothing")
}
