package worker

import (
	"context"
	"encoding/json"
	"errors"

	"go.uber.org/zap"

	"github.com/okta-worker/okta-worker/messages"
	"github.com/okta-worker/okta-worker/okta"
)

// maxRemerges bounds how often one update_user re-reads and re-merges
// after Okta refused its write because the user changed in between.
// Every round some writer wins, so N updates racing for one user need
// at most N-1 rounds; the bound only stops a pathological hot user.
const maxRemerges = 25

// updateUser merges the request's changes into the user and writes them
// with If-Match. A 412 means another update (on this replica or another)
// wrote first: the write is not retried as it was, which would lose that
// update, but [okta.Client.UpdateUser] is called again, reading the new
// version and merging the changes into it. These rounds are not Okta
// failures, so they do not spend the request's attempts.
func (t *tenant) updateUser(ctx context.Context, j *job,
	p *messages.UpdateUserParams) (json.RawMessage, error) {
	ch := okta.UserChanges{Profile: p.Profile, TypeID: p.TypeID}
	for round := 0; ; round++ {
		u, err := t.okta.UpdateUser(ctx, p.UserID, ch)
		if !preconditionFailed(err) || round == maxRemerges || ctx.Err() != nil {
			return userData(u, err)
		}
		j.log.Debug("user changed while updating, merging again", zap.Int(keyAttempt, round+1))
	}
}

// preconditionFailed reports whether Okta refused a write's If-Match.
func preconditionFailed(err error) bool {
	var oe *okta.Error
	return errors.As(err, &oe) && oe.HTTPStatus == 412
}
