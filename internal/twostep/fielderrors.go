package twostep

import (
	"errors"
	"strings"
)

// FieldErrors is several input errors found at once, one per field, so a form
// can show them all (the first is the one an API caller gets as its error).
type FieldErrors []*Error

func (fe FieldErrors) Error() string {
	parts := make([]string, len(fe))
	for i, e := range fe {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// Unwrap lets errors.As find the first *Error.
func (fe FieldErrors) Unwrap() []error {
	out := make([]error, len(fe))
	for i, e := range fe {
		out[i] = e
	}
	return out
}

// checks collects input errors; a non-*Error (a failure of ours) is kept apart
// and wins, since the input cannot be judged then.
type checks struct {
	found  FieldErrors
	failed error
}

// add records err if it is not nil.
func (c *checks) add(err error) {
	if err == nil {
		return
	}
	if all := AllErrors(err); all != nil {
		c.found = append(c.found, all...)
		return
	}
	if c.failed == nil {
		c.failed = err
	}
}

// err is nil, the one error found, or all of them.
func (c *checks) err() error {
	switch {
	case c.failed != nil:
		return c.failed
	case len(c.found) == 0:
		return nil
	case len(c.found) == 1:
		return c.found[0]
	}
	return c.found
}

// AllErrors lists the input errors in err: every one of FieldErrors, the one
// *Error, or none.
func AllErrors(err error) []*Error {
	var fe FieldErrors
	if errors.As(err, &fe) {
		return fe
	}
	var e *Error
	if errors.As(err, &e) {
		return []*Error{e}
	}
	return nil
}
