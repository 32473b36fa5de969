package token

import (
	"fmt"
	"regexp"
)

var (
	// jwtPattern matches a JWT-looking substring: three or more base64url
	// segments (padding tolerated), the first starting with "eyJ" (the
	// base64url of `{"`). The second and third may be empty (alg none).
	jwtPattern = regexp.MustCompile(`eyJ[A-Za-z0-9_-]*=*\.[A-Za-z0-9_-]*=*\.[A-Za-z0-9_-]*=*(?:\.[A-Za-z0-9_-]+=*)*`)
	// jwtParamPattern matches the value of a jwt= query or form parameter.
	jwtParamPattern = regexp.MustCompile(`(?i)(\bjwt=)([^&#\s"'<>]+)`)
	// authPattern matches the credentials of an Authorization header with the
	// JWT or Bearer scheme.
	authPattern = regexp.MustCompile(`(?i)(\bauthorization"?\s*[:=]\s*"?(?:jwt|bearer)\s+)([^\s"',;<>]+)`)
	// algPattern is what Redact is willing to print as an algorithm name.
	algPattern = regexp.MustCompile(`^[A-Za-z0-9_+-]{1,20}$`)
)

// maxRedactHeader bounds the header segment Redact decodes to name the alg.
const maxRedactHeader = 4 << 10

// Redact returns s with every token replaced by a short description, for
// evidence and logs: tokens must never appear in reports.
//
// It replaces every JWT-looking substring (three base64url segments, the
// first starting with "eyJ") by "<jwt:ALG redacted, N bytes>", naming the
// alg from the token's header when the header decodes, else by
// "<jwt redacted, N bytes>"; then the value of any jwt= parameter that is
// left, whatever it looks like, by "<jwt redacted, N bytes>"; then the
// credentials of an "Authorization: JWT ..." or "Authorization: Bearer ..."
// header that are left by "<token redacted, N bytes>". N is the length of the
// replaced text. It errs on the side of redacting too much.
func Redact(s string) string {
	s = jwtPattern.ReplaceAllStringFunc(s, describe)
	s = replaceValue(jwtParamPattern, s, "jwt")
	return replaceValue(authPattern, s, "token")
}

// replaceValue replaces the second group of every match of re in s by a
// description naming what.
func replaceValue(re *regexp.Regexp, s, what string) string {
	return re.ReplaceAllStringFunc(s, func(m string) string {
		sub := re.FindStringSubmatchIndex(m)
		if sub == nil {
			return m
		}
		return m[:sub[4]] + fmt.Sprintf("<%s redacted, %d bytes>", what, len(m)-sub[4])
	})
}

// describe returns the redacted description of a JWT-looking string.
func describe(tok string) string {
	if alg := headerAlg(tok); alg != "" {
		return fmt.Sprintf("<jwt:%s redacted, %d bytes>", alg, len(tok))
	}
	return fmt.Sprintf("<jwt redacted, %d bytes>", len(tok))
}

// headerAlg returns the alg of tok's header if the header decodes and the
// alg is a short plain name, else "".
func headerAlg(tok string) string {
	end := 0
	for end < len(tok) && tok[end] != '.' {
		end++
	}
	if end > maxRedactHeader {
		return ""
	}
	h, err := decodeObject(tok[:end])
	if err != nil {
		return ""
	}
	alg, _ := h["alg"].(string)
	if !algPattern.MatchString(alg) {
		return ""
	}
	return alg
}
