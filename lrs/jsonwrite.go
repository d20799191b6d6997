package lrs

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/valyala/fastjson"
)

// Everything Jejak writes as JSON from parsed values goes through AppendJSON
// and AppendJSONString: fastjson's own MarshalTo escapes strings the way Go
// quotes them (`\x01`, `\U000e0001`), which is not JSON, and a statement
// written that way could not be read back from the log.

// AppendJSON appends v to dst as RFC 8259 JSON: strings and keys escaped by
// AppendJSONString, numbers as their text, members and items in order.
//
// Like every read of a fastjson value, it unescapes strings and keys in
// place, so v must not be used concurrently.
func AppendJSON(dst []byte, v *fastjson.Value) []byte {
	dst, _ = appendJSON(dst, v, 0, false)
	return dst
}

// appendJSON is AppendJSON for v at depth; if bounded is set, it stops at
// the first object or array that breaks MaxObjectKeys, MaxArrayLen or
// MaxDepth and returns the problem with its path. The limits are checked
// while writing, so that a statement is walked once.
func appendJSON(dst []byte, v *fastjson.Value, depth int, bounded bool) ([]byte, *limitError) {
	switch v.Type() {
	case fastjson.TypeObject:
		o, _ := v.Object()
		if bounded {
			if err := checkShape(depth, o.Len(), true); err != nil {
				return dst, err
			}
		}
		dst = append(dst, '{')
		first := true
		var err *limitError
		o.Visit(func(k []byte, x *fastjson.Value) {
			if err != nil {
				return
			}
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = AppendJSONString(dst, k)
			dst = append(dst, ':')
			if dst, err = appendJSON(dst, x, depth+1, bounded); err != nil {
				err.rev = append(err.rev, seg{key: string(k), index: -1})
			}
		})
		return append(dst, '}'), err
	case fastjson.TypeArray:
		items, _ := v.Array()
		if bounded {
			if err := checkShape(depth, len(items), false); err != nil {
				return dst, err
			}
		}
		dst = append(dst, '[')
		for i, x := range items {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err *limitError
			if dst, err = appendJSON(dst, x, depth+1, bounded); err != nil {
				err.rev = append(err.rev, seg{index: i})
				return dst, err
			}
		}
		return append(dst, ']'), nil
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		return AppendJSONString(dst, b), nil
	default:
		// numbers as their text; true, false, null
		return v.MarshalTo(dst), nil
	}
}

// plainByte marks the ASCII bytes a JSON string holds as they are: not '"',
// not '\\', not a control character.
var plainByte = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

const hexDigits = "0123456789abcdef"

// AppendJSONString appends s to dst as a JSON string (RFC 8259, section 7):
// '"', '\\' and U+0000 … U+001F escaped (\b \f \n \r \t in their short forms,
// the others as \u00XX), every other character written as UTF-8. A byte
// that is not part of valid UTF-8 is written as U+FFFD: validation refuses
// such input, so only text written before it existed can have one.
func AppendJSONString[S ~string | ~[]byte](dst []byte, s S) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if plainByte[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		end := min(i+utf8.UTFMax, len(s))
		r, size := utf8.DecodeRuneInString(string(s[i:end]))
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// ValidateJSONText checks that b is JSON (RFC 8259, strictly) whose strings
// and keys are text JSON can carry (see checkJSONText). The EINVALID error
// names the path of the problem under root, e.g. "agent.name: …".
func ValidateJSONText(b []byte, root string) error {
	if err := fastjson.ValidateBytes(b); err != nil {
		return Errorf(EINVALID, "%s: not valid JSON: %v", root, err)
	}
	if path, problem, ok := checkJSONText(b); !ok {
		return Errorf(EINVALID, "%s: %s", formatPath(root, path), problem)
	}
	return nil
}

// checkJSONText finds the first string or key in the JSON text b, which
// fastjson.ValidateBytes has accepted, that JSON cannot carry as text
// (RFC 8259, section 8.2): one with bytes that are not UTF-8, or with a \u
// escape of a lone UTF-16 surrogate (`\ud800` not followed by a low
// surrogate, or a low surrogate alone). fastjson would keep such an escape
// as the six characters `\ud800`, so the statement served back would not be
// the one accepted. It returns the path of the value (segments of the root
// value outward) and the problem, or ok.
func checkJSONText(b []byte) (path []seg, problem string, ok bool) {
	if utf8.Valid(b) && !hasSurrogateEscape(b) {
		return nil, "", true
	}
	s := textScanner{b: b}
	problem = s.value()
	if problem == "" {
		return nil, "", true
	}
	return s.path, problem, false
}

// hasSurrogateEscape reports whether b may hold a \u escape of a surrogate
// (U+D800 … U+DFFF). It may also report an escaped backslash followed by
// "ud8…": the scanner then looks closer.
func hasSurrogateEscape(b []byte) bool {
	for {
		i := bytes.Index(b, []byte(`\u`))
		if i < 0 || i+4 > len(b) {
			return false
		}
		if c, d := b[i+2]|0x20, b[i+3]|0x20; c == 'd' && (d >= '8' && d <= '9' || d >= 'a' && d <= 'f') {
			return true
		}
		b = b[i+2:]
	}
}

// textScanner walks JSON text that is known to be well-formed, keeping the
// path of the value it is in.
type textScanner struct {
	b    []byte
	i    int
	path []seg
}

func (s *textScanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// value scans one value and returns the problem found in it, or "".
func (s *textScanner) value() string {
	s.space()
	if s.i >= len(s.b) {
		return ""
	}
	switch s.b[s.i] {
	case '{':
		s.i++
		for {
			s.space()
			if s.b[s.i] == '}' {
				s.i++
				return ""
			}
			if s.b[s.i] == ',' {
				s.i++
				s.space()
			}
			kstart := s.i + 1
			if p := s.str(); p != "" {
				return "a key " + p
			}
			key := string(s.b[kstart : s.i-1])
			s.space()
			s.i++ // ':'
			s.path = append(s.path, seg{key: key, index: -1})
			if p := s.value(); p != "" {
				return p
			}
			s.path = s.path[:len(s.path)-1]
		}
	case '[':
		s.i++
		for n := 0; ; n++ {
			s.space()
			if s.b[s.i] == ']' {
				s.i++
				return ""
			}
			if s.b[s.i] == ',' {
				s.i++
			}
			s.path = append(s.path, seg{index: n})
			if p := s.value(); p != "" {
				return p
			}
			s.path = s.path[:len(s.path)-1]
		}
	case '"':
		return s.str()
	default:
		for s.i < len(s.b) && !strings.ContainsRune(",]} \t\n\r", rune(s.b[s.i])) {
			s.i++
		}
		return ""
	}
}

// str scans a string starting at its opening quote and returns its
// problem, or "".
func (s *textScanner) str() string {
	s.i++
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return ""
		case c == '\\':
			if s.b[s.i+1] != 'u' {
				s.i += 2
				continue
			}
			r := hex4(s.b[s.i+2 : s.i+6])
			switch {
			case r >= 0xdc00 && r <= 0xdfff:
				return "holds " + string(s.b[s.i:s.i+6]) + ", a lone UTF-16 low surrogate, which is not a character"
			case r >= 0xd800 && r <= 0xdbff:
				next := s.b[s.i+6:]
				if len(next) < 6 || next[0] != '\\' || next[1] != 'u' {
					return "holds " + string(s.b[s.i:s.i+6]) + ", a UTF-16 high surrogate without its low surrogate, which is not a character"
				}
				if lo := hex4(next[2:6]); lo < 0xdc00 || lo > 0xdfff {
					return "holds " + string(s.b[s.i:s.i+6]) + ", a UTF-16 high surrogate without its low surrogate, which is not a character"
				}
				s.i += 12
			default:
				s.i += 6
			}
		case c < utf8.RuneSelf:
			s.i++
		default:
			r, size := utf8.DecodeRune(s.b[s.i:])
			if r == utf8.RuneError && size == 1 {
				return "must be valid UTF-8 (byte 0x" + strconv.FormatUint(uint64(c), 16) + " is not)"
			}
			s.i += size
		}
	}
	return ""
}

// hex4 decodes four hex digits, already validated.
func hex4(b []byte) rune {
	var r rune
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c|0x20 >= 'a' && c|0x20 <= 'f':
			r = r<<4 | rune(c|0x20-'a'+10)
		}
	}
	return r
}
