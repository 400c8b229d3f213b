package oktasim_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/okta-worker/okta-worker/okta/oktasim"
)

// An org behind an httptest server, created into with a plain request.
func ExampleNew() {
	sim := oktasim.New(oktasim.WithToken("secret"))
	srv := httptest.NewServer(sim)
	defer srv.Close()
	defer sim.Close()

	body := `{"profile":{"login":"ada@example.com","email":"ada@example.com",` +
		`"firstName":"Ada","lastName":"Lovelace"}}`
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/users?activate=false",
		strings.NewReader(body))
	req.Header.Set("Authorization", "SSWS secret")
	resp, err := srv.Client().Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()

	var user struct{ Status string }
	_ = json.NewDecoder(resp.Body).Decode(&user)
	fmt.Println(resp.StatusCode, user.Status, resp.Header.Get("X-Rate-Limit-Remaining"))
	fmt.Println(sim.CountByLogin("ADA@example.com"))
	// Output:
	// 200 STAGED 599
	// 1
}
