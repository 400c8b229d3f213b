package messages

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSecretNeverPrints(t *testing.T) {
	const pw = "hunter2-Sup3r"
	s := NewSecret(pw)
	p := CreateUserParams{Email: "ann@example.com", Password: s}
	d := &Decoded{Params: &p}

	// A caller's struct that keeps the params in an unexported field,
	// where fmt cannot call the Secret's methods.
	type job struct {
		params CreateUserParams
		secret Secret
	}
	j := job{params: p, secret: s}
	tests := []struct {
		name   string
		format func() (string, error)
	}{
		{name: "String", format: func() (string, error) { return s.String(), nil }},
		{name: "GoString", format: func() (string, error) { return s.GoString(), nil }},
		{name: "Print", format: func() (string, error) { return fmt.Sprint(s), nil }},
		{name: "Println", format: func() (string, error) { return fmt.Sprintln(s, &s), nil }},
		{name: "%s %q %x %X", format: func() (string, error) {
			return fmt.Sprintf("%s %q %x %X", s, s, s, s), nil
		}},
		{name: "%v %+v %#v", format: func() (string, error) {
			return fmt.Sprintf("%v %+v %#v", s, s, s), nil
		}},
		{name: "wrong verbs", format: func() (string, error) {
			return fmt.Sprintf("%d %t %p %10.3s %[1]v", s, s, s, s), nil
		}},
		{name: "params %v %+v %#v", format: func() (string, error) {
			return fmt.Sprintf("%v %+v %#v", p, p, p), nil
		}},
		{name: "pointer to params %+v", format: func() (string, error) {
			return fmt.Sprintf("%+v %v", &p, []any{p}), nil
		}},
		{name: "decoded %+v", format: func() (string, error) {
			return fmt.Sprintf("%+v %#v", *d, d.Params), nil
		}},
		{name: "JSON", format: func() (string, error) {
			b, err := json.Marshal(map[string]any{"s": s, "p": p, "ptr": &s})
			return string(b), err
		}},
		{name: "fmt map key", format: func() (string, error) {
			return fmt.Sprintf("%v", map[Secret]int{s: 1}), nil
		}},
		{name: "JSON map key", format: func() (string, error) {
			b, err := json.Marshal(map[Secret]int{s: 1})
			return string(b), err
		}},
		{name: "unexported fields %v %+v %#v", format: func() (string, error) {
			return fmt.Sprintf("%v %+v %#v", j, j, j) + Redacted, nil
		}},
		{name: "slog text", format: func() (string, error) {
			var sb strings.Builder
			slog.New(slog.NewTextHandler(&sb, nil)).Info("x", "s", s, "p", p)
			return sb.String(), nil
		}},
		{name: "slog JSON", format: func() (string, error) {
			var sb strings.Builder
			slog.New(slog.NewJSONHandler(&sb, nil)).Info("x", "s", s, "p", p)
			return sb.String(), nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := tt.format()
			require.NoError(t, err)
			assert.NotContains(t, out, "hunter2")
			assert.Contains(t, out, Redacted)
		})
	}
	assert.Equal(t, pw, s.Reveal())
}

func TestSecretUnmarshalJSON(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    string
		wantErr bool
	}{
		{name: "string", body: `{"P":"hunter2"}`, want: "hunter2"},
		{name: "escaped string", body: `{"P":"a\u0040b"}`, want: "a@b"},
		{name: "null", body: `{"P":null}`, want: ""},
		{name: "absent", body: `{}`, want: ""},
		{name: "number", body: `{"P":1234}`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got struct{ P Secret }
			err := json.Unmarshal([]byte(tt.body), &got)
			if tt.wantErr {
				require.Error(t, err)
				assert.NotContains(t, err.Error(), "1234")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got.P.Reveal())
		})
	}
	assert.Empty(t, Secret{}.Reveal(), "the zero Secret is empty")
}

func TestSecretFormatsExactly(t *testing.T) {
	s := NewSecret("hunter2")
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d", "%t", "%08.3f"} {
		t.Run(verb, func(t *testing.T) {
			assert.Equal(t, Redacted, fmt.Sprintf(verb, s))
		})
	}
}
