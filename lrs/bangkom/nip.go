package bangkom

import (
	"fmt"
	"time"
)

// NIP is an 18-digit Nomor Induk Pegawai (PNS) or Nomor Induk PPPK: birth
// date YYYYMMDD, then the appointment year YYYY, then two digits that are
// the appointment month in a PNS's NIP and a type code in a PPPK's NI,
// then sex (1 male, 2 female) and a 3-digit sequence.
type NIP string

// The layouts of digits 13-14.
const (
	// LayoutPNS is the NIP PNS: digits 13-14 are the month of first
	// appointment, 01-12.
	LayoutPNS = "PNS"
	// LayoutPPPK is the NI PPPK: digits 13-14 are a type code. Public
	// examples show 21 (PPPK) and 24 (PPPK paruh waktu); the BKN rule that
	// lists the codes was not available, so every code that cannot be a
	// month, 13-99, is accepted (MinPPPKCode).
	LayoutPPPK = "PPPK"

	// MinPPPKCode is the lowest type code of the NI PPPK layout: 01-12 read
	// as a month (the PNS layout), 00 is neither.
	MinPPPKCode = 13
)

// ParseNIP checks the structure of a NIP or NI PPPK (domain brief §6.1)
// without knowing whose it is: either layout is accepted. It carries no
// checksum, so only its parts can be checked: a real birth date, an
// appointment after the birth, digits 13-14 a month (NIP PNS) or a type
// code 13-99 (NI PPPK), and the sex digit. ParseNIPFor checks it against
// an employee type.
func ParseNIP(s string) (NIP, error) {
	n, _, err := parseNIP(s)
	return n, err
}

// ParseNIPFor checks s as the number of an employee of type typ (PNS or
// PPPK): a PNS's NIP must have the PNS layout (digits 13-14 a month); a
// PPPK's NI may have either layout (the type code, or a month as in a NIP).
// Any other type is checked as ParseNIP does.
func ParseNIPFor(s, typ string) (NIP, error) {
	n, layout, err := parseNIP(s)
	if err != nil {
		return "", err
	}
	if typ == PNS && layout != LayoutPNS {
		return "", fmt.Errorf("NIP %q: digits 13-14 (%s) are not an appointment month 01-12, as the NIP PNS layout needs; %s is a type code of the NI PPPK layout, and the person is registered as PNS", s, s[12:14], s[12:14])
	}
	return n, nil
}

// NIPLayout returns the layout of a NIP that ParseNIP accepted: LayoutPNS
// when digits 13-14 are a month, else LayoutPPPK.
func NIPLayout(n NIP) string {
	if len(n) == 18 && pppkCode(string(n)) {
		return LayoutPPPK
	}
	return LayoutPNS
}

func pppkCode(s string) bool {
	code := int(s[12]-'0')*10 + int(s[13]-'0')
	return code >= MinPPPKCode
}

func parseNIP(s string) (NIP, string, error) {
	if len(s) != 18 {
		return "", "", fmt.Errorf("NIP %q: must be 18 digits, has %d characters", s, len(s))
	}
	for i := 0; i < 18; i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", "", fmt.Errorf("NIP %q: character %d is not a digit", s, i+1)
		}
	}
	birth, err := time.Parse("20060102", s[:8])
	if err != nil {
		return "", "", fmt.Errorf("NIP %q: digits 1-8 (%s) are not a valid birth date", s, s[:8])
	}
	if s[12:14] == "00" {
		return "", "", fmt.Errorf("NIP %q: digits 13-14 (00) are neither an appointment month 01-12 (NIP PNS layout) nor a type code %d-99 (NI PPPK layout)", s, MinPPPKCode)
	}
	layout := LayoutPNS
	if pppkCode(s) {
		layout = LayoutPPPK
		year, _ := time.Parse("2006", s[8:12])
		if year.Year() <= birth.Year() {
			return "", "", fmt.Errorf("NIP %q: appointment year %s (digits 9-12, NI PPPK layout with type code %s) is not after the birth year %s", s, s[8:12], s[12:14], s[:4])
		}
	} else {
		appointed, _ := time.Parse("200601", s[8:14])
		if !appointed.After(time.Date(birth.Year(), birth.Month(), 1, 0, 0, 0, 0, time.UTC)) {
			return "", "", fmt.Errorf("NIP %q: appointment %s (digits 9-14, NIP PNS layout) is not after birth %s", s, s[8:14], s[:8])
		}
	}
	if s[14] != '1' && s[14] != '2' {
		return "", "", fmt.Errorf("NIP %q: digit 15 (sex) must be 1 or 2, is %c", s, s[14])
	}
	return NIP(s), layout, nil
}
