package api

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/time/rate"

	"github.com/sandlabx/fetchd/internal/report"
)

const testToken = "test-token-0123456789abcdef"

func loadDoc(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(OpenAPI)
	if err != nil {
		t.Fatalf("openapi.json does not load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.json is not a valid OpenAPI document: %v", err)
	}
	return doc
}

// TestOpenAPIRoutes: the document describes exactly the routes the server
// has.
func TestOpenAPIRoutes(t *testing.T) {
	t.Parallel()
	doc := loadDoc(t)
	var documented, served []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	s := New(newFake(), Options{})
	for _, rt := range s.routes() {
		served = append(served, rt.method+" "+rt.path)
	}
	sort.Strings(documented)
	sort.Strings(served)
	if diff := cmp.Diff(documented, served); diff != "" {
		t.Errorf("openapi.json paths (-) and server routes (+) differ:\n%s", diff)
	}
	// What each route needs agrees with the document's security.
	for _, rt := range s.routes() {
		op := doc.Paths.Find(rt.path).GetOperation(rt.method)
		openInDoc := op.Security != nil && len(*op.Security) == 0
		if openInDoc != (rt.class == open) {
			t.Errorf("%s %s: document says open=%v, server says class %d", rt.method, rt.path, openInDoc, rt.class)
		}
	}
}

// apiCase is one call and the status it must get.
type apiCase struct {
	method, path string
	body         string
	header       map[string]string
	want         int
}

// TestOpenAPIResponses calls every operation (and its error answers) and
// checks each answer against the document: status, headers, body schema.
func TestOpenAPIResponses(t *testing.T) {
	t.Parallel()
	doc := loadDoc(t)
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	auth := map[string]string{"Authorization": "Bearer " + testToken}
	withJSON := map[string]string{"Authorization": "Bearer " + testToken, "Content-Type": "application/json"}
	cases := []apiCase{
		{"GET", "/healthz", "", nil, 200},
		{"GET", "/readyz", "", nil, 503},
		{"GET", "/metrics", "", auth, 200},
		{"GET", "/metrics", "", nil, 401},
		{"GET", "/v1/openapi.json", "", auth, 200},
		{"GET", "/v1/images", "", auth, 200},
		{"GET", "/v1/images", "", map[string]string{"Authorization": "Bearer wrong-token-xxxxxxxx"}, 403},
		{"GET", "/v1/images/alpine-3.qcow2", "", auth, 200},
		{"GET", "/v1/images/nope.qcow2", "", auth, 404},
		{"GET", "/v1/images/.hidden", "", auth, 400},
		{"POST", "/v1/images/alpine-3.qcow2/sync", "", auth, 202},
		{"POST", "/v1/images/nope.qcow2/sync", "", auth, 404},
		{"POST", "/v1/images/alpine-3.qcow2/update", "{}", withJSON, 202},
		{"POST", "/v1/images/alpine-3.qcow2/hold", "", auth, 501},
		{"POST", "/v1/images/alpine-3.qcow2/unhold", "", auth, 202},
		{"POST", "/v1/images/alpine-3.qcow2/rollback", `{"version":"3.22.1-r0"}`, withJSON, 202},
		{"POST", "/v1/images/alpine-3.qcow2/rollback", `{"version":"../x"}`, withJSON, 400},
		{"POST", "/v1/sync", `{"images":["alpine-3.qcow2"]}`, withJSON, 202},
		{"POST", "/v1/sync", `{"images":["alpine-3.qcow2"]}`, auth, 415},
		{"POST", "/v1/sync", `{"imagez":[]}`, withJSON, 400},
		{"POST", "/v1/sync", `{"images":["a"]}` + strings.Repeat(" ", MaxBodyBytes), withJSON, 413},
		{"POST", "/v1/sync", "", nil, 401},
		{"POST", "/v1/check", "", auth, 202},
		{"POST", "/v1/prune", `{"dry_run":true}`, withJSON, 202},
		{"GET", "/v1/jobs", "", auth, 200},
		{"GET", "/v1/jobs/1", "", auth, 200},
		{"GET", "/v1/jobs/99", "", auth, 404},
		{"GET", "/v1/jobs/x1", "", auth, 400},
		{"GET", "/v1/sources", "", auth, 200},
		{"GET", "/v1/events", "", map[string]string{"Authorization": "Bearer " + testToken, "Last-Event-ID": "abc"}, 400},
		{"POST", "/v1/reload", "", auth, 200},
		{"POST", "/v1/images", `{"name":"new.qcow2","source":"alpine","release":"3.22"}`, withJSON, 202},
		{"POST", "/v1/images", `{"name":"alpine-3.qcow2","source":"alpine","release":"3.22"}`, withJSON, 409},
		{"POST", "/v1/images", `{"name":"x.qcow2","source":"alpine","url":"https://x/y"}`, withJSON, 400},
		{"POST", "/v1/images", "", auth, 400},
		{"POST", "/v1/images", `{"name":"x.qcow2","url":"https://x/y"}`, nil, 401},
		{"DELETE", "/v1/images/added.qcow2", "", auth, 200},
		{"DELETE", "/v1/images/alpine-3.qcow2", "", auth, 409},
		{"DELETE", "/v1/images/other.qcow2", "", auth, 404},
		{"POST", "/v1/resolve", `{"source":"alpine","release":"3.22"}`, withJSON, 200},
		{"POST", "/v1/resolve", `{"source":"nope","release":"3.22"}`, withJSON, 422},
		{"POST", "/v1/resolve", `{"release":"3.22"}`, withJSON, 400},
	}
	fake := newFake()
	s := New(fake, Options{Metrics: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		io.WriteString(w, "# HELP up x\n# TYPE up gauge\nup 1\n")
	})})
	s.Access().Set(testToken, false)
	// More calls than the rate limits' bursts: they are not what this
	// test is about.
	s.mutate, s.refused = rate.NewLimiter(rate.Inf, 1), rate.NewLimiter(rate.Inf, 1)
	seen := map[string]bool{}
	for _, c := range cases {
		rec := call(s.Handler(), c)
		if rec.Code != c.want {
			t.Errorf("%s %s: status %d, want %d: %s", c.method, c.path, rec.Code, c.want, rec.Body)
			continue
		}
		validate(t, router, c, rec)
		seen[c.method+" "+routeOf(t, router, c)] = true
	}
	fake.badReload = true
	rec := call(s.Handler(), apiCase{method: "POST", path: "/v1/reload", header: auth, want: 422})
	if rec.Code != 422 {
		t.Errorf("bad reload: status %d, want 422", rec.Code)
	}
	for _, rt := range s.routes() {
		if !seen[rt.method+" "+rt.path] {
			t.Errorf("%s %s is not exercised by this test", rt.method, rt.path)
		}
	}
}

func call(h http.Handler, c apiCase) *httptest.ResponseRecorder {
	req := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// validate checks one answer against the document.
func validate(t *testing.T, router routers.Router, c apiCase, rec *httptest.ResponseRecorder) {
	t.Helper()
	req := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	route, params, err := router.FindRoute(req)
	if err != nil {
		t.Errorf("%s %s: not in the document: %v", c.method, c.path, err)
		return
	}
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
		},
		Status: rec.Code,
		Header: rec.Header(),
		Options: &openapi3filter.Options{
			IncludeResponseStatus: true,
			ExcludeResponseBody:   !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json"),
		},
	}
	input.SetBodyBytes(rec.Body.Bytes())
	if err := openapi3filter.ValidateResponse(context.Background(), input); err != nil {
		t.Errorf("%s %s (%d): the answer does not match the document: %v\n%s", c.method, c.path, rec.Code, err, rec.Body)
	}
}

// routeOf is the document path a call matched.
func routeOf(t *testing.T, router routers.Router, c apiCase) string {
	t.Helper()
	req := httptest.NewRequest(c.method, c.path, nil)
	route, _, err := router.FindRoute(req)
	if err != nil {
		return ""
	}
	return route.Path
}

// TestOpenAPISchemas: the document's Result and Image schemas have
// exactly the JSON fields of report.Image and api.Image.
func TestOpenAPISchemas(t *testing.T) {
	t.Parallel()
	doc := loadDoc(t)
	for schema, typ := range map[string]reflect.Type{
		"Result":   reflect.TypeOf(report.Image{}),
		"Image":    reflect.TypeOf(Image{}),
		"Progress": reflect.TypeOf(Progress{}),
		"Job":      reflect.TypeOf(Job{}),
		"Event":    reflect.TypeOf(report.Event{}),
	} {
		var documented []string
		for name := range doc.Components.Schemas[schema].Value.Properties {
			documented = append(documented, name)
		}
		got := jsonFields(typ)
		sort.Strings(documented)
		sort.Strings(got)
		if diff := cmp.Diff(documented, got); diff != "" {
			t.Errorf("schema %s (-) and Go type %s (+) differ:\n%s", schema, typ, diff)
		}
	}
}

func jsonFields(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous {
			out = append(out, jsonFields(f.Type)...)
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
}
