package lrs

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to exactly one HTTP status in package api.
const (
	EINVALID      = "invalid"                // 400: the request or a statement breaks a rule
	EUNAUTHORIZED = "unauthorized"           // 401: no or bad credentials
	EFORBIDDEN    = "forbidden"              // 403: credentials valid but not allowed
	ENOTFOUND     = "not_found"              // 404
	ECONFLICT     = "conflict"               // 409: same id, different content
	EPRECONDITION = "precondition_failed"    // 412
	ETOOLARGE     = "too_large"              // 413
	EMEDIATYPE    = "unsupported_media_type" // 415: a body of a type the resource does not take
	ETOOMANY      = "too_many_requests"      // 429 with Retry-After: too many failed attempts or readers
	EUNAVAILABLE  = "unavailable"            // 500 with Retry-After: the log or a view is not reachable
	ENOTDECIDED   = "not_decided"            // 503 with Retry-After: no node could decide the write in time
	EINTERNAL     = "internal"               // 500: our fault; details are logged, never shown
)

// Error is the application error. Message is safe to show to the client.
type Error struct {
	Code    string
	Message string
	Err     error // optional cause, never shown to clients
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Internal wraps err as an EINTERNAL error; the message names the operation.
func Internal(op string, err error) *Error {
	return &Error{Code: EINTERNAL, Message: "internal error", Err: fmt.Errorf("%s: %w", op, err)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	default:
		return EINTERNAL
	}
}

// ErrorMessage returns the client-safe message of err.
func ErrorMessage(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e) && e.Code != EINTERNAL:
		return e.Message
	default:
		return "internal error"
	}
}
