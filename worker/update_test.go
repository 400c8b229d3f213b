package worker

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/okta-worker/okta-worker/messages"
	"github.com/okta-worker/okta-worker/okta/oktasim"
)

func TestConcurrentUpdatesLoseNothing(t *testing.T) {
	tests := []struct {
		name     string
		replicas int
	}{
		{name: "one replica", replicas: 1},
		{name: "two replicas", replicas: 2},
	}
	attrs := []string{"title", "department", "city", "state", "organization",
		"division", "nickName", "displayName"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := startNATS(t)
			// Latency widens the window between each update's read and
			// its write, so the updates do overlap.
			acme := newOrg(t, testToken, oktasim.WithLatency(20*time.Millisecond))
			id := acme.sim.AddUser(map[string]any{"login": "hot@example.com",
				"email": "hot@example.com", "firstName": "Hot", "lastName": "User"})
			cfg := testConfig()
			cfg.Concurrency = len(attrs)
			log, logs := observed(t)
			for range tt.replicas {
				_, js := connect(t, url)
				startWorker(t, js, []Tenant{{Name: "acme", Okta: acme.client}}, cfg,
					WithLogger(log))
			}
			_, js := connect(t, url)
			subject := messages.Subjects{}.Request("acme", messages.ActionUpdateUser)
			var wg sync.WaitGroup
			for i, a := range attrs {
				wg.Go(func() {
					request(t, js, subject, fmt.Sprint("m-", i), map[string]any{
						"id": "up-" + a, "params": map[string]any{
							"user_id": id, "profile": map[string]any{a: "v-" + a}}})
				})
			}
			wg.Wait()
			for _, a := range attrs {
				got := awaitReply(t, js, "up-"+a)
				require.True(t, got.Success, "%s: %+v", a, got.Error)
			}
			stored, ok := acme.sim.User(id)
			require.True(t, ok)
			for _, a := range attrs {
				assert.Equal(t, "v-"+a, userField(t, stored, "profile."+a), "update lost")
			}
			assert.Equal(t, "Hot", userField(t, stored, "profile.firstName"))
			// The updates did race: some writes met a 412 and merged again.
			assert.NotZero(t, logs.FilterMessage("user changed while updating, merging again").Len())
		})
	}
}
