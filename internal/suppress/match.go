package suppress

import (
	"path"
	"path/filepath"
	"strings"
)

// matchPath reports whether the slash-separated relative path name matches
// the glob pattern: a segment "**" matches any number of directories (none
// included); any other segment matches one path segment as path.Match reads
// it (* ? [...] and \ escapes). The work is bounded by the product of the
// numbers of segments: no backtracking blow-up.
func matchPath(pattern, name string) bool {
	name = strings.TrimPrefix(filepath.ToSlash(name), "./")
	pats := strings.Split(pattern, "/")
	segs := strings.Split(name, "/")
	// ok[j] reports whether the pattern's segments so far match segs[:j].
	ok := make([]bool, len(segs)+1)
	ok[0] = true
	next := make([]bool, len(segs)+1)
	for _, p := range pats {
		clear(next)
		if p == "**" {
			reached := false
			for j := range ok {
				reached = reached || ok[j]
				next[j] = reached
			}
		} else {
			for j := 1; j <= len(segs); j++ {
				if ok[j-1] {
					m, err := path.Match(p, segs[j-1])
					next[j] = err == nil && m
				}
			}
		}
		ok, next = next, ok
	}
	return ok[len(segs)]
}

// matchWildcard reports whether s matches pattern, where * stands for any
// run of characters (none included) and every other byte stands for itself.
// It runs in time proportional to len(pattern)*len(s) at worst.
func matchWildcard(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0 // the last * seen in pattern, and where in s it began to match
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case p < len(pattern) && pattern[p] == s[i]:
			p++
			i++
		case star >= 0:
			mark++
			p, i = star+1, mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
