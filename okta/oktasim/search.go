package oktasim

import (
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"unicode"
)

// errSyntax marks an expression the simulator cannot parse; it is
// answered 400 E0000031.
var errSyntax = errors.New("oktasim: invalid search criteria")

// A search or filter expression, as Okta accepts in ?search= and
// ?filter=:
//
//	expr := and { "or" and }
//	and  := term { "and" term }
//	term := "(" expr ")" | attr op [value]
//
// attr is profile.<name>, id, status, created, activated,
// statusChanged, lastUpdated or type.id; op is eq, sw, co, pr, gt, ge,
// lt or le (ne does not exist on Okta); value is a double-quoted
// string with \" and \\ escapes, a number, true or false. Keywords are
// case-insensitive. In search, string values compare ignoring case; in
// filter they compare exactly, and only the attributes and operators
// Okta's filter allows are accepted.

// expr is a parsed expression, evaluated against one user.
type expr interface {
	match(u *user) bool
}

type andExpr struct{ l, r expr }
type orExpr struct{ l, r expr }

func (e andExpr) match(u *user) bool { return e.l.match(u) && e.r.match(u) }
func (e orExpr) match(u *user) bool  { return e.l.match(u) || e.r.match(u) }

// cond is one comparison of an attribute with a literal.
type cond struct {
	attr     string
	op       string
	value    json.RawMessage // nil for pr
	foldCase bool
}

// filterAttrs are the attributes ?filter= accepts.
var filterAttrs = map[string]bool{
	"status": true, "lastUpdated": true, "id": true, "profile.login": true,
	"profile.email": true, "profile.firstName": true, "profile.lastName": true,
}

// topAttrs are the non-profile attributes an expression may name.
var topAttrs = map[string]bool{
	"id": true, "status": true, "created": true, "activated": true,
	"statusChanged": true, "lastUpdated": true, "type.id": true,
}

// containsAttrs are the only attributes co works on.
var containsAttrs = map[string]bool{
	"profile.firstName": true, "profile.lastName": true,
	"profile.email": true, "profile.login": true,
}

// parser reads one expression from its tokens.
type parser struct {
	toks   []token
	pos    int
	filter bool // ?filter= rules instead of ?search= ones
}

// parseExpr parses a search (filter false) or filter expression.
func parseExpr(s string, filter bool) (expr, error) {
	toks, err := tokenize(s)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks, filter: filter}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, errSyntax
	}
	return e, nil
}

func (p *parser) peekWord(w string) bool {
	return p.pos < len(p.toks) && p.toks[p.pos].kind == tokWord &&
		strings.EqualFold(p.toks[p.pos].text, w)
}

func (p *parser) next() (token, bool) {
	if p.pos >= len(p.toks) {
		return token{}, false
	}
	p.pos++
	return p.toks[p.pos-1], true
}

func (p *parser) or() (expr, error) {
	l, err := p.and()
	for err == nil && p.peekWord("or") {
		p.pos++
		var r expr
		r, err = p.and()
		l = orExpr{l, r}
	}
	return l, err
}

func (p *parser) and() (expr, error) {
	l, err := p.term()
	for err == nil && p.peekWord("and") {
		p.pos++
		var r expr
		r, err = p.term()
		l = andExpr{l, r}
	}
	return l, err
}

func (p *parser) term() (expr, error) {
	t, ok := p.next()
	if !ok {
		return nil, errSyntax
	}
	if t.kind == tokOpen {
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if c, ok := p.next(); !ok || c.kind != tokClose {
			return nil, errSyntax
		}
		return e, nil
	}
	if t.kind != tokWord {
		return nil, errSyntax
	}
	return p.cond(t.text)
}

// cond parses "attr op [value]" once attr has been read.
func (p *parser) cond(attr string) (expr, error) {
	opTok, ok := p.next()
	if !ok || opTok.kind != tokWord || !p.attrOK(attr) {
		return nil, errSyntax
	}
	c := cond{attr: attr, op: strings.ToLower(opTok.text), foldCase: !p.filter}
	if !p.opOK(c) {
		return nil, errSyntax
	}
	if c.op == "pr" {
		return c, nil
	}
	v, ok := p.next()
	if !ok {
		return nil, errSyntax
	}
	lit, err := literal(v)
	if err != nil {
		return nil, err
	}
	c.value = lit
	return c, nil
}

func (p *parser) attrOK(attr string) bool {
	if p.filter {
		return filterAttrs[attr]
	}
	name, isProfile := strings.CutPrefix(attr, "profile.")
	return topAttrs[attr] || (isProfile && name != "")
}

func (p *parser) opOK(c cond) bool {
	switch c.op {
	case "eq":
		return true
	case "gt", "ge", "lt", "le":
		return !p.filter || c.attr == "lastUpdated"
	case "sw", "pr":
		return !p.filter
	case "co":
		return !p.filter && containsAttrs[c.attr]
	}
	return false
}

// literal turns a value token into JSON: a string, a number, or a
// boolean.
func literal(t token) (json.RawMessage, error) {
	switch {
	case t.kind == tokString:
		return json.Marshal(t.text)
	case t.kind != tokWord:
		return nil, errSyntax
	case t.text == "true" || t.text == "false":
		return json.RawMessage(t.text), nil
	}
	if _, ok := new(big.Rat).SetString(t.text); ok && json.Valid([]byte(t.text)) {
		return json.RawMessage(t.text), nil
	}
	return nil, errSyntax
}

type tokKind int

const (
	tokWord tokKind = iota
	tokString
	tokOpen
	tokClose
)

type token struct {
	kind tokKind
	text string
}

// tokenize splits an expression into words, quoted strings and
// parentheses.
func tokenize(s string) ([]token, error) {
	var toks []token
	rs := []rune(s)
	for i := 0; i < len(rs); {
		switch r := rs[i]; {
		case unicode.IsSpace(r):
			i++
		case r == '(':
			toks = append(toks, token{kind: tokOpen})
			i++
		case r == ')':
			toks = append(toks, token{kind: tokClose})
			i++
		case r == '"':
			text, n, err := quoted(rs[i:])
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{kind: tokString, text: text})
			i += n
		default:
			j := i
			for j < len(rs) && !unicode.IsSpace(rs[j]) && !strings.ContainsRune(`()"`, rs[j]) {
				j++
			}
			toks = append(toks, token{kind: tokWord, text: string(rs[i:j])})
			i = j
		}
	}
	return toks, nil
}

// quoted reads a double-quoted string at the start of rs, returning its
// value and how many runes it took. A backslash takes the next rune
// literally, so \" and \\ are a quote and a backslash.
func quoted(rs []rune) (string, int, error) {
	var b strings.Builder
	for i := 1; i < len(rs); i++ {
		switch rs[i] {
		case '\\':
			if i+1 >= len(rs) {
				return "", 0, errSyntax
			}
			i++
			b.WriteRune(rs[i])
		case '"':
			return b.String(), i + 1, nil
		default:
			b.WriteRune(rs[i])
		}
	}
	return "", 0, errSyntax
}
