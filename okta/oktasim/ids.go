package oktasim

import (
	"math/rand/v2"
	"strings"
	"time"
)

const alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// randomID returns prefix followed by n random alphanumerics, the shape
// of Okta's ids ("00u" + 17 for users, "oty" + 17 for user types).
// Ids are random, not seeded: tests must not depend on their values.
// Callers that need uniqueness check the id against what they store.
func randomID(prefix string, n int) string {
	var b strings.Builder
	b.Grow(len(prefix) + n)
	b.WriteString(prefix)
	for range n {
		b.WriteByte(alnum[rand.IntN(len(alnum))])
	}
	return b.String()
}

// newRequestID returns a value for X-Okta-Request-Id. With 26 random
// characters a collision is not a practical concern.
func newRequestID() string { return randomID("req", 26) }

// newErrorID returns a value for an error body's errorId.
func newErrorID() string { return randomID("oae", 22) }

// oktaTimeLayout is how Okta writes timestamps in JSON bodies.
const oktaTimeLayout = "2006-01-02T15:04:05.000Z"

// jsonTime is a timestamp in a JSON body: Okta's layout in UTC, truncated
// to the second as Okta's are, and null when zero.
type jsonTime time.Time

func (t jsonTime) MarshalJSON() ([]byte, error) {
	tt := time.Time(t)
	if tt.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + tt.UTC().Truncate(time.Second).Format(oktaTimeLayout) + `"`), nil
}
