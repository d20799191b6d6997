package bangkom

import (
	"fmt"
	"time"
)

// NIP is an 18-digit Nomor Induk Pegawai: birth date YYYYMMDD, first
// appointment YYYYMM, sex (1 male, 2 female), a 3-digit sequence.
type NIP string

// ParseNIP checks the NIP's structure (domain brief §6.1). It carries no
// checksum, so only its parts can be checked: a real birth date, an
// appointment month after the birth month, and the sex digit.
func ParseNIP(s string) (NIP, error) {
	if len(s) != 18 {
		return "", fmt.Errorf("NIP %q: must be 18 digits, has %d characters", s, len(s))
	}
	for i := 0; i < 18; i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", fmt.Errorf("NIP %q: character %d is not a digit", s, i+1)
		}
	}
	birth, err := time.Parse("20060102", s[:8])
	if err != nil {
		return "", fmt.Errorf("NIP %q: digits 1-8 (%s) are not a valid birth date", s, s[:8])
	}
	appointed, err := time.Parse("200601", s[8:14])
	if err != nil {
		return "", fmt.Errorf("NIP %q: digits 9-14 (%s) are not a valid appointment year and month", s, s[8:14])
	}
	if !appointed.After(time.Date(birth.Year(), birth.Month(), 1, 0, 0, 0, 0, time.UTC)) {
		return "", fmt.Errorf("NIP %q: appointment %s is not after birth %s", s, s[8:14], s[:8])
	}
	if s[14] != '1' && s[14] != '2' {
		return "", fmt.Errorf("NIP %q: digit 15 (sex) must be 1 or 2, is %c", s, s[14])
	}
	return NIP(s), nil
}
