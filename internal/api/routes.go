package api

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// route is one operation: a method and path pattern (net/http's
// ServeMux syntax, the same as the OpenAPI document's paths), what it
// needs, and its handler.
type route struct {
	method, path string
	class        class
	handle       func(w http.ResponseWriter, r *http.Request) error
}

// routes is every operation the API has; the OpenAPI document describes
// exactly these (a test checks it).
func (s *Server) routes() []route {
	return []route{
		{"GET", "/healthz", open, s.health},
		{"GET", "/readyz", open, s.ready},
		{"GET", "/metrics", read, s.metrics},
		{"GET", "/v1/openapi.json", read, s.openapi},
		{"GET", "/v1/images", read, s.images},
		{"POST", "/v1/images", mutate, s.addImage},
		{"GET", "/v1/images/{name}", read, s.image},
		{"DELETE", "/v1/images/{name}", mutate, s.removeImage},
		{"POST", "/v1/resolve", mutate, s.resolve},
		{"POST", "/v1/images/{name}/sync", mutate, s.imageJob(KindSync)},
		{"POST", "/v1/images/{name}/update", mutate, s.imageJob(KindUpdate)},
		{"POST", "/v1/images/{name}/hold", mutate, s.hold},
		{"POST", "/v1/images/{name}/unhold", mutate, s.imageJob(KindUnhold)},
		{"POST", "/v1/images/{name}/rollback", mutate, s.rollback},
		{"POST", "/v1/sync", mutate, s.listJob(KindSync)},
		{"POST", "/v1/check", mutate, s.listJob(KindCheck)},
		{"POST", "/v1/prune", mutate, s.prune},
		{"GET", "/v1/jobs", read, s.jobs},
		{"GET", "/v1/jobs/{id}", read, s.job},
		{"GET", "/v1/sources", read, s.sources},
		{"GET", "/v1/events", read, s.events},
		{"POST", "/v1/reload", mutate, s.reload},
	}
}

// register puts every route on the mux, with a JSON 405 for the other
// methods on its path and a JSON 404 for any other path.
func (s *Server) register() {
	allowed := map[string][]string{}
	var paths []string
	for _, rt := range s.routes() {
		s.mux.Handle(rt.method+" "+rt.path, s.wrap(rt))
		if _, ok := allowed[rt.path]; !ok {
			paths = append(paths, rt.path)
		}
		allowed[rt.path] = append(allowed[rt.path], rt.method)
	}
	for _, p := range paths {
		methods := allowed[p]
		if slices.Contains(methods, "GET") {
			methods = append(methods, "HEAD")
		}
		s.mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			secure(w.Header())
			w.Header().Set("Allow", strings.Join(methods, ", "))
			writeError(w, Errorf(http.StatusMethodNotAllowed, "%s is not allowed on %s (allowed: %s)", r.Method, p, strings.Join(methods, ", ")))
		})
	}
	if s.opts.UI != nil {
		s.mux.Handle("GET /{$}", s.opts.UI)
	}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if s.opts.UI != nil && r.Method == http.MethodGet && !strings.HasPrefix(r.URL.Path, "/v1/") {
			s.opts.UI.ServeHTTP(w, r)
			return
		}
		secure(w.Header())
		writeError(w, Errorf(http.StatusNotFound, "no such endpoint: %s %s (see /v1/openapi.json)", r.Method, r.URL.Path))
	})
}

// wrap applies what every call goes through: the security headers, the
// rate limits, who may call, and the body limit.
func (s *Server) wrap(rt route) http.Handler {
	route := rt.method + " " + rt.path
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.opts.Observe != nil && rt.path != "/v1/events" {
			sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
			start := time.Now()
			defer func() { s.opts.Observe(route, sw.status, time.Since(start)) }()
			w = sw
		}
		secure(w.Header())
		if refusal := s.authorize(r, rt.class); refusal != nil {
			if !s.refused.Allow() {
				writeError(w, Errorf(http.StatusTooManyRequests, "too many refused calls; slow down"))
				return
			}
			writeError(w, refusal)
			return
		}
		if rt.class == mutate {
			if !s.mutate.Allow() {
				writeError(w, Errorf(http.StatusTooManyRequests, "too many calls that change something (at most %d a second); slow down", MutateRate))
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		}
		if err := rt.handle(w, r); err != nil {
			writeError(w, err)
		}
	})
}

// statusWriter remembers the status an answer was sent with.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
