package web_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/providerportal/portal/docs"
	"github.com/providerportal/portal/internal/twostep"
	"github.com/providerportal/portal/internal/web"
)

const docPath = "docs/openapi.yaml"

// loadOpenAPI parses and validates an OpenAPI document.
func loadOpenAPI(t *testing.T, raw []byte) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(raw)
	if err != nil {
		t.Fatalf("%s does not load: %v", docPath, err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("%s is not valid OpenAPI: %v", docPath, err)
	}
	return doc
}

// bareServer is a web.Server without a database: enough to build its routes
// and serve what needs no domain call.
func bareServer() *web.Server {
	reg := prometheus.NewRegistry()
	return web.New(nil, nil, nil, web.Options{SiteName: "Provider Portal"}, slog.New(slog.DiscardHandler), reg, reg, nil)
}

// operationKey is "METHOD /path/{param}", the form routes.go and the document share.
func operationKey(method, path string) string { return strings.ToUpper(method) + " " + path }

var wildcardRest = regexp.MustCompile(`\{([A-Za-z0-9_]+)\.\.\.\}`)

// routeKey turns a ServeMux pattern into an operationKey ({name...} is {name};
// a trailing {$} adds nothing). It refuses patterns without a method or with a host.
func routeKey(pattern string) (string, error) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		return "", fmt.Errorf("route %q has no method: register API routes as \"METHOD /api/v1/…\" so they can be documented", pattern)
	}
	path = strings.TrimSpace(path)
	if !strings.HasPrefix(path, "/") {
		return "", fmt.Errorf("route %q names a host: API routes are the same on every host", pattern)
	}
	path = wildcardRest.ReplaceAllString(strings.TrimSuffix(path, "{$}"), "{$1}")
	return operationKey(method, path), nil
}

func documentedOperations(doc *openapi3.T) map[string]*openapi3.Operation {
	ops := map[string]*openapi3.Operation{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			ops[operationKey(method, path)] = op
		}
	}
	return ops
}

func TestOpenAPIDocumentIsValid(t *testing.T) {
	doc := loadOpenAPI(t, []byte(docs.OpenAPI()))
	if !doc.IsOpenAPI31OrLater() {
		t.Errorf("%s is OpenAPI %s, want 3.1", docPath, doc.OpenAPI)
	}
	if doc.Components == nil || doc.Components.SecuritySchemes["session"] == nil {
		t.Fatalf("%s lacks the session cookie security scheme", docPath)
	}
	if s := doc.Components.SecuritySchemes["session"].Value; s.Type != "apiKey" || s.In != "cookie" || s.Name != "portal_session" {
		t.Errorf("session scheme is %s in %s named %s, want the portal_session cookie", s.Type, s.In, s.Name)
	}
}

// Every /api/v1 route the router registers is documented, and every documented
// operation is a route. New routes fail here until docs/openapi.yaml has them.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	doc := loadOpenAPI(t, []byte(docs.OpenAPI()))
	documented := documentedOperations(doc)
	registered := map[string]bool{}
	for _, pattern := range bareServer().APIRoutes() {
		key, err := routeKey(pattern)
		if err != nil {
			t.Error(err)
			continue
		}
		registered[key] = true
	}
	if len(registered) < 30 {
		t.Fatalf("only %d /api/v1 routes found on the router: is routes.go still registering them on its routeTable?", len(registered))
	}
	var missing, stale []string
	for key := range registered {
		if documented[key] == nil {
			method, path, _ := strings.Cut(key, " ")
			missing = append(missing, fmt.Sprintf("%s: registered in internal/web/routes.go but missing from %s (add paths.%q.%s)", key, docPath, path, strings.ToLower(method)))
		}
	}
	for key := range documented {
		if !registered[key] {
			stale = append(stale, fmt.Sprintf("%s: documented in %s but internal/web/routes.go registers no such route", key, docPath))
		}
	}
	sort.Strings(missing)
	sort.Strings(stale)
	for _, m := range append(missing, stale...) {
		t.Error(m)
	}
}

// errorCodes are the codes an error answer's schema allows: the enum of
// error.code, looked up through allOf.
func errorCodes(s *openapi3.SchemaRef) []string {
	if s == nil || s.Value == nil {
		return nil
	}
	var out []string
	if e := s.Value.Properties["error"]; e != nil && e.Value != nil {
		if c := e.Value.Properties["code"]; c != nil && c.Value != nil && len(c.Value.Enum) > 0 && c.Ref == "" {
			for _, v := range c.Value.Enum {
				out = append(out, fmt.Sprint(v))
			}
			return out
		}
	}
	for _, sub := range s.Value.AllOf {
		out = append(out, errorCodes(sub)...)
	}
	return out
}

// statusExceptions are the answers whose status is not errors.go's statusOf for
// their code, and why.
var statusExceptions = map[string]string{
	"413 invalid_request":        "a body over 64 KiB (http.MaxBytesError in asDomainError)",
	"500 internal":               "anything that is not a domain error",
	"409 two_step_not_available": "the policy calls answer it as a conflict (api_admin.go, api_staff.go)",
	"400 invalid_passkey":        "a refused passkey registration is a bad request, a refused sign-in 401 (CONTRACT.md; api_passkey.go)",
}

// The document agrees with the code on what every answer looks like: each error
// status lists its codes, each code answers with that status (errors.go), the
// codes are the ones errors.go knows, and the cross-cutting answers are there.
func TestOpenAPIErrorAnswersMatchTheCode(t *testing.T) {
	doc := loadOpenAPI(t, []byte(docs.OpenAPI()))
	known := append(web.ErrorCodes(), twostep.EInternal)
	enum := doc.Components.Schemas["ErrorCode"]
	if enum == nil {
		t.Fatalf("%s lacks components.schemas.ErrorCode", docPath)
	}
	var listed []string
	for _, v := range enum.Value.Enum {
		listed = append(listed, fmt.Sprint(v))
	}
	for _, code := range known {
		if !slices.Contains(listed, code) {
			t.Errorf("error code %q (internal/web/errors.go) is missing from components.schemas.ErrorCode in %s", code, docPath)
		}
	}
	for _, code := range listed {
		if !slices.Contains(known, code) {
			t.Errorf("ErrorCode %q in %s is not a code internal/web/errors.go answers with", code, docPath)
		}
	}
	for key, op := range documentedOperations(doc) {
		method, _, _ := strings.Cut(key, " ")
		needsSession := op.Security == nil || (len(*op.Security) > 0 && !slices.ContainsFunc(*op.Security, func(r openapi3.SecurityRequirement) bool { return len(r) == 0 }))
		for status, ref := range op.Responses.Map() {
			code, err := strconv.Atoi(status)
			if err != nil {
				t.Errorf("%s: response %q: give every answer its own status", key, status)
				continue
			}
			if code < 400 {
				continue
			}
			media := ref.Value.Content.Get("application/json")
			if media == nil {
				t.Errorf("%s: answer %d is not the JSON error", key, code)
				continue
			}
			codes := errorCodes(media.Schema)
			if len(codes) == 0 {
				t.Errorf("%s: answer %d does not list its error codes (allOf: [Error, {properties: {error: {properties: {code: {enum: […]}}}}}])", key, code)
			}
			for _, c := range codes {
				want, ok := web.StatusOf(c)
				if c == twostep.EInternal {
					want, ok = 500, true
				}
				if _, exempt := statusExceptions[status+" "+c]; !exempt && (!ok || want != code) {
					t.Errorf("%s: answer %d lists %q, which errors.go answers with %d", key, code, c, want)
				}
			}
			if (code == 429 || code == 423) && ref.Value.Headers["Retry-After"] == nil {
				t.Errorf("%s: answer %d lacks the Retry-After header", key, code)
			}
		}
		if op.Responses.Status(500) == nil {
			t.Errorf("%s: lacks answer 500 (internal)", key)
		}
		if needsSession && !slices.Contains(errorCodes(jsonSchema(op, 401)), twostep.EUnauthenticated) {
			t.Errorf("%s: needs a session, so answer 401 must list unauthenticated", key)
		}
		if method != "GET" && method != "HEAD" && !slices.Contains(errorCodes(jsonSchema(op, 403)), twostep.EForbidden) {
			t.Errorf("%s: an unsafe method, so answer 403 must list forbidden (cross-site requests)", key)
		}
		if op.RequestBody != nil {
			for mime, media := range op.RequestBody.Value.Content {
				if s := media.Schema; s != nil && s.Value.Type.Is("object") && s.Value.AdditionalProperties.Has == nil && s.Value.AdditionalProperties.Schema == nil {
					t.Errorf("%s: request body %s: say additionalProperties: false (decodeJSON refuses unknown fields) or what it accepts", key, mime)
				}
			}
		}
	}
}

func jsonSchema(op *openapi3.Operation, status int) *openapi3.SchemaRef {
	ref := op.Responses.Status(status)
	if ref == nil || ref.Value == nil {
		return nil
	}
	if m := ref.Value.Content.Get("application/json"); m != nil {
		return m.Schema
	}
	return nil
}

// The document is served as it is in the repository, to anyone, cacheable.
func TestOpenAPIServed(t *testing.T) {
	srv := httptest.NewServer(bareServer().Handler())
	t.Cleanup(srv.Close)
	resp, err := http.Get(srv.URL + "/api/v1/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	raw := readAll(t, resp)
	if resp.StatusCode != 200 || string(raw) != docs.OpenAPI() {
		t.Fatalf("GET /api/v1/openapi.yaml: %d, %d bytes (want 200 and %s as it is)", resp.StatusCode, len(raw), docPath)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/yaml") {
		t.Errorf("Content-Type %q", ct)
	}
	etag, cc := resp.Header.Get("ETag"), resp.Header.Get("Cache-Control")
	if etag == "" || !strings.Contains(cc, "public") || strings.Contains(cc, "no-store") {
		t.Errorf("not cacheable: ETag %q, Cache-Control %q", etag, cc)
	}
	loadOpenAPI(t, raw)
	for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag} {
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/openapi.yaml", nil)
		req.Header.Set("If-None-Match", inm)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if body := readAll(t, resp); resp.StatusCode != http.StatusNotModified || len(body) != 0 {
			t.Errorf("If-None-Match %s: %d with %d bytes, want 304", inm, resp.StatusCode, len(body))
		}
	}
	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/openapi.yaml", nil)
	req.Header.Set("If-None-Match", `"stale"`)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Errorf("a stale ETag: %v %v", resp, err)
	} else {
		readAll(t, resp)
	}
}
