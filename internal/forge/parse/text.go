package parse

import (
	"bytes"
	"html"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/ecoscan/ecoscan/internal/forge/ast"
)

// lineIndex turns byte offsets into positions the way tree-sitter counts
// them: rows end at '\n', columns count bytes.
type lineIndex struct {
	starts []uint32 // the offset where each line starts
	last   int      // the line of the previous lookup: lookups mostly move forward
}

func newLineIndex(src []byte) lineIndex {
	starts := make([]uint32, 1, 1+len(src)/32)
	for off := 0; ; {
		i := bytes.IndexByte(src[off:], '\n')
		if i < 0 {
			break
		}
		off += i + 1
		starts = append(starts, uint32(off))
	}
	return lineIndex{starts: starts}
}

// pos is the position of a byte offset.
func (li *lineIndex) pos(off uint32) ast.Pos {
	l := li.last
	switch {
	case off >= li.starts[l] && (l+1 == len(li.starts) || off < li.starts[l+1]):
	case l+1 < len(li.starts) && off >= li.starts[l+1] && (l+2 == len(li.starts) || off < li.starts[l+2]):
		l++
	default:
		l = sort.Search(len(li.starts), func(i int) bool { return li.starts[i] > off }) - 1
	}
	li.last = l
	return ast.Pos{Line: l + 1, Col: int(off-li.starts[l]) + 1}
}

// decodeString decodes the escapes of a string literal's or a template
// quasi's text (without quotes): \n and the other single-character escapes,
// legacy octal escapes, \xNN, \uNNNN (surrogate pairs joined), \u{...}, line
// continuations, and \c for any other c. A malformed escape is kept as
// written. In templates, CR and CRLF read as LF, as the language says.
func decodeString(raw []byte, template bool) string {
	if bytes.IndexByte(raw, '\\') < 0 && (!template || bytes.IndexByte(raw, '\r') < 0) {
		return string(raw)
	}
	var b strings.Builder
	b.Grow(len(raw))
	for i := 0; i < len(raw); {
		c := raw[i]
		if c == '\r' && template {
			b.WriteByte('\n')
			i++
			if i < len(raw) && raw[i] == '\n' {
				i++
			}
			continue
		}
		if c != '\\' || i+1 >= len(raw) {
			b.WriteByte(c)
			i++
			continue
		}
		e := raw[i+1]
		i += 2
		switch e {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'v':
			b.WriteByte('\v')
		case '\n':
			// line continuation
		case '\r':
			if i < len(raw) && raw[i] == '\n' {
				i++
			}
		case 'x':
			if v, ok := hexValue(raw, i, 2); ok {
				b.WriteRune(rune(v))
				i += 2
			} else {
				b.WriteString(`\x`)
			}
		case 'u':
			r, n := unicodeEscape(raw, i)
			if n == 0 {
				b.WriteString(`\u`)
				break
			}
			i += n
			if utf16IsHigh(r) && i+1 < len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
				if lo, m := unicodeEscape(raw, i+2); m > 0 && utf16IsLow(lo) {
					r = (r-0xD800)<<10 + (lo - 0xDC00) + 0x10000
					i += 2 + m
				}
			}
			b.WriteRune(r) // a lone surrogate becomes U+FFFD
		case '0', '1', '2', '3', '4', '5', '6', '7':
			// \0, or a legacy octal escape of up to three digits (value < 256)
			v := int(e - '0')
			for n := 1; n < 3 && i < len(raw) && raw[i] >= '0' && raw[i] <= '7' && v*8+int(raw[i]-'0') < 256; n++ {
				v = v*8 + int(raw[i]-'0')
				i++
			}
			b.WriteRune(rune(v))
		default:
			if e >= utf8.RuneSelf {
				r, n := utf8.DecodeRune(raw[i-1:])
				i += n - 1
				if r == '\u2028' || r == '\u2029' {
					break // line continuation
				}
				b.WriteString(string(raw[i-n : i]))
				break
			}
			b.WriteByte(e)
		}
	}
	return b.String()
}

// unicodeEscape reads the part after `\u`: four hex digits or {hex}. n is
// the number of bytes read, 0 when malformed.
func unicodeEscape(raw []byte, i int) (r rune, n int) {
	if i < len(raw) && raw[i] == '{' {
		end := bytes.IndexByte(raw[i:], '}')
		if end < 2 || end > 9 {
			return 0, 0
		}
		v, ok := hexValue(raw, i+1, end-1)
		if !ok || v > utf8.MaxRune {
			return 0, 0
		}
		return rune(v), end + 1
	}
	v, ok := hexValue(raw, i, 4)
	if !ok {
		return 0, 0
	}
	return rune(v), 4
}

// hexValue reads n hex digits at raw[i:].
func hexValue(raw []byte, i, n int) (int, bool) {
	if i+n > len(raw) {
		return 0, false
	}
	v := 0
	for _, c := range raw[i : i+n] {
		switch {
		case c >= '0' && c <= '9':
			v = v*16 + int(c-'0')
		case c >= 'a' && c <= 'f':
			v = v*16 + int(c-'a') + 10
		case c >= 'A' && c <= 'F':
			v = v*16 + int(c-'A') + 10
		default:
			return 0, false
		}
	}
	return v, true
}

func utf16IsHigh(r rune) bool { return r >= 0xD800 && r < 0xDC00 }
func utf16IsLow(r rune) bool  { return r >= 0xDC00 && r < 0xE000 }

// decodeJSXString decodes a JSX attribute string: JSX has no backslash
// escapes, only HTML character references.
func decodeJSXString(raw []byte) string {
	return html.UnescapeString(string(raw))
}

// looksBinary reports whether src is not text: it holds a NUL byte, or more
// than a tenth of it (or of its first 64 KiB) is not valid UTF-8.
func looksBinary(src []byte) bool {
	if bytes.IndexByte(src, 0) >= 0 {
		return true
	}
	sample := src
	if len(sample) > 64<<10 {
		sample = sample[:64<<10]
	}
	if utf8.Valid(sample) {
		return false
	}
	bad := 0
	for i := 0; i < len(sample); {
		r, n := utf8.DecodeRune(sample[i:])
		if r == utf8.RuneError && n == 1 {
			// a rune cut by the sample's end is not an error
			if len(sample) < len(src) && len(sample)-i < utf8.UTFMax {
				break
			}
			bad++
		}
		i += n
	}
	return bad*10 > len(sample)
}
