package headers

import (
	"strings"
	"time"
)

// cookieDate reads an Expires value with the algorithm of RFC 6265 section
// 5.1.1, which browsers use: the tokens between delimiters are taken, in any
// order, as the first time (hh:mm:ss), day of month, month name and year found.
func cookieDate(s string) (time.Time, bool) {
	var (
		hour, minute, second, day, month, year int
		haveTime, haveDay, haveMonth, haveYear bool
	)
	for _, tok := range strings.FieldsFunc(s, isDateDelimiter) {
		switch {
		case !haveTime && parseTime(tok, &hour, &minute, &second):
			haveTime = true
		case !haveDay && leadingNumber(tok, 1, 2, &day):
			haveDay = true
		case !haveMonth && parseMonth(tok, &month):
			haveMonth = true
		case !haveYear && leadingNumber(tok, 2, 4, &year):
			haveYear = true
		}
	}
	if !haveTime || !haveDay || !haveMonth || !haveYear {
		return time.Time{}, false
	}
	switch {
	case year >= 70 && year <= 99:
		year += 1900
	case year <= 69:
		year += 2000
	}
	if day < 1 || day > 31 || year < 1601 || hour > 23 || minute > 59 || second > 59 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, second, 0, time.UTC)
	if t.Day() != day { // a day the month does not have, such as 31 Feb
		return time.Time{}, false
	}
	return t, true
}

// isDateDelimiter is the delimiter of RFC 6265 section 5.1.1: %x09, %x20-2F,
// %x3B-40, %x5B-60 and %x7B-7E.
func isDateDelimiter(r rune) bool {
	return r == 0x09 || 0x20 <= r && r <= 0x2f || 0x3b <= r && r <= 0x40 ||
		0x5b <= r && r <= 0x60 || 0x7b <= r && r <= 0x7e
}

// leadingNumber reads the digits tok begins with into n when there are from
// lo to hi of them (and anything but a digit after them).
func leadingNumber(tok string, lo, hi int, n *int) bool {
	i := leadingDigits(tok)
	if i < lo || i > hi {
		return false
	}
	v := 0
	for _, c := range tok[:i] {
		v = v*10 + int(c-'0')
	}
	*n = v
	return true
}

// leadingDigits counts the ASCII digits s begins with.
func leadingDigits(s string) int {
	i := 0
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	return i
}

// parseTime reads a token that begins hh:mm:ss, each field one or two digits.
func parseTime(tok string, hour, minute, second *int) bool {
	h, rest, ok := strings.Cut(tok, ":")
	if !ok || leadingDigits(h) != len(h) || !leadingNumber(h, 1, 2, hour) {
		return false
	}
	m, rest, ok := strings.Cut(rest, ":")
	if !ok || leadingDigits(m) != len(m) || !leadingNumber(m, 1, 2, minute) {
		return false
	}
	return leadingNumber(rest, 1, 2, second)
}

// parseMonth reads a token that begins with an English month's first three
// letters, in any case.
func parseMonth(tok string, month *int) bool {
	if len(tok) < 3 {
		return false
	}
	i := strings.Index("janfebmaraprmayjunjulaugsepoctnovdec", lowerASCII(tok[:3]))
	if i < 0 || i%3 != 0 {
		return false
	}
	*month = i/3 + 1
	return true
}
