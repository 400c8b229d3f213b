package okta

import (
	"encoding/json"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Lengths, in runes, at which text taken from an error body is cut.
const (
	maxSummaryRunes = 300
	maxCauseRunes   = 300
	maxCauses       = 10
	maxExcerptRunes = 160
)

// redacted replaces a secret found in text taken from a response.
const redacted = "[REDACTED]"

// newError turns a non-2xx response into an *Error. Everything taken
// from the body is sanitised, and the secrets are removed from it in
// case a proxy echoed the request.
func newError(cl call, resp *http.Response, body []byte, rl RateLimit, secrets []string) *Error {
	e := &Error{
		Method:     cl.method,
		Path:       cl.path,
		HTTPStatus: resp.StatusCode,
		RequestID:  clean(resp.Header.Get("X-Okta-Request-Id"), 100, secrets),
		RateLimit:  rl,
	}
	fillFromBody(e, body, secrets)
	if e.Summary == "" {
		e.Summary = http.StatusText(resp.StatusCode)
	}
	e.Retryable = Retryable(e.HTTPStatus, e.Code)
	return e
}

// fillFromBody sets the fields of e that the body provides. Okta's own
// error JSON fills them all; other JSON (a gateway's {"message": ...}) or
// text (a proxy's HTML page) give only a summary.
func fillFromBody(e *Error, body []byte, secrets []string) {
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) != nil {
		e.Summary = excerpt(body, secrets)
		return
	}

	e.Code = clean(stringField(fields, "errorCode"), 20, secrets)
	e.ErrorID = clean(stringField(fields, "errorId"), 100, secrets)
	e.Summary = clean(firstField(fields, "errorSummary", "message",
		"error_description", "error"), maxSummaryRunes, secrets)
	e.Causes = causes(fields["errorCauses"], secrets)
	if e.Summary == "" && e.Code == "" {
		e.Summary = excerpt(body, secrets)
	}
}

// causes reads errorCauses[].errorSummary, keeping at most maxCauses.
func causes(raw json.RawMessage, secrets []string) []string {
	var list []map[string]json.RawMessage
	if len(raw) == 0 || json.Unmarshal(raw, &list) != nil {
		return nil
	}
	var out []string
	for _, c := range list {
		s := clean(stringField(c, "errorSummary"), maxCauseRunes, secrets)
		if s != "" && len(out) < maxCauses {
			out = append(out, s)
		}
	}
	return out
}

// firstField returns the first of keys that holds a non-empty string.
func firstField(fields map[string]json.RawMessage, keys ...string) string {
	for _, k := range keys {
		if s := stringField(fields, k); s != "" {
			return s
		}
	}
	return ""
}

// stringField returns fields[key] if it is a JSON string, else "".
func stringField(fields map[string]json.RawMessage, key string) string {
	var s string
	if json.Unmarshal(fields[key], &s) != nil {
		return ""
	}
	return s
}

// excerpt makes a short, one-line summary of a body that is not Okta's
// JSON: the title of an HTML page, or its text without tags.
func excerpt(body []byte, secrets []string) string {
	text := string(body)
	if t, ok := htmlTitle(text); ok {
		text = t
	} else if strings.Contains(text, "<") {
		text = stripTags(text)
	}
	return clean(text, maxExcerptRunes, secrets)
}

// htmlTitle returns the content of the first <title> element.
func htmlTitle(s string) (string, bool) {
	lower := strings.ToLower(s)
	start := strings.Index(lower, "<title>")
	if start < 0 {
		return "", false
	}
	start += len("<title>")
	end := strings.Index(lower[start:], "</title>")
	if end < 0 {
		return "", false
	}
	return s[start : start+end], true
}

// stripTags drops everything between < and >.
func stripTags(s string) string {
	var b strings.Builder
	inTag := false
	for _, r := range s {
		switch {
		case r == '<':
			inTag = true
		case r == '>' && inTag:
			inTag = false
			b.WriteByte(' ')
		case !inTag:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// clean makes text from a response safe to put in an error message: the
// secrets are replaced, invalid UTF-8 and control characters become
// spaces, runs of space collapse, and the result is cut to max runes.
func clean(s string, max int, secrets []string) string {
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, redacted)
		}
	}
	s = strings.ToValidUTF8(s, " ")
	s = strings.Join(strings.FieldsFunc(s, isBreak), " ")
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	runes := []rune(s)
	return strings.TrimSpace(string(runes[:max-1])) + "…"
}

// isBreak reports the runes clean turns into a single space.
func isBreak(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r) || r == utf8.RuneError
}
