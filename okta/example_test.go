package okta_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"

	"github.com/okta-worker/okta-worker/okta"
	"github.com/okta-worker/okta-worker/okta/oktasim"
)

// This example runs against the Okta simulator; a real org only needs
// its https base URL and an API token instead.
func ExampleClient_GetUser() {
	sim := oktasim.New()
	srv := httptest.NewServer(sim)
	defer srv.Close()
	defer sim.Close()
	sim.AddUser(map[string]any{"login": "ann.lee@corp.example",
		"email": "ann@mail.example", "firstName": "Ann", "lastName": "Lee"})

	c, err := okta.NewClient(srv.URL, "example-token", okta.WithHTTPClient(srv.Client()))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()

	// The email is no login: the client searches for it.
	u, err := c.GetUser(ctx, "ann@mail.example")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(u.Status)

	_, err = c.GetUser(ctx, "nobody@mail.example")
	fmt.Println(errors.Is(err, okta.ErrNotFound))
	// Output:
	// STAGED
	// true
}

func ExampleClient_UpdateUser() {
	sim := oktasim.New()
	srv := httptest.NewServer(sim)
	defer srv.Close()
	defer sim.Close()
	sim.AddUser(map[string]any{"login": "ann@corp.example", "email": "ann@corp.example",
		"firstName": "Ann", "lastName": "Lee", "badgeNumber": json.Number("9007199254740993")})

	c, err := okta.NewClient(srv.URL, "example-token", okta.WithHTTPClient(srv.Client()))
	if err != nil {
		fmt.Println(err)
		return
	}
	u, err := c.UpdateUser(context.Background(), "ann@corp.example", okta.UserChanges{
		Profile: map[string]json.RawMessage{"title": json.RawMessage(`"Engineer"`)},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	var got struct {
		Profile map[string]json.RawMessage `json:"profile"`
	}
	if err := json.Unmarshal(u.JSON, &got); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(got.Profile["title"]), string(got.Profile["badgeNumber"]))
	// Output:
	// "Engineer" 9007199254740993
}
