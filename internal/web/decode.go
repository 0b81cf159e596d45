package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/providerportal/portal/internal/twostep"
)

// decodeJSON reads one JSON object into v: unknown fields, wrong types, trailing
// data and bodies over 64 KiB are refused with invalid_request. An empty body is
// accepted only when optional.
func decodeJSON(r *http.Request, v any, optional bool) error {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return twostep.Errorf(twostep.EInvalid, "The request body could not be read.")
	}
	return DecodeJSONBytes(raw, v, optional)
}

// DecodeJSONBytes is decodeJSON's parser, separate so it can be fuzzed.
func DecodeJSONBytes(raw []byte, v any, optional bool) error {
	if len(raw) == 0 {
		if optional {
			return nil
		}
		return twostep.Errorf(twostep.EInvalid, "The request needs a JSON body.")
	}
	dec := json.NewDecoder(bytesReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return twostep.Errorf(twostep.EInvalid, "%s", describeJSONError(err))
	}
	if dec.More() {
		return twostep.Errorf(twostep.EInvalid, "The request body must hold one JSON object.")
	}
	if _, err := dec.Token(); err != io.EOF {
		return twostep.Errorf(twostep.EInvalid, "The request body must hold one JSON object.")
	}
	return nil
}

func describeJSONError(err error) string {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		if te.Field != "" {
			return fmt.Sprintf("The field %q must be a %s.", te.Field, jsonKind(te.Type.Kind().String()))
		}
		return "The request body must be a JSON object."
	case errors.As(err, &se), errors.Is(err, io.ErrUnexpectedEOF):
		return "The request body is not valid JSON."
	case len(err.Error()) > 0 && errors.Unwrap(err) == nil && startsWith(err.Error(), "json: unknown field "):
		return "Unknown field " + err.Error()[len("json: unknown field "):] + "."
	}
	return "The request body is not valid JSON."
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "string"
	case "bool":
		return "boolean (true or false)"
	case "int", "int64", "int32", "float64":
		return "number"
	case "slice":
		return "list"
	}
	return k
}

func startsWith(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }
