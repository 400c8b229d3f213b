package oktasim

import (
	"net/http"
	"net/url"
	"strings"
)

// route is where a request goes: the bucket it counts against, the
// decoded path parameter and the function that answers it.
type route struct {
	bucket string
	ref    string
	serve  func(s *Server, ex *exchange)
}

// routeOf maps a request to its route. It reads the escaped path so a
// "%2F" inside a segment splits it as a raw "/" would, which is what
// Okta does with a login containing "/".
func routeOf(r *http.Request) route {
	segs, ok := splitPath(r.URL.EscapedPath())
	if !ok {
		return route{bucket: BucketGeneric, serve: notFoundPath}
	}
	switch {
	case len(segs) >= 1 && segs[0] == "users":
		return usersRoute(r.Method, segs[1:])
	case len(segs) >= 3 && segs[0] == "meta" && segs[1] == "types" && segs[2] == "user":
		return typesRoute(r.Method, segs[3:])
	}
	return route{bucket: BucketGeneric, serve: notFoundPath}
}

// splitPath returns the decoded segments after /api/v1. ok is false for
// paths outside /api/v1 and for undecodable escapes.
func splitPath(escaped string) (segs []string, ok bool) {
	rest, found := strings.CutPrefix(escaped, "/api/v1/")
	if !found {
		return nil, false
	}
	for _, raw := range strings.Split(rest, "/") {
		seg, err := url.PathUnescape(raw)
		if err != nil {
			return nil, false
		}
		segs = append(segs, strings.Split(seg, "/")...)
	}
	return segs, true
}

// usersRoute routes /api/v1/users and what lies below it. An empty or
// "." id reaches the collection, as it does on Okta.
func usersRoute(method string, segs []string) route {
	if len(segs) == 0 || (len(segs) == 1 && (segs[0] == "" || segs[0] == ".")) {
		switch method {
		case http.MethodGet:
			return route{bucket: BucketUsers, serve: (*Server).listUsers}
		case http.MethodPost:
			return route{bucket: BucketUsers, serve: (*Server).createUser}
		}
		return route{bucket: BucketGeneric, serve: methodNotAllowed}
	}
	if len(segs) > 1 {
		return route{bucket: BucketGeneric, serve: methodNotAllowed}
	}
	rt := route{ref: segs[0]}
	switch method {
	case http.MethodGet:
		rt.bucket, rt.serve = BucketUserByID, (*Server).getUser
	case http.MethodPut:
		rt.bucket, rt.serve = BucketUserUpdate, (*Server).replaceUser
	case http.MethodPost:
		rt.bucket, rt.serve = BucketUserUpdate, (*Server).updateUser
	case http.MethodDelete:
		rt.bucket, rt.serve = BucketUserUpdate, (*Server).deleteUser
	default:
		rt.bucket, rt.serve = BucketGeneric, methodNotAllowed
	}
	return rt
}

// typesRoute routes /api/v1/meta/types/user and /{typeId}. Only reads
// are simulated; types are added with [Server.AddUserType].
func typesRoute(method string, segs []string) route {
	rt := route{bucket: BucketGeneric, serve: methodNotAllowed}
	switch {
	case len(segs) > 1:
		rt.serve = notFoundPath
	case method != http.MethodGet:
	case len(segs) == 0:
		rt.serve = (*Server).listUserTypes
	default:
		rt.ref, rt.serve = segs[0], (*Server).getUserType
	}
	return rt
}

func notFoundPath(s *Server, ex *exchange) { s.writeError(ex, errPathNotFound()) }

func methodNotAllowed(s *Server, ex *exchange) { s.writeError(ex, errMethodNotAllowed()) }
