package messages

import (
	"bytes"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// schemaID returns the $id of an embedded schema.
func schemaID(t *testing.T, schema []byte) string {
	t.Helper()
	var doc struct {
		ID string `json:"$id"`
	}
	require.NoError(t, json.Unmarshal(schema, &doc))
	require.NotEmpty(t, doc.ID)
	return doc.ID
}

// compileSchema compiles loc (a $id, optionally with a fragment) from the
// embedded schemas only; nothing is fetched.
func compileSchema(t *testing.T, loc string) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.UseLoader(nil)
	for _, schema := range [][]byte{RequestSchema(), ReplySchema()} {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
		require.NoError(t, err)
		require.NoError(t, c.AddResource(schemaID(t, schema), doc))
	}
	sch, err := c.Compile(loc)
	require.NoError(t, err, "compiling %s", loc)
	return sch
}

// validate reports the schema's verdict on a JSON document.
func validate(t *testing.T, sch *jsonschema.Schema, body []byte) error {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	require.NoError(t, err)
	return sch.Validate(inst)
}

// exampleFiles returns the JSON files of a testdata directory by name.
func exampleFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", dir, "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, paths, "no examples in %s", dir)
	files := make(map[string][]byte, len(paths))
	for _, p := range paths {
		body, err := os.ReadFile(p)
		require.NoError(t, err)
		files[filepath.Base(p)] = body
	}
	return files
}

// The invalid example requests and what Decode's message must name. Every
// file needs an entry and every entry a file, so no example goes
// unchecked.
var (
	invalidRequests = map[string]string{
		"create_user.action_mismatch.json":    `action is "update_user"`,
		"create_user.activate_string.json":    "params.activate",
		"create_user.display_name.json":       "params.email must be a bare email address",
		"create_user.missing_email.json":      "params.email is missing",
		"create_user.missing_last_name.json":  "params.last_name is missing",
		"create_user.misspelt_param.json":     "params.frist_name",
		"create_user.params_missing.json":     "params is missing",
		"create_user.password_too_long.json":  "params.password",
		"create_user.too_many_groups.json":    "params.group_ids",
		"create_user.unknown_field.json":      `"priority"`,
		"get_user.bad_tenant.json":            `tenant is "Acme Corp"`,
		"get_user.control_character.json":     "params.user_id",
		"get_user.dot.json":                   "params.user_id",
		"get_user.extra_param.json":           "params.expand",
		"get_user.id_with_space.json":         "id must be",
		"get_user.me.json":                    `params.user_id must not be "me"`,
		"get_user.reply_to_loop.json":         "reply_to must not be under okta.",
		"get_user.reply_to_other_tenant.json": "reply_to must not be under okta.",
		"get_user.reply_to_reserved.json":     "reply_to must not start with $",
		"get_user.reply_to_wildcard.json":     "reply_to must be a NATS subject",
		"list_type_id_options.params.json":    "params.type",
		"update_user.email_null.json":         "params.email may not be null",
		"update_user.no_change.json":          "params has no change",
		"update_user.password.json":           "params.password",
		"update_user.profile_login_null.json": "params.profile.login may not be null",
		"update_user.type_id_null.json":       "params.type_id may not be null",
	}
	decodeOnlyRequests = map[string]string{
		"create_user.named_and_profile_differ.json": "params.first_name and " +
			"params.profile.firstName",
		"get_user.id_over_200_bytes.json":   "id must be 1 to 200 bytes",
		"get_user.tenant_mismatch.json":     `tenant is "globex"`,
		"update_user.duplicate_member.json": `"first_name" twice`,
	}
)

func TestRequestExamples(t *testing.T) {
	id := schemaID(t, RequestSchema())
	top := compileSchema(t, id)
	tests := []struct {
		name        string
		dir         string
		expect      map[string]string // nil: every file is valid
		schemaValid bool
	}{
		{name: "valid", dir: "requests/valid", schemaValid: true},
		{name: "invalid", dir: "requests/invalid", expect: invalidRequests},
		{name: "beyond the schema", dir: "requests/decode-only", expect: decodeOnlyRequests,
			schemaValid: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := exampleFiles(t, tt.dir)
			if tt.expect != nil {
				assert.ElementsMatch(t, slices.Collect(mapKeys(tt.expect)),
					slices.Collect(mapKeys(files)), "files and expectations differ")
			}
			for name, body := range files {
				t.Run(name, func(t *testing.T) {
					action, _, _ := strings.Cut(name, ".")
					require.True(t, knownAction(Action(action)),
						"file name must start with an action")
					branch := compileSchema(t, id+"#/$defs/"+action)
					schemaErr := validate(t, branch, body)
					d, err := Subjects{}.Decode(subject(Action(action)), body)
					if tt.schemaValid {
						assert.NoError(t, schemaErr)
					} else {
						assert.Error(t, schemaErr)
					}
					if tt.expect == nil {
						require.Nil(t, err)
						assert.NotNil(t, d.Params)
						assert.NoError(t, validate(t, top, body), "top level")
						return
					}
					require.NotNil(t, err)
					assert.Equal(t, CodeInvalidRequest, err.Code)
					assert.Contains(t, err.Message, tt.expect[name])
					assertErrorReplyValid(t, d, err)
				})
			}
		})
	}
}

// mapKeys yields the keys of m.
func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// assertErrorReplyValid checks that the reply a worker builds from a
// decoding failure fits the reply schema.
func assertErrorReplyValid(t *testing.T, d *Decoded, err *Error) {
	t.Helper()
	reply := Reply{ID: d.ID, Tenant: d.Tenant, Action: d.Action, Error: err,
		CompletedAt: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	body, mErr := json.Marshal(reply)
	require.NoError(t, mErr)
	sch := compileSchema(t, schemaID(t, ReplySchema()))
	assert.NoError(t, validate(t, sch, body), "error reply %s", body)
}

func TestReplyExamples(t *testing.T) {
	sch := compileSchema(t, schemaID(t, ReplySchema()))
	for name, body := range exampleFiles(t, "replies/valid") {
		t.Run("valid/"+name, func(t *testing.T) {
			require.NoError(t, validate(t, sch, body))

			// Decode strictly so that a field the Go type lacks shows up.
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.DisallowUnknownFields()
			var reply Reply
			require.NoError(t, dec.Decode(&reply))
			out, err := json.Marshal(reply)
			require.NoError(t, err)
			assert.JSONEq(t, string(body), string(out))
			assert.NoError(t, validate(t, sch, out), "the re-encoded reply")
			if bytes.Contains(body, []byte("12345678901234567890")) {
				assert.Contains(t, string(out), "12345678901234567890", "data stays exact")
			}
		})
	}
	for name, body := range exampleFiles(t, "replies/invalid") {
		t.Run("invalid/"+name, func(t *testing.T) {
			assert.Error(t, validate(t, sch, body))
		})
	}
}

// schemaDoc parses an embedded schema into a generic document.
func schemaDoc(t *testing.T, schema []byte) map[string]any {
	t.Helper()
	var doc map[string]any
	require.NoError(t, json.Unmarshal(schema, &doc))
	return doc
}

// at follows a path of object keys through a schema document.
func at(t *testing.T, doc map[string]any, path ...string) map[string]any {
	t.Helper()
	cur := doc
	for _, key := range path {
		next, ok := cur[key].(map[string]any)
		require.True(t, ok, "no object at %v", path)
		cur = next
	}
	return cur
}

// strs converts a JSON array of strings.
func strs(t *testing.T, v any) []string {
	t.Helper()
	items, ok := v.([]any)
	require.True(t, ok, "not an array: %v", v)
	out := make([]string, len(items))
	for i, item := range items {
		out[i], ok = item.(string)
		require.True(t, ok, "not a string: %v", item)
	}
	return out
}

// jsonFields returns the JSON names of a struct type's fields and those
// that are always written (no omitempty).
func jsonFields(typ reflect.Type) (all, always []string) {
	for f := range typ.Fields() {
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		all = append(all, name)
		if !strings.Contains(opts, "omitempty") {
			always = append(always, name)
		}
	}
	return all, always
}

func TestSchemaMatchesGoTypes(t *testing.T) {
	reply := schemaDoc(t, ReplySchema())
	request := schemaDoc(t, RequestSchema())
	tests := []struct {
		name        string
		typ         reflect.Type
		schema      map[string]any
		checkAlways bool // the schema requires exactly the always-written fields
	}{
		{name: "Reply", typ: reflect.TypeFor[Reply](), schema: reply, checkAlways: true},
		{name: "Error", typ: reflect.TypeFor[Error](), schema: at(t, reply, "$defs", "error"),
			checkAlways: true},
		{name: "UserType", typ: reflect.TypeFor[UserType](),
			schema: at(t, reply, "$defs", "user_type"), checkAlways: true},
		{name: "Request", typ: reflect.TypeFor[Request](),
			schema: at(t, request, "$defs", "envelope")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			all, always := jsonFields(tt.typ)
			props := slices.Collect(mapKeys(at(t, tt.schema, "properties")))
			assert.ElementsMatch(t, all, props)
			assert.Equal(t, false, tt.schema["additionalProperties"])
			if tt.checkAlways {
				assert.ElementsMatch(t, always, strs(t, tt.schema["required"]))
			}
		})
	}
}

func TestSchemaMatchesCodesAndActions(t *testing.T) {
	reply := schemaDoc(t, ReplySchema())
	request := schemaDoc(t, RequestSchema())
	codes := constantsOfType(t, "Code")
	actions := constantsOfType(t, "Action")

	t.Run("codes", func(t *testing.T) {
		enum := strs(t, at(t, reply, "$defs", "error", "properties", "code")["enum"])
		assert.ElementsMatch(t, codes, enum)
		assert.ElementsMatch(t, codes, toStrings(Codes))
	})
	t.Run("actions", func(t *testing.T) {
		enum := strs(t, at(t, request, "$defs", "envelope", "properties", "action")["enum"])
		assert.ElementsMatch(t, actions, enum)
		assert.ElementsMatch(t, actions, toStrings(Actions))
		assert.ElementsMatch(t, actions, slices.Collect(func(yield func(string) bool) {
			for a := range actionParams {
				yield(string(a))
			}
		}))
	})
	t.Run("one branch per action", func(t *testing.T) {
		var refs []string
		for _, branch := range request["anyOf"].([]any) {
			refs = append(refs, branch.(map[string]any)["$ref"].(string))
		}
		for _, a := range actions {
			assert.Contains(t, refs, "#/$defs/"+a)
			branch := at(t, request, "$defs", a)
			assert.Equal(t, a, at(t, branch, "properties", "action")["const"])
		}
		assert.Len(t, refs, len(actions))
	})
	t.Run("params per action", func(t *testing.T) {
		for _, a := range actions {
			params := at(t, request, "$defs", a+"_params")
			props, _ := params["properties"].(map[string]any)
			assert.ElementsMatch(t, actionParams[Action(a)], slices.Collect(mapKeys(props)), a)
		}
	})
}

// toStrings converts a slice of string-based values.
func toStrings[S ~string](in []S) []string {
	out := make([]string, len(in))
	for i, v := range in {
		out[i] = string(v)
	}
	return out
}

// constantsOfType returns the values of the string constants declared
// with the named type in this package's source, so that a constant added
// without a schema entry is caught.
func constantsOfType(t *testing.T, typeName string) []string {
	t.Helper()
	paths, err := filepath.Glob("*.go")
	require.NoError(t, err)
	var values []string
	fset := token.NewFileSet()
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		require.NoError(t, err)
		values = append(values, fileConstants(t, f, typeName)...)
	}
	require.NotEmpty(t, values, "no constants of type %s", typeName)
	return values
}

// fileConstants returns the string constants of type typeName in f.
func fileConstants(t *testing.T, f *ast.File, typeName string) []string {
	t.Helper()
	var values []string
	for _, decl := range f.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok || gen.Tok != token.CONST {
			continue
		}
		for _, spec := range gen.Specs {
			vs := spec.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != typeName {
				continue
			}
			for _, v := range vs.Values {
				lit, ok := v.(*ast.BasicLit)
				require.True(t, ok, "constant of %s is not a literal", typeName)
				s, err := strconv.Unquote(lit.Value)
				require.NoError(t, err)
				values = append(values, s)
			}
		}
	}
	return values
}
