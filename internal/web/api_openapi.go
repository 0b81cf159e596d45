package web

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"

	"github.com/providerportal/portal/docs"
)

// apiOpenAPI serves docs/openapi.yaml, the description of this API, to anyone:
// cacheable, revalidated by its ETag (a digest of the document).
func apiOpenAPI() http.HandlerFunc {
	doc := []byte(docs.OpenAPI())
	sum := sha256.Sum256(doc)
	etag := `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`
	return func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("ETag", etag)
		h.Set("Cache-Control", "public, max-age=3600, must-revalidate")
		if etagMatches(r.Header.Get("If-None-Match"), etag) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		h.Set("Content-Type", "application/yaml; charset=utf-8")
		h.Set("Content-Length", strconv.Itoa(len(doc)))
		w.Write(doc)
	}
}

// etagMatches reports whether an If-None-Match header names etag (weakly, as
// RFC 9110 has it for If-None-Match) or is "*".
func etagMatches(header, etag string) bool {
	for _, tag := range strings.Split(header, ",") {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		if tag == etag || tag == "*" {
			return true
		}
	}
	return false
}
