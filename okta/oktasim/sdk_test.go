package oktasim_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/okta/okta-sdk-golang/v5/okta"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newSDK returns Okta's own Go SDK configured against the simulator.
// The SDK's configuration keeps only the host name of the org URL and
// drops the port (NewConfiguration sets Host from url.Hostname), so the
// test sets Host to host:port itself; the scheme is taken from the URL,
// and the https check is switched off because the test server is plain
// http on loopback.
func newSDK(t *testing.T, o *org) *okta.APIClient {
	t.Helper()
	cfg, err := okta.NewConfiguration(
		okta.WithOrgUrl(o.srv.URL),
		okta.WithToken(testToken),
		okta.WithTestingDisableHttpsCheck(true),
		okta.WithHttpClientPtr(o.srv.Client()),
		okta.WithCache(false),
		okta.WithRateLimitMaxRetries(0),
	)
	require.NoError(t, err)
	u, err := url.Parse(o.srv.URL)
	require.NoError(t, err)
	cfg.Host = u.Host
	return okta.NewAPIClient(cfg)
}

func TestOktaSDKCreateGetSearchReplace(t *testing.T) {
	o := newOrg(t)
	sdk := newSDK(t, o)
	ctx := context.Background()
	const login = "a+b@example.com"

	profile := okta.NewUserProfile()
	profile.SetLogin(login)
	profile.SetEmail(login)
	profile.SetFirstName("Ada")
	profile.SetLastName("Lovelace")
	profile.AdditionalProperties = map[string]any{"favouriteColour": "teal"}
	password := "Tr0ub4dor&3"
	created, resp, err := sdk.UserAPI.CreateUser(ctx).Activate(true).Body(okta.CreateUserRequest{
		Profile:     *profile,
		Credentials: &okta.UserCredentials{Password: &okta.PasswordCredential{Value: &password}},
	}).Execute()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "ACTIVE", created.GetStatus())
	assert.Equal(t, login, created.Profile.GetLogin())
	assert.Equal(t, "teal", created.Profile.AdditionalProperties["favouriteColour"])
	assert.Equal(t, o.sim.DefaultTypeID(), created.Type.GetId())
	assert.Equal(t, t0, created.GetCreated())
	assert.Equal(t, t0, created.GetActivated())
	assert.NotNil(t, created.Credentials.Password, "a password exists")
	assert.Equal(t, "OKTA", created.Credentials.Provider.GetName())
	id := created.GetId()

	got, resp, err := sdk.UserAPI.GetUser(ctx, login).Execute()
	require.NoError(t, err)
	assert.NotEmpty(t, resp.Header.Get("ETag"))
	assert.Equal(t, id, got.GetId())
	assert.Equal(t, "Lovelace", got.Profile.GetLastName())
	assert.False(t, got.LastLogin.IsSet() && got.LastLogin.Get() != nil, "lastLogin is null")

	found, _, err := sdk.UserAPI.ListUsers(ctx).Search(`profile.email eq "` + login + `"`).Execute()
	require.NoError(t, err)
	require.Len(t, found, 1, "the SDK escapes + as %2B and the simulator reads it back")
	assert.Equal(t, id, found[0].GetId())

	o.clock.Advance(time.Minute)
	next := okta.NewUserProfile()
	next.SetLogin(login)
	next.SetEmail(login)
	next.SetFirstName("Ada")
	next.SetLastName("King")
	replaced, _, err := sdk.UserAPI.ReplaceUser(ctx, id).User(okta.User{
		Profile: next, Type: created.Type,
	}).Execute()
	require.NoError(t, err)
	assert.Equal(t, "King", replaced.Profile.GetLastName())
	assert.NotContains(t, replaced.Profile.AdditionalProperties, "favouriteColour",
		"the replace deleted the attribute it omitted")
	assert.Equal(t, t0.Add(time.Minute), replaced.GetLastUpdated())
	assert.Equal(t, "ACTIVE", replaced.GetStatus())
}

func TestOktaSDKListUserTypes(t *testing.T) {
	o := newOrg(t)
	extra := o.sim.AddUserType("contractor", "Contractor", "People on contract")
	sdk := newSDK(t, o)

	types, resp, err := sdk.UserTypeAPI.ListUserTypes(context.Background()).Execute()
	require.NoError(t, err)
	assert.Equal(t, "1199", resp.Header.Get("X-Rate-Limit-Remaining"))
	require.Len(t, types, 2)
	assert.Equal(t, o.sim.DefaultTypeID(), types[0].GetId())
	assert.Equal(t, extra, types[1].GetId())
	// v5.0.6 models a user type with its id only; the rest of the
	// object lands in AdditionalProperties, which still must decode.
	assert.Equal(t, "user", types[0].AdditionalProperties["name"])
	assert.Equal(t, true, types[0].AdditionalProperties["default"])
	assert.Equal(t, "Contractor", types[1].AdditionalProperties["displayName"])
	assert.Equal(t, "People on contract", types[1].AdditionalProperties["description"])
}

func TestOktaSDKSeesOktaErrors(t *testing.T) {
	o := newOrg(t)
	sdk := newSDK(t, o)
	_, resp, err := sdk.UserAPI.GetUser(context.Background(), "missing@example.com").Execute()
	require.Error(t, err)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	var apiErr *okta.GenericOpenAPIError
	require.ErrorAs(t, err, &apiErr)
	oktaErr, ok := apiErr.Model().(okta.Error)
	require.True(t, ok, "the SDK decodes the body as its Error model: %T", apiErr.Model())
	assert.Equal(t, "E0000007", oktaErr.GetErrorCode())
	assert.Equal(t, "Not found: Resource not found: missing@example.com (User)",
		oktaErr.GetErrorSummary())
}
