package lrs

import (
	"time"
	"unicode/utf8"
)

// This file holds the string-format checks of xAPI's special data types
// (xAPI-Data.md section 4: UUIDs, IRIs, timestamps, durations, language tags)
// and of a few property formats (mailto IRIs, SHA-1 and SHA-2 hex digests,
// Internet media types). Each check is written once as a generic function so
// that the statement validator can run it on the bytes fastjson hands out
// without converting them to strings, and is exported for string callers.

// text is the set of types the format checks accept.
type text interface{ ~string | ~[]byte }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isAlpha(c byte) bool { c |= 0x20; return 'a' <= c && c <= 'z' }
func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }

func isHex(c byte) bool {
	return isDigit(c) || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

// IsUUID reports whether s is a UUID in the standard string form of RFC 4122
// (8-4-4-4-12 hexadecimal digits, either case) with the RFC 4122 variant bits
// (10xx) and a version from 1 to 8 (XAPI-00027, XAPI-00029, XAPI-00030).
//
// Versions 6 to 8 come from RFC 9562, which updates RFC 4122; accepting them
// lets clients use time-ordered UUIDv7 statement ids. The nil UUID is
// rejected: it has neither a version nor the variant.
func IsUUID(s string) bool { return isUUID(s) }

func isUUID[T text](s T) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return false
			}
		default:
			if !isHex(s[i]) {
				return false
			}
		}
	}
	if s[14] < '1' || s[14] > '8' {
		return false
	}
	switch s[19] {
	case '8', '9', 'a', 'b', 'A', 'B':
		return true
	}
	return false
}

// IsIRI reports whether s is an absolute IRI (RFC 3987): a scheme, a colon
// and a non-empty remainder without spaces, control characters or the
// characters RFC 3987 excludes (<>"{}|\^`), where every '%' starts a
// percent-encoded octet and at most one '#' starts the fragment. http and
// https IRIs (IRLs) must also name a host. s must be valid UTF-8.
//
// This is the best-effort validation xAPI-Data.md section 2.2 allows; it is
// what XAPI-00011 needs (no IRI or IRL without a scheme).
func IsIRI(s string) bool { return utf8.ValidString(s) && isIRI(s) }

func isIRI[T text](s T) bool {
	if len(s) == 0 || !isAlpha(s[0]) {
		return false
	}
	i := 1
	for ; i < len(s) && s[i] != ':'; i++ {
		c := s[i]
		if !isAlnum(c) && c != '+' && c != '-' && c != '.' {
			return false
		}
	}
	if i+1 >= len(s) { // no colon, or nothing after it
		return false
	}
	scheme, rest := s[:i], s[i+1:]
	hashes := 0
	for j := 0; j < len(rest); j++ {
		switch iriClass[rest[j]] {
		case iriOK:
		case iriHash:
			if hashes++; hashes > 1 {
				return false
			}
		case iriPercent:
			if j+2 >= len(rest) || !isHex(rest[j+1]) || !isHex(rest[j+2]) {
				return false
			}
		default:
			return false
		}
	}
	if equalFold(scheme, "http") || equalFold(scheme, "https") {
		// hier-part = "//" authority path; the host must not be empty.
		if len(rest) < 3 || rest[0] != '/' || rest[1] != '/' {
			return false
		}
		host := rest[2:]
		for j := 0; j < len(host); j++ { // skip userinfo
			if c := host[j]; c == '@' {
				host = host[j+1:]
				break
			} else if c == '/' || c == '?' || c == '#' {
				break
			}
		}
		if len(host) == 0 || host[0] == '/' || host[0] == '?' || host[0] == '#' || host[0] == ':' {
			return false
		}
	}
	return true
}

// Byte classes of IRI characters after the scheme.
const (
	iriOK      = iota // allowed as is; bytes of non-ASCII characters included
	iriBad            // space, control characters, <>"{}|\^`
	iriHash           // '#', which starts the fragment
	iriPercent        // '%', which starts a percent-encoded octet
)

// iriClass maps each byte to its class. It is never written after
// initialization.
var iriClass = func() (t [256]uint8) {
	for c := 0; c <= 0x20; c++ {
		t[c] = iriBad
	}
	t[0x7f] = iriBad
	for _, c := range []byte("<>\"{}|\\^`") {
		t[c] = iriBad
	}
	t['#'] = iriHash
	t['%'] = iriPercent
	return t
}()

// isURI is isIRI restricted to ASCII (RFC 3986), for openid (XAPI-00040).
func isURI[T text](s T) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return isIRI(s)
}

// equalFold reports whether s equals the lower-case ASCII string lower,
// ignoring ASCII case.
func equalFold[T text](s T, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// isMailtoIRI reports whether s is "mailto:" followed by one e-mail address
// (XAPI-00038). The check is best effort: a non-empty local part and a domain
// of non-empty dot-separated labels (or an address literal in brackets),
// without whitespace, control characters, a second address or header fields.
// Quoted local parts containing '@' are not supported.
func isMailtoIRI[T text](s T) bool {
	const prefix = "mailto:"
	if len(s) <= len(prefix) || !hasPrefix(s, prefix) {
		return false
	}
	addr := s[len(prefix):]
	at := -1
	for i := 0; i < len(addr); i++ {
		switch c := addr[i]; c {
		case '@':
			if at >= 0 {
				return false
			}
			at = i
		case ' ', '<', '>', '(', ')', '\\', ',', ';', ':', '"', '?', '&', '=', '#', 0x7f:
			return false
		default:
			if c < 0x20 {
				return false
			}
		}
	}
	if at <= 0 || at == len(addr)-1 {
		return false
	}
	domain := addr[at+1:]
	if domain[0] == '[' {
		return len(domain) > 2 && domain[len(domain)-1] == ']'
	}
	label := 0
	for i := 0; i < len(domain); i++ {
		switch c := domain[i]; {
		case c == '.':
			if label == 0 {
				return false
			}
			label = 0
		case isAlnum(c) || c == '-' || c == '_' || c >= utf8.RuneSelf:
			label++
		default:
			return false
		}
	}
	return label > 0
}

// hasPrefix reports whether s begins with prefix.
func hasPrefix[T text](s T, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		if s[i] != prefix[i] {
			return false
		}
	}
	return true
}

// isHexString reports whether s is made of n hexadecimal digits.
func isHexString[T text](s T, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return false
		}
	}
	return true
}

// isSHA2 reports whether s is the hex encoding of a SHA-224, SHA-256,
// SHA-384 or SHA-512 digest (XAPI-00103).
func isSHA2[T text](s T) bool {
	switch len(s) {
	case 56, 64, 96, 128:
		return isHexString(s, len(s))
	}
	return false
}

func isTokenChar(c byte) bool {
	if isAlnum(c) {
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}

// token returns the length of the RFC 7230 token at the start of s.
func token[T text](s T) int {
	n := 0
	for n < len(s) && isTokenChar(s[n]) {
		n++
	}
	return n
}

// isMediaType reports whether s is an Internet media type (RFC 2046, syntax
// of RFC 7231 section 3.1.1.1): type "/" subtype *( OWS ";" OWS name "=" value ),
// where value is a token or a quoted string (XAPI-00105).
func isMediaType[T text](s T) bool {
	n := token(s)
	if n == 0 || n >= len(s) || s[n] != '/' {
		return false
	}
	s = s[n+1:]
	n = token(s)
	if n == 0 {
		return false
	}
	s = s[n:]
	for {
		s = trimOWS(s)
		if len(s) == 0 {
			return true
		}
		if s[0] != ';' {
			return false
		}
		s = trimOWS(s[1:])
		if n = token(s); n == 0 || n >= len(s) || s[n] != '=' {
			return false
		}
		s = s[n+1:]
		if len(s) > 0 && s[0] == '"' {
			i := 1
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' {
					i++
				} else if s[i] < 0x20 && s[i] != '\t' || s[i] == 0x7f {
					return false
				}
			}
			if i >= len(s) {
				return false
			}
			s = s[i+1:]
		} else {
			if n = token(s); n == 0 {
				return false
			}
			s = s[n:]
		}
	}
}

func trimOWS[T text](s T) T {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	return s
}

// ParseTimestamp parses an xAPI Timestamp (xAPI-Data.md section 4.5,
// XAPI-00022, XAPI-00123): an ISO 8601 combined date and time in the
// extended (2015-11-18T12:17:00.123+01:00) or basic (20151118T121700Z)
// format, with hours and minutes, optional seconds and an optional decimal
// fraction of a second ('.' or ','). A time zone designator (Z or an offset
// of ±hh:mm, ±hhmm or ±hh) is required, as the xAPI 2.0 text makes the 1.0.3
// SHOULD* a SHALL; -00:00, RFC 3339's "unknown local offset", is rejected
// because it names no point in time. Dates and times must exist: month 13,
// February 30, hour 24 and leap second 60 are rejected. The result is in UTC.
//
// Statements sent with xAPI 2.0 are held to the narrower RFC 3339 profile
// (extended format, seconds present, ±hh:mm offsets); see ValidateStatement.
func ParseTimestamp(s string) (time.Time, error) {
	t, reason := parseTimestamp(s, false)
	if reason != "" {
		return time.Time{}, Errorf(EINVALID, "timestamp %q: %s", s, reason)
	}
	return t, nil
}

// parseTimestamp parses s as described for ParseTimestamp, or as an RFC 3339
// date-time if rfc3339 is set. It returns the reason s is invalid, or "".
func parseTimestamp[T text](s T, rfc3339 bool) (time.Time, string) {
	const bad = "not an ISO 8601 date and time with a time zone"
	p := 0
	num := func(n int) int { // reads n digits at p; -1 if there are none
		if p+n > len(s) {
			return -1
		}
		v := 0
		for i := p; i < p+n; i++ {
			if !isDigit(s[i]) {
				return -1
			}
			v = v*10 + int(s[i]-'0')
		}
		p += n
		return v
	}
	sep := func(c byte, ext bool) bool { // consumes c in extended format
		if !ext {
			return true
		}
		if p < len(s) && s[p] == c {
			p++
			return true
		}
		return false
	}
	year := num(4)
	if year < 0 {
		return time.Time{}, bad
	}
	ext := p < len(s) && s[p] == '-'
	if rfc3339 && !ext {
		return time.Time{}, "not an RFC 3339 date-time"
	}
	if !sep('-', ext) {
		return time.Time{}, bad
	}
	month := num(2)
	if month < 0 || !sep('-', ext) {
		return time.Time{}, bad
	}
	day := num(2)
	if day < 0 || p >= len(s) || (s[p] != 'T' && s[p] != 't') {
		return time.Time{}, bad
	}
	p++
	hour := num(2)
	if hour < 0 || !sep(':', ext) {
		return time.Time{}, bad
	}
	minute := num(2)
	if minute < 0 {
		return time.Time{}, bad
	}
	second, nsec := 0, 0
	if ext && p < len(s) && s[p] == ':' || !ext && p < len(s) && isDigit(s[p]) {
		sep(':', ext)
		if second = num(2); second < 0 {
			return time.Time{}, bad
		}
		if p < len(s) && (s[p] == '.' || s[p] == ',' && !rfc3339) {
			p++
			start := p
			for scale := 100000000; p < len(s) && isDigit(s[p]); p++ {
				nsec += int(s[p]-'0') * scale
				scale /= 10
			}
			if p == start {
				return time.Time{}, bad
			}
		}
	} else if rfc3339 {
		return time.Time{}, "not an RFC 3339 date-time (seconds are required)"
	}
	if p >= len(s) {
		return time.Time{}, "a time zone (Z or an offset) is required"
	}
	offset := 0
	switch s[p] {
	case 'Z', 'z':
		p++
	case '+', '-':
		neg := s[p] == '-'
		p++
		oh := num(2)
		om := 0
		if oh < 0 {
			return time.Time{}, bad
		}
		if p < len(s) || rfc3339 {
			// ISO 8601 wants ±hh:mm in the extended format and ±hhmm in the
			// basic one; outside RFC 3339 mode ±hhmm is also taken after an
			// extended date and time, as some clients send it.
			if p < len(s) && s[p] == ':' && ext {
				p++
			} else if rfc3339 || ext && (p >= len(s) || !isDigit(s[p])) {
				return time.Time{}, bad
			}
			if om = num(2); om < 0 {
				return time.Time{}, bad
			}
		}
		if oh > 23 || om > 59 {
			return time.Time{}, "time zone offset out of range"
		}
		if neg && oh == 0 && om == 0 {
			return time.Time{}, "the offset -00:00 (unknown local offset) is not allowed"
		}
		offset = (oh*60 + om) * 60
		if neg {
			offset = -offset
		}
	default:
		return time.Time{}, bad
	}
	if p != len(s) {
		return time.Time{}, bad
	}
	switch {
	case month < 1 || month > 12:
		return time.Time{}, "month out of range"
	case day < 1 || day > daysIn(month, year):
		return time.Time{}, "day out of range"
	case hour > 23:
		return time.Time{}, "hour out of range"
	case minute > 59:
		return time.Time{}, "minute out of range"
	case second > 59:
		return time.Time{}, "second out of range"
	}
	t := time.Date(year, time.Month(month), day, hour, minute, second, nsec, time.UTC)
	return t.Add(-time.Duration(offset) * time.Second), ""
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// IsDuration reports whether s is an ISO 8601:2004 section 4.4.3.2 duration
// (xAPI-Data.md section 4.6, XAPI-00077, XAPI-00124): "P" followed by
// years, months and days (nY nM nD) and, after "T", hours, minutes and seconds
// (nH nM nS), each optional but in that order and at least one present; or
// weeks alone (nW). The last component present may have a decimal fraction
// ('.' or ','). The alternative format (P0003-01-29T04:35:59) is rejected,
// as are signs and lower-case designators.
func IsDuration(s string) bool { return isDuration(s) }

func isDuration[T text](s T) bool {
	if len(s) < 3 || s[0] != 'P' {
		return false
	}
	const (
		dateOrder = "YMD"
		timeOrder = "HMS"
	)
	inTime, timeParts, parts, frac := false, 0, 0, false
	next := 0 // index into dateOrder or timeOrder of the next allowed designator
	weeks := false
	for p := 1; p < len(s); {
		if s[p] == 'T' {
			if inTime {
				return false
			}
			inTime, next = true, 0
			p++
			continue
		}
		if frac { // only the last component may have a fraction
			return false
		}
		start := p
		for p < len(s) && isDigit(s[p]) {
			p++
		}
		if p == start {
			return false
		}
		if p < len(s) && (s[p] == '.' || s[p] == ',') {
			p++
			start = p
			for p < len(s) && isDigit(s[p]) {
				p++
			}
			if p == start {
				return false
			}
			frac = true
		}
		if p >= len(s) {
			return false
		}
		d := s[p]
		p++
		parts++
		order := dateOrder
		if inTime {
			order = timeOrder
			timeParts++
		} else if d == 'W' {
			weeks = true
			continue
		}
		i := next
		for i < len(order) && order[i] != d {
			i++
		}
		if i == len(order) {
			return false
		}
		next = i + 1
	}
	if weeks && parts != 1 {
		return false
	}
	return parts > 0 && (!inTime || timeParts > 0)
}

// IsLanguageTag reports whether s is a well-formed RFC 5646 language tag
// (section 2.1 syntax; XAPI-00013, XAPI-00121): a primary language (2-3
// letters with up to three extended language subtags, or 4-8 letters), then
// optionally a script (4 letters), a region (2 letters or 3 digits), variants
// (5-8 alphanumerics, or a digit and 3 alphanumerics), extensions (a
// singleton other than x and subtags of 2-8 alphanumerics) and a private-use
// part (x and subtags of 1-8 alphanumerics); or a private-use tag alone, or
// one of the grandfathered tags. Case is ignored. Registry membership (is
// "qq" a language?) is not checked: the spec asks for well-formedness.
func IsLanguageTag(s string) bool { return isLanguageTag(s) }

// Parser states of isLanguageTag, named after what was read last.
const (
	ltStart      = iota // nothing yet
	ltLanguage          // primary language or extlang
	ltScript            // script
	ltRegion            // region
	ltVariant           // variant
	ltSingleton         // extension singleton, needs a subtag
	ltExtension         // extension subtag
	ltPrivate           // "x", needs a subtag
	ltPrivateSub        // private-use subtag
)

func isLanguageTag[T text](s T) bool {
	if len(s) == 0 {
		return false
	}
	for _, g := range grandfatheredTags {
		if equalFold(s, g) {
			return true
		}
	}
	state, extlangOK, extlangs := ltStart, false, 0
	for p := 0; p <= len(s); {
		q := p
		alpha, digit := true, true
		for q < len(s) && s[q] != '-' {
			if !isAlnum(s[q]) {
				return false
			}
			alpha = alpha && isAlpha(s[q])
			digit = digit && isDigit(s[q])
			q++
		}
		n := q - p
		if n == 0 || n > 8 {
			return false
		}
		single := n == 1
		x := single && (s[p] == 'x' || s[p] == 'X')
		switch {
		case state == ltStart:
			switch {
			case x:
				state = ltPrivate
			case alpha && n >= 2:
				state, extlangOK = ltLanguage, n <= 3
			default:
				return false
			}
		case state == ltPrivate || state == ltPrivateSub:
			state = ltPrivateSub
		case state == ltSingleton:
			if n < 2 {
				return false
			}
			state = ltExtension
		case x:
			state = ltPrivate
		case single:
			state = ltSingleton
		case state == ltExtension:
			// n >= 2: another subtag of the same extension.
		case state == ltLanguage && extlangOK && alpha && n == 3 && extlangs < 3:
			extlangs++
		case state <= ltLanguage && alpha && n == 4:
			state = ltScript
		case state <= ltScript && (alpha && n == 2 || digit && n == 3):
			state = ltRegion
		case n >= 5 || n == 4 && isDigit(s[p]):
			state = ltVariant
		default:
			return false
		}
		if q == len(s) {
			break
		}
		p = q + 1
		if p == len(s) { // trailing '-'
			return false
		}
	}
	return state != ltStart && state != ltSingleton && state != ltPrivate
}

// grandfatheredTags lists RFC 5646's grandfathered tags in lower case.
var grandfatheredTags = [...]string{
	"en-gb-oed", "i-ami", "i-bnn", "i-default", "i-enochian", "i-hak",
	"i-klingon", "i-lux", "i-mingo", "i-navajo", "i-pwn", "i-tao", "i-tay",
	"i-tsu", "sgn-be-fr", "sgn-be-nl", "sgn-ch-de",
	"art-lojban", "cel-gaulish", "no-bok", "no-nyn", "zh-guoyu", "zh-hakka",
	"zh-min", "zh-min-nan", "zh-xiang",
}
