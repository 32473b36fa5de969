package secrets

import (
	"bufio"
	"bytes"
	"strings"
	"unicode/utf8"
)

// Limits on what a .gitignore file of the scanned tree can make us do.
const (
	maxIgnorePatterns  = 10000
	maxIgnorePatternSz = 4096
)

// ignoreFile is the patterns of one .gitignore file (or .git/info/exclude),
// which apply to the paths under its directory.
type ignoreFile struct {
	base     string // the directory of the file, relative to the root, "" for the root
	patterns []ignorePattern
}

// ignorePattern is one line of a .gitignore file, as gitignore(5) reads it.
type ignorePattern struct {
	segments []string // the pattern split at slashes, without a leading or trailing one
	negate   bool     // "!pattern": re-include what an earlier pattern excluded
	dirOnly  bool     // "pattern/": match directories only
	anchored bool     // the pattern has a slash before its end: it matches from base, not at any depth
}

// parseIgnore reads the patterns of a .gitignore file.
func parseIgnore(base string, content []byte) *ignoreFile {
	f := &ignoreFile{base: base}
	sc := bufio.NewScanner(bytes.NewReader(content))
	sc.Buffer(make([]byte, 0, 4096), maxIgnorePatternSz)
	for sc.Scan() && len(f.patterns) < maxIgnorePatterns {
		if p, ok := parseIgnoreLine(sc.Text()); ok {
			f.patterns = append(f.patterns, p)
		}
	}
	// A line longer than maxIgnorePatternSz ends the scan: the patterns
	// before it still apply, which is as much as can be read of the file.
	return f
}

func parseIgnoreLine(line string) (ignorePattern, bool) {
	line = strings.TrimSuffix(line, "\r")
	line = trimTrailingSpaces(line)
	if line == "" || line[0] == '#' {
		return ignorePattern{}, false
	}
	var p ignorePattern
	if line[0] == '!' {
		p.negate = true
		line = line[1:]
	}
	if strings.HasSuffix(line, "/") && !strings.HasSuffix(line, `\/`) {
		p.dirOnly = true
		line = strings.TrimRight(line, "/")
	}
	if line == "" {
		return ignorePattern{}, false
	}
	p.anchored = strings.Contains(line, "/")
	line = strings.TrimPrefix(line, "/")
	for _, s := range strings.Split(line, "/") {
		if s != "" { // "a//b" is "a/b"
			p.segments = append(p.segments, s)
		}
	}
	if len(p.segments) == 0 {
		return ignorePattern{}, false
	}
	return p, true
}

// trimTrailingSpaces removes trailing spaces unless a backslash escapes them.
func trimTrailingSpaces(s string) string {
	end := len(s)
	for end > 0 && s[end-1] == ' ' {
		backslashes := 0
		for i := end - 2; i >= 0 && s[i] == '\\'; i-- {
			backslashes++
		}
		if backslashes%2 == 1 {
			break
		}
		end--
	}
	return s[:end]
}

// ignored reports whether the path (relative to the root, with slashes) is
// ignored by the stack of .gitignore files that apply to it, root first. As
// in git, the last pattern that matches decides, and a deeper file's
// patterns come after a shallower one's. (A file inside an ignored
// directory cannot be re-included: the walk never enters the directory.)
func ignored(stack []*ignoreFile, path string, isDir bool) bool {
	for i := len(stack) - 1; i >= 0; i-- {
		f := stack[i]
		rel := path
		if f.base != "" {
			var ok bool
			if rel, ok = strings.CutPrefix(path, f.base+"/"); !ok {
				continue
			}
		}
		segs := strings.Split(rel, "/")
		for j := len(f.patterns) - 1; j >= 0; j-- {
			if p := &f.patterns[j]; p.match(segs, isDir) {
				return !p.negate
			}
		}
	}
	return false
}

// match reports whether the pattern matches a path given as segments
// relative to the pattern's .gitignore.
func (p *ignorePattern) match(segs []string, isDir bool) bool {
	if p.dirOnly && !isDir {
		return false
	}
	if !p.anchored {
		return wildmatch(p.segments[0], segs[len(segs)-1])
	}
	return matchSegments(p.segments, segs)
}

// matchSegments matches pattern segments, where "**" stands for any number
// of path segments, against path segments. It fills a table rather than
// recursing, so that patterns with many "**" cost len(pat)*len(path).
func matchSegments(pat, path []string) bool {
	// ok[i][j]: pat[i:] matches path[j:].
	w := len(path) + 1
	ok := make([]bool, (len(pat)+1)*w)
	ok[len(pat)*w+len(path)] = true
	for i := len(pat) - 1; i >= 0; i-- {
		for j := len(path); j >= 0; j-- {
			var m bool
			switch {
			case pat[i] == "**" && i == len(pat)-1:
				m = j < len(path) // a trailing "/**" matches everything inside, not the directory itself
			case pat[i] == "**":
				m = ok[(i+1)*w+j] || (j < len(path) && ok[i*w+j+1])
			default:
				m = j < len(path) && ok[(i+1)*w+j+1] && wildmatch(pat[i], path[j])
			}
			ok[i*w+j] = m
		}
	}
	return ok[0]
}

// wildmatch matches one path segment against a glob of gitignore(5): "*"
// matches any run of characters, "?" one character, "[...]" a class
// ("[!...]" or "[^...]" negated, with ranges), and a backslash makes the
// next character literal. Other runs of asterisks count as one. It
// backtracks only to the last "*", so it takes len(pattern)*len(name) steps
// at worst.
func wildmatch(pattern, name string) bool {
	px, nx := 0, 0
	starPx, starNx := -1, -1
	for nx < len(name) || px < len(pattern) {
		if px < len(pattern) {
			switch c := pattern[px]; c {
			case '*':
				for px < len(pattern) && pattern[px] == '*' {
					px++
				}
				starPx, starNx = px, nx
				continue
			case '?':
				if nx < len(name) {
					_, size := utf8.DecodeRuneInString(name[nx:])
					px++
					nx += size
					continue
				}
			case '[':
				if nx < len(name) {
					r, size := utf8.DecodeRuneInString(name[nx:])
					if matched, width, valid := matchClass(pattern[px:], r); valid {
						if matched {
							px += width
							nx += size
							continue
						}
						break
					}
				}
				if nx < len(name) && name[nx] == '[' { // an unclosed "[" is literal
					px++
					nx++
					continue
				}
			case '\\':
				if px+1 < len(pattern) && nx < len(name) && pattern[px+1] == name[nx] {
					px += 2
					nx++
					continue
				}
				if px+1 == len(pattern) && nx < len(name) && name[nx] == '\\' {
					px++
					nx++
					continue
				}
			default:
				if nx < len(name) && name[nx] == c {
					px++
					nx++
					continue
				}
			}
		}
		if starPx < 0 || starNx >= len(name) {
			return false
		}
		_, size := utf8.DecodeRuneInString(name[starNx:])
		starNx += size
		px, nx = starPx, starNx
	}
	return true
}

// matchClass matches r against the bracket expression at the start of
// pattern. It returns whether r matched, the width of the expression, and
// false for valid when the expression is not closed.
func matchClass(pattern string, r rune) (matched bool, width int, valid bool) {
	i := 1
	negate := false
	if i < len(pattern) && (pattern[i] == '!' || pattern[i] == '^') {
		negate = true
		i++
	}
	first := true
	for i < len(pattern) {
		if pattern[i] == ']' && !first {
			return matched != negate, i + 1, true
		}
		first = false
		lo, size := classChar(pattern, i)
		i += size
		hi := lo
		if i+1 < len(pattern) && pattern[i] == '-' && pattern[i+1] != ']' {
			hi, size = classChar(pattern, i+1)
			i += 1 + size
		}
		if lo <= r && r <= hi {
			matched = true
		}
	}
	return false, 0, false
}

// classChar reads one character of a bracket expression, which a
// backslash may escape.
func classChar(pattern string, i int) (rune, int) {
	if pattern[i] == '\\' && i+1 < len(pattern) {
		r, size := utf8.DecodeRuneInString(pattern[i+1:])
		return r, 1 + size
	}
	return utf8.DecodeRuneInString(pattern[i:])
}
