package lrs

import (
	"regexp"
)

// Version is the xAPI version a request speaks, negotiated per request from
// the X-Experience-API-Version header.
type Version int

const (
	V1 Version = 1 // xAPI 1.0.x (1.0.0 … 1.0.3)
	V2 Version = 2 // xAPI 2.0.x (IEEE 9274.1.1)
)

// Versions lists every version served, newest patch of each, as /about reports them.
var Versions = []string{"1.0.3", "2.0.0"}

// Newest is the newest version served: the version a response states when
// the request names none that is served (2.0.0 9274.1.1 4.1.7: the header
// is on every response, set to the latest patch version).
const Newest = V2

var versionHeader = regexp.MustCompile(`^(1\.0(\.\d+)?|2\.0(\.\d+)?)$`)

// ParseVersion reads an X-Experience-API-Version header value.
// It returns EINVALID for a missing or unsupported value.
func ParseVersion(h string) (Version, error) {
	if h == "" {
		return 0, Errorf(EINVALID, "missing X-Experience-API-Version header (supported: 1.0.x, 2.0.x)")
	}
	if !versionHeader.MatchString(h) {
		return 0, Errorf(EINVALID, "unsupported X-Experience-API-Version %q (supported: 1.0.x, 2.0.x)", h)
	}
	if h[0] == '2' {
		return V2, nil
	}
	return V1, nil
}

// String returns the version this LRS answers with for v.
func (v Version) String() string {
	if v == V2 {
		return "2.0.0"
	}
	return "1.0.3"
}
