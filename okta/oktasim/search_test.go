package oktasim_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/okta-worker/okta-worker/okta/oktasim"
)

// searchOrg seeds users whose logins and emails exercise the search
// rules, and returns the org with the logins by short name.
func searchOrg(t *testing.T) (*org, map[string]string) {
	t.Helper()
	o := newOrg(t)
	seed := []map[string]any{
		{"login": "ada@example.com", "email": "Shared@Example.com", "firstName": "Ada",
			"lastName": "Lovelace", "level": 3, "tags": []string{"math", "poetry"}},
		{"login": "grace@example.com", "email": "shared@example.com", "firstName": "Grace",
			"lastName": "Hopper", "level": 5},
		{"login": "a+b@example.com", "email": "a+b@example.com", "firstName": "Plus",
			"lastName": `Quote"Back\slash`, "big": 9007199254740993},
		{"login": "gone@example.com", "email": "gone@example.com", "firstName": "Gone",
			"lastName": "Away"},
	}
	ids := map[string]string{}
	for _, p := range seed {
		login := p["login"].(string)
		ids[strings.Split(login, "@")[0]] = o.sim.AddUser(p)
	}
	o.sim.SetStatus(ids["gone"], oktasim.StatusDeprovisioned)
	return o, ids
}

// logins returns the logins of a list answer, in order.
func logins(t *testing.T, a answer) []string {
	t.Helper()
	require.Equal(t, http.StatusOK, a.status, string(a.body))
	out := []string{}
	for _, u := range a.array(t) {
		out = append(out, profileOf(t, u)["login"].(string))
	}
	return out
}

func TestSearchMatches(t *testing.T) {
	tests := []struct {
		name   string
		search string
		want   []string
	}{
		{name: "email eq ignores case", search: `profile.email eq "SHARED@example.com"`,
			want: []string{"ada@example.com", "grace@example.com"}},
		{name: "keywords ignore case", search: `profile.login EQ "ada@example.com"`,
			want: []string{"ada@example.com"}},
		{name: "plus in a value", search: `profile.email eq "a+b@example.com"`,
			want: []string{"a+b@example.com"}},
		{name: "escaped quote and backslash", search: `profile.lastName eq "Quote\"Back\\slash"`,
			want: []string{"a+b@example.com"}},
		{name: "and", search: `profile.email eq "shared@example.com" and profile.firstName eq "grace"`,
			want: []string{"grace@example.com"}},
		{name: "or", search: `profile.firstName eq "Ada" or profile.firstName eq "Plus"`,
			want: []string{"ada@example.com", "a+b@example.com"}},
		{name: "and binds tighter than or",
			search: `profile.firstName eq "Plus" or profile.firstName eq "Ada" and profile.level eq 5`,
			want:   []string{"a+b@example.com"}},
		{name: "parentheses",
			search: `(profile.firstName eq "Ada" or profile.firstName eq "Grace") and profile.level gt 4`,
			want:   []string{"grace@example.com"}},
		{name: "exact big number", search: `profile.big eq 9007199254740993`,
			want: []string{"a+b@example.com"}},
		{name: "neighbouring big number", search: `profile.big eq 9007199254740992`,
			want: []string{}},
		{name: "array element", search: `profile.tags eq "poetry"`,
			want: []string{"ada@example.com"}},
		{name: "starts with", search: `profile.lastName sw "hop"`,
			want: []string{"grace@example.com"}},
		{name: "contains", search: `profile.login co "+B@"`, want: []string{"a+b@example.com"}},
		{name: "present", search: `profile.level pr`,
			want: []string{"ada@example.com", "grace@example.com"}},
		{name: "status includes deprovisioned", search: `status eq "DEPROVISIONED"`,
			want: []string{"gone@example.com"}},
		{name: "no match", search: `profile.email eq "nobody@example.com"`, want: []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, _ := searchOrg(t)
			q := url.Values{"search": {tt.search}}.Encode()
			assert.Equal(t, tt.want, logins(t, o.do(http.MethodGet, "/api/v1/users?"+q, "")))
		})
	}
}

func TestSearchByIDAndType(t *testing.T) {
	o, ids := searchOrg(t)
	search := func(expr string) []string {
		q := url.Values{"search": {expr}}.Encode()
		return logins(t, o.do(http.MethodGet, "/api/v1/users?"+q, ""))
	}
	assert.Equal(t, []string{"grace@example.com"}, search(`id eq "`+ids["grace"]+`"`))
	byType := `type.id eq "` + o.sim.DefaultTypeID() + `" and status eq "STAGED"`
	assert.Len(t, search(byType), 3)
}

func TestSearchQueryEncoding(t *testing.T) {
	tests := []struct {
		name     string
		rawQuery string
		want     []string
	}{
		{name: "spaces as plus, plus as %2B",
			rawQuery: "search=profile.email+eq+%22a%2Bb%40example.com%22",
			want:     []string{"a+b@example.com"}},
		{name: "spaces as %20",
			rawQuery: "search=profile.email%20eq%20%22a%2Bb%40example.com%22",
			want:     []string{"a+b@example.com"}},
		{name: "raw plus in the value reads as a space, as on Okta",
			rawQuery: "search=profile.email+eq+%22a+b%40example.com%22", want: []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, _ := searchOrg(t)
			assert.Equal(t, tt.want, logins(t, o.do(http.MethodGet, "/api/v1/users?"+tt.rawQuery, "")))
		})
	}
}

func TestSearchRejectsMalformedExpressions(t *testing.T) {
	tests := []struct {
		name  string
		param string
		expr  string
	}{
		{name: "missing value", param: "search", expr: `profile.email eq`},
		{name: "unterminated string", param: "search", expr: `profile.email eq "a@b.c`},
		{name: "ne is not an operator", param: "search", expr: `profile.email ne "a@b.c"`},
		{name: "unknown operator", param: "search", expr: `profile.email like "a"`},
		{name: "unknown top-level attribute", param: "search", expr: `email eq "a@b.c"`},
		{name: "dangling and", param: "search", expr: `profile.email eq "a@b.c" and`},
		{name: "unbalanced parenthesis", param: "search", expr: `(profile.email eq "a@b.c"`},
		{name: "bare word value", param: "search", expr: `profile.email eq abc`},
		{name: "trailing backslash", param: "search", expr: `profile.email eq "a\`},
		{name: "co on a custom attribute", param: "search", expr: `profile.level co "3"`},
		{name: "empty", param: "search", expr: ``},
		{name: "filter on a custom attribute", param: "filter", expr: `profile.level eq 3`},
		{name: "filter with sw", param: "filter", expr: `profile.login sw "a"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, _ := searchOrg(t)
			q := url.Values{tt.param: {tt.expr}}.Encode()
			e := requireError(t, o.do(http.MethodGet, "/api/v1/users?"+q, ""), 400, "E0000031")
			assert.Equal(t, "Invalid search criteria.", e.ErrorSummary)
		})
	}
}

func TestFilterQAndList(t *testing.T) {
	tests := []struct {
		name  string
		query url.Values
		want  []string
	}{
		{name: "filter compares exactly",
			query: url.Values{"filter": {`profile.email eq "shared@example.com"`}},
			want:  []string{"grace@example.com"}},
		{name: "filter omits deprovisioned",
			query: url.Values{"filter": {`profile.login eq "gone@example.com"`}},
			want:  []string{}},
		{name: "q is a prefix of names or email",
			query: url.Values{"q": {"gr"}}, want: []string{"grace@example.com"}},
		{name: "list omits deprovisioned", query: url.Values{},
			want: []string{"ada@example.com", "grace@example.com", "a+b@example.com"}},
		{name: "search wins over filter", query: url.Values{
			"search": {`profile.firstName eq "ada"`}, "filter": {`status eq "ACTIVE"`}},
			want: []string{"ada@example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, _ := searchOrg(t)
			path := "/api/v1/users"
			if len(tt.query) > 0 {
				path += "?" + tt.query.Encode()
			}
			assert.Equal(t, tt.want, logins(t, o.do(http.MethodGet, path, "")))
		})
	}
}

func TestListPagesWithLinks(t *testing.T) {
	o, _ := searchOrg(t)
	a := o.do(http.MethodGet, "/api/v1/users?limit=2", "")
	assert.Equal(t, []string{"ada@example.com", "grace@example.com"}, logins(t, a))
	links := a.header.Values("Link")
	require.Len(t, links, 2)
	assert.Equal(t, "<"+o.srv.URL+`/api/v1/users?limit=2>; rel="self"`, links[0])
	next := strings.TrimSuffix(strings.TrimPrefix(links[1], "<"), `>; rel="next"`)
	require.True(t, strings.HasPrefix(next, o.srv.URL), links[1])

	a = o.do(http.MethodGet, strings.TrimPrefix(next, o.srv.URL), "")
	assert.Equal(t, []string{"a+b@example.com"}, logins(t, a))
	assert.Len(t, a.header.Values("Link"), 1, "the last page has no next link")

	elems := o.do(http.MethodGet, "/api/v1/users?limit=1", "").array(t)
	require.Len(t, elems, 1)
	assert.Equal(t, []string{"self"}, keys(elems[0]["_links"].(map[string]any)),
		"collection elements carry only the self link")

	e := requireError(t, o.do(http.MethodGet, "/api/v1/users?limit=zero", ""), 400, "E0000001")
	assert.Equal(t, "Api validation failed: limit", e.ErrorSummary)
	assert.Len(t, logins(t, o.do(http.MethodGet, "/api/v1/users?limit=1000", "")), 3,
		"a limit above 200 is capped, not refused")
}

func keys(m map[string]any) []string {
	out := []string{}
	for k := range m {
		out = append(out, k)
	}
	return out
}
