package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	return p
}

func TestLoadTenants(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		content string
		wantErr string
		wantURL []string
	}{
		{
			name: "yaml with subdomain and base_url",
			file: "tenants.yaml",
			content: `tenants:
  - name: acme
    subdomain: acme
    token_env: OKTA_TOKEN_ACME
  - name: local
    base_url: http://127.0.0.1:8080
    token_file: local.token
`,
			wantURL: []string{"https://acme.okta.com", "http://127.0.0.1:8080"},
		},
		{
			name:    "json",
			file:    "tenants.json",
			content: `{"tenants":[{"name":"acme","subdomain":"acme","token_env":"T"}]}`,
			wantURL: []string{"https://acme.okta.com"},
		},
		{
			name:    "unknown key is rejected",
			file:    "tenants.yaml",
			content: "tenants:\n  - name: acme\n    subdomian: acme\n    token_env: T\n",
			wantErr: "subdomian",
		},
		{
			name:    "bad tenant name",
			file:    "tenants.yaml",
			content: "tenants:\n  - name: Acme\n    subdomain: acme\n    token_env: T\n",
			wantErr: "must match",
		},
		{
			name:    "both subdomain and base_url",
			file:    "tenants.yaml",
			content: "tenants:\n  - {name: a, subdomain: a, base_url: https://a.example, token_env: T}\n",
			wantErr: "exactly one of subdomain and base_url",
		},
		{
			name:    "no token source",
			file:    "tenants.yaml",
			content: "tenants:\n  - {name: a, subdomain: a}\n",
			wantErr: "exactly one of token_env and token_file",
		},
		{
			name:    "subdomain that is not a host label",
			file:    "tenants.yaml",
			content: "tenants:\n  - {name: a, subdomain: evil.com/x, token_env: T}\n",
			wantErr: "not a host label",
		},
		{
			name: "duplicate tenant",
			file: "tenants.yaml",
			content: "tenants:\n" +
				"  - {name: a, subdomain: a, token_env: T}\n" +
				"  - {name: a, subdomain: b, token_env: T}\n",
			wantErr: "listed twice",
		},
		{
			name:    "empty",
			file:    "tenants.yaml",
			content: "tenants: []\n",
			wantErr: "lists no tenants",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, t.TempDir(), tt.file, tt.content)
			got, err := loadTenants(path)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			var urls []string
			for _, c := range got {
				urls = append(urls, c.url())
			}
			assert.Equal(t, tt.wantURL, urls)
		})
	}
}

func TestTenantToken(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "acme.token", "  s3cret-from-file\n")
	path := writeFile(t, dir, "tenants.yaml", `tenants:
  - {name: fromfile, subdomain: a, token_file: acme.token}
  - {name: fromenv, subdomain: b, token_env: OKTA_TOKEN_B}
  - {name: emptyenv, subdomain: c, token_env: OKTA_TOKEN_C}
`)
	confs, err := loadTenants(path)
	require.NoError(t, err)
	env := map[string]string{"OKTA_TOKEN_B": "s3cret-from-env"}
	getenv := func(k string) string { return env[k] }

	tok, err := confs[0].token(getenv)
	require.NoError(t, err)
	assert.Equal(t, "s3cret-from-file", tok, "relative token_file is read next to the tenants file")

	tok, err = confs[1].token(getenv)
	require.NoError(t, err)
	assert.Equal(t, "s3cret-from-env", tok)

	_, err = confs[2].token(getenv)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "OKTA_TOKEN_C")
}
