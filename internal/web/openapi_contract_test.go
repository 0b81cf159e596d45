package web_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/providerportal/portal/docs"
)

func readAll(t *testing.T, resp *http.Response) []byte {
	t.Helper()
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// contract sends API calls through a real client and holds each request and
// answer to docs/openapi.yaml: the operation exists, the request is one the
// document allows, and the answer's status, headers, content type and body are
// documented for that operation.
type contract struct {
	t      *testing.T
	p      *portal
	doc    *openapi3.T
	router routers.Router
	seen   map[string]bool
}

// newContract loads the document the portal itself serves (checking it is
// docs/openapi.yaml) and validates that very answer against it.
func newContract(t *testing.T, p *portal) *contract {
	resp, err := p.client().http.Get(p.srv.URL + "/api/v1/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	raw := readAll(t, resp)
	if string(raw) != docs.OpenAPI() {
		t.Fatalf("the portal serves a document other than %s", docPath)
	}
	doc := loadOpenAPI(t, raw)
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	k := &contract{t: t, p: p, doc: doc, router: router, seen: map[string]bool{}}
	k.call(p.client(), "GET", "/api/v1/openapi.yaml", nil)
	return k
}

// call sends a request the document allows and checks the answer.
func (k *contract) call(c *client, method, path string, body any, hdr ...string) answer {
	k.t.Helper()
	return k.send(c, true, method, path, body, hdr...)
}

// bad sends a request the document does not allow (a malformed body, say) and
// checks the answer.
func (k *contract) bad(c *client, method, path string, body any, hdr ...string) answer {
	k.t.Helper()
	return k.send(c, false, method, path, body, hdr...)
}

func (k *contract) send(c *client, checkRequest bool, method, path string, body any, hdr ...string) answer {
	t := k.t
	t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	default:
		raw, _ = json.Marshal(b)
	}
	// build makes the request; the validator's copy carries the client's
	// cookies as the client's jar will add them to the one sent.
	build := func(cookies bool) *http.Request {
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(raw)
		}
		req, err := http.NewRequest(method, k.p.srv.URL+path, rd)
		if err != nil {
			t.Fatal(err)
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		if cookies {
			u, _ := url.Parse(k.p.srv.URL)
			for _, ck := range c.http.Jar.Cookies(u) {
				req.AddCookie(ck)
			}
		}
		return req
	}
	req := build(true)
	route, params, err := k.router.FindRoute(req)
	if err != nil {
		t.Fatalf("%s %s: not in %s: %v", method, path, docPath, err)
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	if checkRequest {
		if err := openapi3filter.ValidateRequest(t.Context(), in); err != nil {
			t.Fatalf("%s %s: the test's request does not match %s: %v", method, path, docPath, err)
		}
	}
	resp, err := c.http.Do(build(false))
	if err != nil {
		t.Fatal(err)
	}
	a := answer{status: resp.StatusCode, header: resp.Header, raw: readAll(t, resp)}
	json.Unmarshal(a.raw, &a.body)
	json.Unmarshal(a.raw, &a.list)
	k.seen[operationKey(method, route.Path)+" "+strconv.Itoa(a.status)] = true

	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: a.status, Header: a.header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true}}
	out.SetBodyBytes(a.raw)
	if err := openapi3filter.ValidateResponse(t.Context(), out); err != nil {
		t.Errorf("%s %s answered %d %s, which %s does not describe: %v", method, path, a.status, a.raw, docPath, err)
		return a
	}
	doc := route.Operation.Responses.Status(a.status)
	if len(doc.Value.Content) == 0 && len(a.raw) != 0 && method != "HEAD" {
		t.Errorf("%s %s answered %d with a body (%s) where %s documents none", method, path, a.status, a.raw, docPath)
	}
	if a.status >= 400 {
		secs, _ := a.errField("retry_after_seconds").(float64)
		if got := a.header.Get("Retry-After"); got != "" && got != strconv.Itoa(int(secs)) {
			t.Errorf("%s %s: Retry-After %q but retry_after_seconds %v", method, path, got, secs)
		}
	}
	return a
}

// report logs which operations and answers the flows reached.
func (k *contract) report() {
	var keys []string
	for key := range k.seen {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	k.t.Logf("answers checked against %s (%d): %s", docPath, len(keys), strings.Join(keys, "; "))
}
