package okta

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLookupEscaping(t *testing.T) {
	long := strings.Repeat("a", 101) + "@x.com"
	tests := []struct {
		name       string
		ref        string
		wantPath   string // escaped path of the first request
		wantQuery  string // its raw query
		wantSearch string // its search parameter as the server decodes it
	}{
		{name: "id", ref: testID, wantPath: "/api/v1/users/" + testID},
		{name: "plus", ref: "a+b@x.com", wantPath: "/api/v1/users/a%2Bb%40x.com"},
		{name: "percent", ref: "50%off@x.com", wantPath: "/api/v1/users/50%25off%40x.com"},
		{name: "space", ref: "first last@x.com",
			wantPath: "/api/v1/users/first%20last%40x.com"},
		{name: "umlaut", ref: "ümlaut@x.com", wantPath: "/api/v1/users/%C3%BCmlaut%40x.com"},
		{name: "sub-delimiters", ref: "o'neil&co=1:$x@x.com",
			wantPath: "/api/v1/users/o%27neil%26co%3D1%3A%24x%40x.com"},
		{name: "hash goes through search", ref: "o'neil#1@x.com", wantPath: usersPath,
			wantQuery:  "limit=2&search=profile.login+eq+%22o%27neil%231%40x.com%22",
			wantSearch: `profile.login eq "o'neil#1@x.com"`},
		{name: "slash goes through search", ref: "a/b", wantPath: usersPath,
			wantQuery:  "limit=2&search=profile.login+eq+%22a%2Fb%22",
			wantSearch: `profile.login eq "a/b"`},
		{name: "plus and question mark in a search", ref: "a+b?c@x.com", wantPath: usersPath,
			wantQuery:  "limit=2&search=profile.login+eq+%22a%2Bb%3Fc%40x.com%22",
			wantSearch: `profile.login eq "a+b?c@x.com"`},
		{name: "quote and backslash are escaped in a search", ref: `q"uote\back@x.com`,
			wantPath:   usersPath,
			wantQuery:  "limit=2&search=profile.login+eq+%22q%5C%22uote%5C%5Cback%40x.com%22",
			wantSearch: `profile.login eq "q\"uote\\back@x.com"`},
		{name: "me would be the token's admin", ref: "me", wantPath: usersPath,
			wantQuery:  "limit=2&search=profile.login+eq+%22me%22",
			wantSearch: `profile.login eq "me"`},
		{name: "dot dot", ref: "..", wantPath: usersPath,
			wantSearch: `profile.login eq ".."`, wantQuery: "limit=2&search=profile.login+eq+%22..%22"},
		{name: "longer than a login", ref: long, wantPath: usersPath,
			wantSearch: `profile.login eq "` + long + `"`,
			wantQuery:  "limit=2&search=profile.login+eq+%22" + long[:101] + "%40x.com%22"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeOkta(t, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == usersPath {
					oktaJSON(w, 200, "["+testUserJSON(testID, tt.ref)+"]")
					return
				}
				oktaJSON(w, 200, testUserJSON(testID, tt.ref))
			})
			u, err := f.client(t).GetUser(context.Background(), tt.ref)
			require.NoError(t, err)
			assert.Equal(t, testID, u.ID)

			reqs := f.received()
			require.NotEmpty(t, reqs)
			assert.Equal(t, tt.wantPath, reqs[0].EscapedPath)
			assert.Equal(t, tt.wantQuery, reqs[0].RawQuery)
			if tt.wantSearch == "" {
				assert.Equal(t, usersPath+"/"+tt.ref, reqs[0].Path, "the server decodes the ref")
				assert.Len(t, reqs, 1)
				return
			}
			assert.Equal(t, tt.wantSearch, reqs[0].Query["search"][0])
			require.Len(t, reqs, 2, "a search hit is read again by id")
			assert.Equal(t, usersPath+"/"+testID, reqs[1].EscapedPath)
		})
	}
}

func TestLookupSequence(t *testing.T) {
	user := func(id string) string { return testUserJSON(id, id+"@x.com") }
	one := "[" + user(testID) + "]"
	two := "[" + user(testID) + "," + user("00u2234567890abcdefg") + "]"
	tests := []struct {
		name        string
		ref         string
		byPath      bool   // whether GET by path finds the ref
		loginHits   string // search answer for profile.login
		emailHits   string // search answer for profile.email
		wantErr     error
		wantOktaErr bool     // whether the error carries Okta's 404
		wantCalls   []string // "path", "login", "email", "id"
	}{
		{name: "email that is a login", ref: "ann@x.com", byPath: true,
			wantCalls: []string{"path"}},
		{name: "email that is no login, one match", ref: "ann@x.com", emailHits: one,
			wantCalls: []string{"path", "email", "id"}},
		{name: "email that is no login, no match", ref: "ann@x.com", emailHits: "[]",
			wantErr: ErrNotFound, wantOktaErr: true, wantCalls: []string{"path", "email"}},
		{name: "email that is no login, two matches", ref: "ann@x.com", emailHits: two,
			wantErr: ErrAmbiguous, wantCalls: []string{"path", "email"}},
		{name: "unknown id is not searched", ref: testID, wantErr: ErrNotFound,
			wantOktaErr: true, wantCalls: []string{"path"}},
		{name: "unknown login that is no email is not searched", ref: "ann.lee",
			wantErr: ErrNotFound, wantOktaErr: true, wantCalls: []string{"path"}},
		{name: "unsafe login found", ref: "a/b@x.com", loginHits: one,
			wantCalls: []string{"login", "id"}},
		{name: "unsafe login found as an email", ref: "a/b@x.com", loginHits: "[]",
			emailHits: one, wantCalls: []string{"login", "email", "id"}},
		{name: "unsafe login found nowhere", ref: "a/b@x.com", loginHits: "[]",
			emailHits: "[]", wantErr: ErrNotFound, wantCalls: []string{"login", "email"}},
		{name: "unsafe login that is no email", ref: "a/b", loginHits: "[]",
			wantErr: ErrNotFound, wantCalls: []string{"login"}},
		{name: "unsafe login twice", ref: "a/b", loginHits: two,
			wantErr: ErrAmbiguous, wantCalls: []string{"login"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeOkta(t, func(w http.ResponseWriter, r *http.Request) {
				search := r.URL.Query().Get("search")
				switch {
				case strings.HasPrefix(search, "profile.login eq "):
					oktaJSON(w, 200, tt.loginHits)
				case strings.HasPrefix(search, "profile.email eq "):
					oktaJSON(w, 200, tt.emailHits)
				case r.URL.Path == usersPath+"/"+testID && (tt.byPath || tt.ref != testID):
					oktaJSON(w, 200, user(testID))
				case tt.byPath:
					oktaJSON(w, 200, user(testID))
				default:
					oktaError(w, 404, codeNotFound, "Not found: Resource not found: "+
						tt.ref+" (User)")
				}
			})
			u, err := f.client(t).GetUser(context.Background(), tt.ref)
			assert.Equal(t, tt.wantCalls, callKinds(f.received()))
			if tt.wantErr == nil {
				require.NoError(t, err)
				assert.Equal(t, testID, u.ID)
				return
			}
			require.ErrorIs(t, err, tt.wantErr)
			var oe *Error
			assert.Equal(t, tt.wantOktaErr, errors.As(err, &oe))
			assert.Contains(t, err.Error(), tt.ref)
		})
	}
}

// callKinds names each request: a search by login or email, a read by
// id, or a read by another path.
func callKinds(reqs []received) []string {
	var kinds []string
	for _, r := range reqs {
		search := r.Query.Get("search")
		switch {
		case strings.HasPrefix(search, "profile.login"):
			kinds = append(kinds, "login")
		case strings.HasPrefix(search, "profile.email"):
			kinds = append(kinds, "email")
		case r.Path == usersPath+"/"+testID && len(kinds) > 0:
			kinds = append(kinds, "id")
		default:
			kinds = append(kinds, "path")
		}
	}
	return kinds
}

func TestLookupRejectsBadRefs(t *testing.T) {
	f := newFakeOkta(t, func(w http.ResponseWriter, r *http.Request) {
		oktaJSON(w, 200, testUserJSON(testID, "ann@x.com"))
	})
	c := f.client(t)
	for name, ref := range map[string]string{
		"empty":    "",
		"overlong": strings.Repeat("a", maxRefBytes+1),
		"not UTF8": "ann\xff@x.com",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := c.GetUser(context.Background(), ref)
			require.ErrorIs(t, err, ErrInvalidInput)
			_, err = c.UpdateUser(context.Background(), ref, UserChanges{TypeID: "oty1"})
			require.ErrorIs(t, err, ErrInvalidInput)
		})
	}
	assert.Empty(t, f.received(), "nothing reached Okta")
}
