package lrs

import (
	"bytes"
	"strconv"
	"strings"
)

// Limits on the shape of one statement, checked by PrepareStatements as it
// writes the statement, before it is hashed or appended, so that the work a request causes (validation, hashing,
// the views' folds, every replay) stays in proportion to its size. No
// statement a learning tool writes comes near them: xAPI objects have at
// most a dozen properties, and extensions a few.
const (
	// MaxObjectKeys is the most properties one JSON object in a statement
	// may have (extensions and language maps included).
	MaxObjectKeys = 1000
	// MaxArrayLen is the most items one JSON array in a statement may
	// have (group members, context activities, interaction components,
	// arrays in extensions).
	MaxArrayLen = 10000
	// MaxDepth is how deeply objects and arrays may nest in a statement;
	// the statement itself is at depth 1.
	MaxDepth = 32
	// MaxValues is the most JSON values (objects, arrays, strings,
	// numbers, literals) one write request may hold, counted before it is
	// parsed: the parser's memory grows with the number of values, not
	// bytes. A full 8 MiB batch of typical statements holds a tenth of it.
	MaxValues = 500_000
)

// valueBound returns a bound on the number of JSON values in the JSON text
// b: each value is the root, or follows '[', '{' or ','. The bytes are
// counted outside strings only when counting them all gives more than
// MaxValues, so a typical body costs three vectorised counts.
func valueBound(b []byte) int {
	n := 1 + bytes.Count(b, []byte{','}) + bytes.Count(b, []byte{'['}) + bytes.Count(b, []byte{'{'})
	if n <= MaxValues {
		return n
	}
	n = 1
	in := false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case in:
			switch c {
			case '\\':
				i++
			case '"':
				in = false
			}
		case c == '"':
			in = true
		case c == ',' || c == '[' || c == '{':
			n++
		}
	}
	return n
}

// checkShape checks an object (with n properties) or an array (with n
// items) at depth against MaxObjectKeys, MaxArrayLen and MaxDepth.
func checkShape(depth, n int, object bool) *limitError {
	switch {
	case depth > MaxDepth:
		return &limitError{rule: "objects and arrays may nest at most " + strconv.Itoa(MaxDepth) + " deep (the depth limit)"}
	case object && n > MaxObjectKeys:
		return &limitError{rule: "an object may have at most " + strconv.Itoa(MaxObjectKeys) + " properties (the object keys limit), this one has " + strconv.Itoa(n)}
	case !object && n > MaxArrayLen:
		return &limitError{rule: "an array may have at most " + strconv.Itoa(MaxArrayLen) + " items (the array length limit), this one has " + strconv.Itoa(n)}
	}
	return nil
}

// limitError is a broken limit: the rule, and the path of the value from
// the inside out.
type limitError struct {
	rule string
	rev  []seg
}

// formatPath writes a JSON path the way validation errors name it:
// properties dot-separated, indexes in brackets, after root.
func formatPath(root string, segs []seg) string {
	var b strings.Builder
	b.WriteString(root)
	for _, s := range segs {
		if s.index >= 0 {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.index))
			b.WriteByte(']')
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.key)
	}
	if b.Len() == 0 {
		return "statement"
	}
	return b.String()
}
