package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
)

// TestDemo runs the README's first command end to end: embedded NATS,
// two simulated orgs and the worker on the built-in batch. runDemo
// itself fails unless every request gets exactly one reply with the
// outcome the batch expects.
func TestDemo(t *testing.T) {
	b, err := readBatch("")
	require.NoError(t, err)
	total := 0
	for _, s := range b.Stages {
		total += len(s.Requests)
	}
	require.GreaterOrEqual(t, total, 20)

	var out bytes.Buffer
	f := demoFlags{window: 3 * time.Second, acmeLimit: 10, stageLimit: time.Minute}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err = runDemo(ctx, f, b, zap.NewNop(), &out)
	require.NoError(t, err, out.String())

	text := out.String()
	assert.Contains(t, text, "every request got exactly one reply, each as expected")
	assert.Equal(t, total, strings.Count(text, "\nok   "), text)
	assert.NotContains(t, text, "demo-token-", "tokens never reach the output")
	assert.NotContains(t, text, "Corr3ct-Horse-Battery!", "passwords are never echoed")
}

func TestMissingData(t *testing.T) {
	data := []byte(`{"id":"00u1","profile":{"n":9007199254740993,"a":[1,"x"],"z":null,"f":false}}`)
	tests := []struct {
		name string
		want string
		path string
	}{
		{name: "nothing expected", want: ``, path: ""},
		{name: "contained", want: `{"profile":{"n":9007199254740993,"z":null,"f":false}}`, path: ""},
		{name: "big number off by one", want: `{"profile":{"n":9007199254740992}}`,
			path: "data.profile.n"},
		{name: "missing key", want: `{"profile":{"title":""}}`, path: "data.profile.title"},
		{name: "null is not absent", want: `{"profile":{"z":""}}`, path: "data.profile.z"},
		{name: "array differs", want: `{"profile":{"a":[1]}}`, path: "data.profile.a"},
		{name: "array element differs", want: `{"profile":{"a":[1,"y"]}}`,
			path: "data.profile.a[1]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.path, missingData([]byte(tt.want), data))
		})
	}
}
