package api

import (
	"mime"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/jejak-id/jejak/lrs"
)

// readStatements reads the statements of a PUT or POST body: plain
// application/json.
func (s *Server) readStatements(c echo.Context) ([]byte, error) {
	ct := c.Request().Header.Get("Content-Type")
	if ct == "" {
		return nil, lrs.Errorf(lrs.EINVALID, "missing Content-Type: statements are sent as application/json")
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return nil, lrs.Errorf(lrs.EINVALID, "malformed Content-Type %q: %v", ct, err)
	}
	switch mt {
	case "application/json":
		return s.readBody(c)
	case "multipart/mixed":
		return nil, lrs.Errorf(lrs.EINVALID, "statements with attachments (multipart/mixed) are not accepted yet")
	default:
		return nil, lrs.Errorf(lrs.EINVALID, "Content-Type %q is not accepted: statements are sent as application/json", mt)
	}
}

// respondStatements writes a GET answer: body is one statement or a
// StatementResult, stmts the statements in it.
func (s *Server) respondStatements(c echo.Context, body []byte, stmts []lrs.StoredStatement) error {
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, body)
}
