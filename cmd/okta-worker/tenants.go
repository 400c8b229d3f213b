package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/okta-worker/okta-worker/messages"
)

// tenantsFile is the operator's list of Okta orgs, read from YAML or JSON.
type tenantsFile struct {
	Tenants []tenantConfig `yaml:"tenants" json:"tenants"`
}

// tenantConfig is one org. Exactly one of Subdomain and BaseURL names
// the org, and exactly one of TokenEnv and TokenFile holds its token:
// tokens never live in the tenants file itself.
type tenantConfig struct {
	Name      string `yaml:"name" json:"name"`
	Subdomain string `yaml:"subdomain" json:"subdomain"`
	BaseURL   string `yaml:"base_url" json:"base_url"`
	TokenEnv  string `yaml:"token_env" json:"token_env"`
	TokenFile string `yaml:"token_file" json:"token_file"`
}

// loadTenants reads and checks the tenants file at path. Relative
// token_file paths are taken relative to the tenants file.
func loadTenants(path string) ([]tenantConfig, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading tenants file: %w", err)
	}
	var f tenantsFile
	if err := decodeStrict(path, raw, &f); err != nil {
		return nil, fmt.Errorf("tenants file %s: %w", path, err)
	}
	if len(f.Tenants) == 0 {
		return nil, fmt.Errorf("tenants file %s lists no tenants", path)
	}
	seen := map[string]bool{}
	for i := range f.Tenants {
		t := &f.Tenants[i]
		if err := t.check(); err != nil {
			return nil, fmt.Errorf("tenants file %s, tenant %d: %w", path, i+1, err)
		}
		if seen[t.Name] {
			return nil, fmt.Errorf("tenants file %s: tenant %q is listed twice", path, t.Name)
		}
		seen[t.Name] = true
		if t.TokenFile != "" && !filepath.IsAbs(t.TokenFile) {
			t.TokenFile = filepath.Join(filepath.Dir(path), t.TokenFile)
		}
	}
	return f.Tenants, nil
}

// decodeStrict decodes JSON or YAML, by file extension, rejecting
// unknown keys so a misspelt setting is never silently ignored.
func decodeStrict(path string, raw []byte, v any) error {
	if strings.EqualFold(filepath.Ext(path), ".json") {
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.DisallowUnknownFields()
		return dec.Decode(v)
	}
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	dec.KnownFields(true)
	return dec.Decode(v)
}

func (t *tenantConfig) check() error {
	if !messages.ValidTenant(t.Name) {
		return fmt.Errorf("name %q must match [a-z0-9][a-z0-9-]{0,62}", t.Name)
	}
	switch {
	case (t.Subdomain == "") == (t.BaseURL == ""):
		return fmt.Errorf("tenant %q needs exactly one of subdomain and base_url", t.Name)
	case (t.TokenEnv == "") == (t.TokenFile == ""):
		return fmt.Errorf("tenant %q needs exactly one of token_env and token_file", t.Name)
	case t.Subdomain != "" && !validSubdomain(t.Subdomain):
		return fmt.Errorf("tenant %q: subdomain %q is not a host label", t.Name, t.Subdomain)
	}
	return nil
}

func validSubdomain(s string) bool {
	if s == "" || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, r := range s {
		ok := r == '-' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
		if !ok {
			return false
		}
	}
	return true
}

// url returns the org's base URL.
func (t tenantConfig) url() string {
	if t.BaseURL != "" {
		return t.BaseURL
	}
	return "https://" + t.Subdomain + ".okta.com"
}

// token reads the tenant's API token from its environment variable or
// file. Errors name where the token was looked for, never its value.
func (t tenantConfig) token(getenv func(string) string) (string, error) {
	if t.TokenEnv != "" {
		tok := strings.TrimSpace(getenv(t.TokenEnv))
		if tok == "" {
			return "", fmt.Errorf("tenant %q: environment variable %s is empty", t.Name, t.TokenEnv)
		}
		return tok, nil
	}
	raw, err := os.ReadFile(t.TokenFile)
	if err != nil {
		return "", fmt.Errorf("tenant %q: reading token file: %w", t.Name, err)
	}
	tok := strings.TrimSpace(string(raw))
	if tok == "" {
		return "", errors.New("tenant " + t.Name + ": token file " + t.TokenFile + " is empty")
	}
	return tok, nil
}
