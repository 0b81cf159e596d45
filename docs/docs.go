// Package docs holds the documents the portal serves about itself: the OpenAPI
// description of the JSON API (docs/openapi.yaml, the one source of truth, read
// by people in the repository and served at GET /api/v1/openapi.yaml).
package docs

import _ "embed"

//go:embed openapi.yaml
var openAPI string

// OpenAPI returns docs/openapi.yaml: the OpenAPI 3.1 description of every
// /api/v1 call, as built into the program.
func OpenAPI() string { return openAPI }
