package secrets

import (
	"maps"
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode"

	"github.com/zricethezav/gitleaks/v8/config"
)

// Why windows. gitleaks runs a rule's regular expression over a whole file
// as soon as one of the rule's keywords occurs anywhere in it. In app code
// the keywords of a few rules are everywhere ("key", "api", "token", "jira"),
// and those rules begin with an unanchored [\w.-]{0,50}? that Go's regexp
// engine can only run as an NFA at every byte: about 1 MB/s for the default
// rules on ordinary JS. But a match of most rules contains one of its
// keywords and spans a bounded number of lines, so it lies within a few
// lines of a keyword: running the rule on those lines finds the same
// matches. windowPlan works out, from a rule's regular expression, whether
// that holds and how many lines a match can reach before and after its
// keyword; rules for which it cannot tell run on whole files, as in
// gitleaks. A window starts at a line's start and ends after a line feed
// (or at the end of the file), so ^ and $ with the m flag, and \b, mean
// there what they mean in the file. \A does not, so a rule that uses it
// runs on whole files. $ without the m flag (the end of the text) cannot
// match where a window ends and the file goes on: the match would take in
// the line feed that ends the window, one line break more than the reach of
// the keyword's line allows. The tests compare the result with gitleaks'
// own detector on whole files (window_test.go, FuzzScanFile).

// unbounded stands for "any number of line breaks".
const unbounded = 1 << 20

// maxReach is the widest window worth making: rules whose matches can
// reach further from their keyword run on whole files.
const maxReach = 12

// reach is how many line breaks a match can have before the start of its
// keyword and after its end.
type reach struct{ before, after int }

// windowPlan says how rule r runs: on windows around its keywords or on
// whole files, how wide the windows must be, and the anchored prefilter of
// the rule when it has one (see anchor).
func windowPlan(r config.Rule) (p planRule) {
	if r.Regex == nil || len(r.Keywords) == 0 || len(r.RequiredRules) > 0 || r.SkipReport {
		return p
	}
	re, err := syntax.Parse(r.Regex.String(), syntax.Perl)
	if err != nil || has(re, syntax.OpBeginText) {
		return p
	}
	kws := make([]string, len(r.Keywords))
	for i, k := range r.Keywords {
		kws[i] = strings.ToLower(k)
	}
	rc, ok := cover(re, kws)
	if !ok || rc.before > maxReach || rc.after > maxReach {
		return p
	}
	p.window, p.reach = true, rc
	p.anchor, _ = anchor(re, kws)
	return p
}

// has reports whether re has an operator. A window rule must not use \A
// (or ^ without the m flag): in a window it would match at the window's
// start, not only at the file's.
func has(re *syntax.Regexp, op syntax.Op) bool {
	if re.Op == op {
		return true
	}
	for _, s := range re.Sub {
		if has(s, op) {
			return true
		}
	}
	return false
}

// breaks is the largest number of line breaks a match of re can contain.
func breaks(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpLiteral:
		return strings.Count(string(re.Rune), "\n")
	case syntax.OpCharClass:
		if classHas(re.Rune, '\n') {
			return 1
		}
		return 0
	case syntax.OpAnyChar:
		return 1
	case syntax.OpCapture, syntax.OpQuest:
		return breaks(re.Sub[0])
	case syntax.OpStar, syntax.OpPlus:
		if breaks(re.Sub[0]) > 0 {
			return unbounded
		}
		return 0
	case syntax.OpRepeat:
		b := breaks(re.Sub[0])
		switch {
		case b == 0:
			return 0
		case re.Max < 0:
			return unbounded
		}
		return min(b*re.Max, unbounded)
	case syntax.OpConcat:
		n := 0
		for _, s := range re.Sub {
			n = min(n+breaks(s), unbounded)
		}
		return n
	case syntax.OpAlternate:
		n := 0
		for _, s := range re.Sub {
			n = max(n, breaks(s))
		}
		return n
	}
	return 0 // empty matches and assertions
}

func classHas(ranges []rune, r rune) bool {
	for i := 0; i+1 < len(ranges); i += 2 {
		if ranges[i] <= r && r <= ranges[i+1] {
			return true
		}
	}
	return false
}

// cover reports whether every match of re contains one of the keywords (as
// gitleaks' prefilter sees them: lower-cased), and the reach of a match
// around that keyword. It errs on the side of "no".
func cover(re *syntax.Regexp, kws []string) (reach, bool) {
	k := newKwSets(kws)
	if !k.covered(re) {
		return reach{}, false
	}
	return k.reach(re), true
}

// reach is the reach of a match of re, which k.covered, around its
// keyword: the tightest bound that one part of re gives.
func (k *kwSets) reach(re *syntax.Regexp) reach {
	b := breaks(re)
	whole := reach{b, b}
	switch re.Op {
	case syntax.OpCapture:
		return k.reach(re.Sub[0])
	case syntax.OpAlternate:
		var out reach
		for _, s := range re.Sub {
			rc := k.reach(s)
			out = reach{max(out.before, rc.before), max(out.after, rc.after)}
		}
		return out
	case syntax.OpPlus, syntax.OpRepeat:
		if re.Op == syntax.OpRepeat && re.Min < 1 || !k.covered(re.Sub[0]) {
			return whole
		}
		rc := k.reach(re.Sub[0])
		if sb := breaks(re.Sub[0]); sb > 0 {
			if re.Op == syntax.OpPlus || re.Max < 0 {
				rc.after = unbounded
			} else {
				rc.after = min(rc.after+sb*(re.Max-1), unbounded)
			}
		}
		return rc
	case syntax.OpConcat:
		if rc, ok := k.reachConcat(re); ok {
			return rc
		}
	}
	return whole
}

// reachConcat bounds the reach of a concatenation by the part, or the run
// of parts, that holds the keyword (the parser turns "access|auth" into
// a(?:ccess|uth), and (?-i:[Aa]pi) into [Aa] then "pi"): the parts before
// it count towards the reach before, those after it towards the reach
// after.
func (k *kwSets) reachConcat(re *syntax.Regexp) (reach, bool) {
	subs := re.Sub
	prefix := make([]int, len(subs)+1) // line breaks of subs[:i]
	for i, s := range subs {
		prefix[i+1] = min(prefix[i]+breaks(s), unbounded)
	}
	best, found := reach{}, false
	consider := func(i, j int, inner reach) {
		rc := reach{
			before: min(prefix[i]+inner.before, unbounded),
			after:  min(inner.after+prefix[len(subs)]-prefix[j], unbounded),
		}
		if !found || rc.before+rc.after < best.before+best.after {
			best, found = rc, true
		}
	}
	for i := range subs {
		if k.covered(subs[i]) {
			consider(i, i+1, k.reach(subs[i]))
			continue
		}
		for j := i + 2; j <= len(subs); j++ {
			run := &syntax.Regexp{Op: syntax.OpConcat, Sub: subs[i:j]}
			if k.covered(run) {
				b := breaks(run)
				consider(i, j, reach{b, b})
				break
			}
		}
	}
	return best, found
}

// kwSets decides whether every match of a regular expression contains a
// keyword, by listing the matches in a reduced form: a string that holds a
// keyword becomes sat; otherwise a class of many characters becomes one gap
// character (which no keyword contains, so no keyword is ever assumed to
// run through it), and only the ends of a long string are kept, since a
// keyword can only form across them. Repetitions keep their first and last
// copies with a gap between. Each step keeps or adds strings and never
// invents a keyword, so "every string is sat" is only said when true.
type kwSets struct {
	kws   []string
	keep  int       // how many bytes each end of a string keeps: the longest keyword minus one
	inKws [256]bool // the bytes keywords are made of; any other byte is a gap
}

// Markers of the reduced strings.
const (
	sat = "\x01"
	gap = "\x00"
)

// maxSets bounds the strings a reduced set may have; a part of a regular
// expression with more becomes a gap.
const maxSets = 512

// strset is a set of reduced strings.
type strset map[string]struct{}

func (s strset) allSat() bool {
	_, ok := s[sat]
	return ok && len(s) == 1
}

func newKwSets(kws []string) *kwSets {
	k := &kwSets{kws: kws}
	for _, w := range kws {
		k.keep = max(k.keep, len(w)-1)
		for i := range len(w) {
			k.inKws[w[i]] = true
		}
	}
	return k
}

// covered reports whether every match of re contains a keyword.
func (k *kwSets) covered(re *syntax.Regexp) bool { return k.set(re).allSat() }

// norm reduces one string.
func (k *kwSets) norm(s string) string {
	if strings.Contains(s, sat) || hasKeyword(s, k.kws) {
		return sat
	}
	b := make([]byte, 0, len(s))
	for i := range len(s) {
		c := s[i]
		if !k.inKws[c] {
			c = gap[0]
		}
		if c != gap[0] || len(b) == 0 || b[len(b)-1] != gap[0] {
			b = append(b, c)
		}
	}
	s = string(b)
	if len(s) > 2*k.keep+1 {
		s = s[:k.keep] + gap + s[len(s)-k.keep:]
	}
	return s
}

// set is the reduced strings of re's matches. A part with too many becomes
// a gap (or a gap or nothing, when it can match the empty string): that
// forgets the keywords it may hold, which can only make the answer "no".
func (k *kwSets) set(re *syntax.Regexp) strset {
	s, ok := k.exact(re)
	if ok {
		return s
	}
	s = strset{gap: {}}
	if canBeEmpty(re) {
		s[""] = struct{}{}
	}
	return s
}

func (k *kwSets) exact(re *syntax.Regexp) (strset, bool) {
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText,
		syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return strset{"": {}}, true
	case syntax.OpLiteral:
		return strset{k.norm(lower(re.Rune)): {}}, true
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return strset{gap: {}}, true
	case syntax.OpCharClass:
		if !k.classMeetsKws(re.Rune) {
			return strset{gap: {}}, true
		}
		set := strset{}
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if re.Rune[i+1]-re.Rune[i] >= maxClassExpand {
				return nil, false
			}
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				set[k.norm(lower([]rune{r}))] = struct{}{}
			}
			if len(set) > maxClassExpand {
				return nil, false
			}
		}
		return set, true
	case syntax.OpCapture:
		return k.set(re.Sub[0]), true
	case syntax.OpQuest:
		set := maps.Clone(k.set(re.Sub[0]))
		set[""] = struct{}{}
		return set, true
	case syntax.OpAlternate:
		set := strset{}
		for _, s := range re.Sub {
			maps.Copy(set, k.set(s))
			if len(set) > maxSets {
				return nil, false
			}
		}
		return set, true
	case syntax.OpConcat:
		set := strset{"": {}}
		for _, s := range re.Sub {
			if set.allSat() {
				break // a keyword in every match so far: the rest cannot undo it
			}
			var ok bool
			if set, ok = k.product(set, k.set(s)); !ok {
				return nil, false
			}
		}
		return set, true
	case syntax.OpStar, syntax.OpPlus, syntax.OpRepeat:
		return k.repeat(re)
	}
	return nil, false
}

// repeat is the reduced set of a repetition: listed when it is short, else
// one copy, or a first and a last copy with a gap between (and nothing,
// when zero copies will do).
func (k *kwSets) repeat(re *syntax.Regexp) (strset, bool) {
	lo, hi := 0, -1
	switch re.Op {
	case syntax.OpPlus:
		lo = 1
	case syntax.OpRepeat:
		lo, hi = re.Min, re.Max
	}
	sub := k.set(re.Sub[0])
	if hi >= 0 && hi <= 4 {
		set := strset{}
		cur := strset{"": {}}
		ok := true
		for n := 0; ok && n <= hi; n++ {
			if n >= lo {
				maps.Copy(set, cur)
			}
			if n < hi {
				cur, ok = k.product(cur, sub)
			}
		}
		if ok && len(set) <= maxSets {
			return set, true
		}
	}
	twice, ok := k.product(sub, strset{gap: {}})
	if ok {
		twice, ok = k.product(twice, sub)
	}
	if !ok {
		return nil, false
	}
	set := maps.Clone(sub)
	maps.Copy(set, twice)
	if lo == 0 {
		set[""] = struct{}{}
	}
	return set, true
}

// product is every string of a followed by every string of b, reduced.
func (k *kwSets) product(a, b strset) (strset, bool) {
	out := strset{}
	for x := range a {
		for y := range b {
			out[k.norm(x+y)] = struct{}{}
			if len(out) > maxSets {
				return nil, false
			}
		}
	}
	return out, true
}

// classMeetsKws reports whether a class has a character that, lower-cased,
// is in a keyword.
func (k *kwSets) classMeetsKws(ranges []rune) bool {
	for c := range 256 {
		if !k.inKws[c] {
			continue
		}
		for _, r := range []rune{rune(c), unicode.ToUpper(rune(c))} {
			if classHas(ranges, r) {
				return true
			}
		}
	}
	return false
}

// canBeEmpty reports whether re matches the empty string.
func canBeEmpty(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpLiteral, syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return false
	case syntax.OpCapture, syntax.OpPlus:
		return canBeEmpty(re.Sub[0])
	case syntax.OpRepeat:
		return re.Min == 0 || canBeEmpty(re.Sub[0])
	case syntax.OpConcat:
		for _, s := range re.Sub {
			if !canBeEmpty(s) {
				return false
			}
		}
		return true
	case syntax.OpAlternate:
		for _, s := range re.Sub {
			if canBeEmpty(s) {
				return true
			}
		}
		return false
	}
	return true // empty matches, assertions, stars, quests
}

func hasKeyword(s string, kws []string) bool {
	for _, k := range kws {
		if strings.Contains(s, k) {
			return true
		}
	}
	return false
}

// maxClassExpand is the largest class listed character by character; a
// larger one is a gap.
const maxClassExpand = 16

// lower lower-cases runes as gitleaks' prefilter does, and turns the bytes
// that mark reduced strings into gaps.
func lower(rs []rune) string {
	var b strings.Builder
	for _, r := range rs {
		switch r {
		case 0, 1:
			b.WriteString(gap)
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// Why anchors. Even on windows, a rule like generic-api-key runs slowly:
// its counted repetitions ({0,50}, {10,150}) make the NFA track many states
// at every byte. But when every match of a rule, once its leading optional
// part is set aside, starts with one of its keywords, the rule can only
// match where the prefilter found a keyword: a relaxed form of the rule,
// anchored there, tells in a few bytes whether it can match at all. The
// relaxed form matches wherever the rule does (long counted repetitions
// become open ones, assertions are dropped), so a hit it rejects cannot
// start a match, and its window is not needed.

// anchor returns the relaxed, anchored form of a rule's regular expression
// when every match of its core starts with one of the keywords.
func anchor(re *syntax.Regexp, kws []string) (*regexp.Regexp, bool) {
	c := core(re)
	k := newKwSets(kws)
	set, ok := k.prefixes(c)
	if !ok {
		return nil, false
	}
	for p := range set {
		if p.s != sat {
			return nil, false
		}
	}
	anchored := &syntax.Regexp{Op: syntax.OpConcat, Sub: []*syntax.Regexp{{Op: syntax.OpBeginText}, relax(c)}}
	out, err := regexp.Compile(anchored.String())
	if err != nil {
		return nil, false
	}
	return out, true
}

// core is a regular expression without the leading parts of its matches
// that may be empty: every match of re contains a match of its core, which
// is all a prefilter needs.
func core(re *syntax.Regexp) *syntax.Regexp {
	switch re.Op {
	case syntax.OpCapture:
		return core(re.Sub[0])
	case syntax.OpAlternate:
		c := *re
		c.Sub = make([]*syntax.Regexp, len(re.Sub))
		for i, s := range re.Sub {
			c.Sub[i] = core(s)
		}
		return &c
	case syntax.OpConcat:
		subs := re.Sub
		for len(subs) > 1 && canBeEmpty(subs[0]) {
			subs = subs[1:]
		}
		c := *re
		c.Sub = append([]*syntax.Regexp{core(subs[0])}, subs[1:]...)
		return &c
	}
	return re
}

// relax widens a regular expression: counted repetitions of more than four
// become open ones, and assertions match anywhere. Whatever re matches, the
// result matches too.
func relax(re *syntax.Regexp) *syntax.Regexp {
	c := *re
	c.Sub = make([]*syntax.Regexp, len(re.Sub))
	for i, s := range re.Sub {
		c.Sub[i] = relax(s)
	}
	switch c.Op {
	case syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return &syntax.Regexp{Op: syntax.OpEmptyMatch}
	case syntax.OpRepeat:
		if c.Max > 4 {
			c.Max = -1
			if c.Min == 0 {
				c.Op = syntax.OpStar
			}
		}
	}
	return &c
}

// prefix is the start of a match, lower-cased, as long as the longest
// keyword; complete when the match is no longer.
type prefix struct {
	s        string
	complete bool
}

// prefixes lists the starts of re's matches, or false when there are too
// many. A class of many characters is a gap, which starts no keyword, so
// "every start begins with a keyword" is only said when true.
func (k *kwSets) prefixes(re *syntax.Regexp) (map[prefix]struct{}, bool) {
	one := func(s string) map[prefix]struct{} { return map[prefix]struct{}{k.cut(s, true): {}} }
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText,
		syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return one(""), true
	case syntax.OpLiteral:
		return one(lower(re.Rune)), true
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return one(gap), true
	case syntax.OpCharClass:
		set, ok := k.exact(re)
		if !ok {
			return one(gap), true
		}
		out := map[prefix]struct{}{}
		for s := range set {
			if s == sat { // a one-character keyword
				return nil, false
			}
			out[k.cut(s, true)] = struct{}{}
		}
		return out, true
	case syntax.OpCapture:
		return k.prefixes(re.Sub[0])
	case syntax.OpQuest, syntax.OpStar:
		set, ok := k.prefixes(re.Sub[0])
		if !ok {
			return nil, false
		}
		set = maps.Clone(set)
		set[prefix{"", true}] = struct{}{}
		if re.Op == syntax.OpStar {
			return k.prefixConcat(set, map[prefix]struct{}{{gap, true}: {}, {"", true}: {}})
		}
		return set, true
	case syntax.OpPlus, syntax.OpRepeat:
		set, ok := k.prefixes(re.Sub[0])
		if !ok {
			return nil, false
		}
		if re.Op == syntax.OpRepeat && re.Max >= 0 && re.Max <= 4 {
			out := map[prefix]struct{}{}
			cur := map[prefix]struct{}{{"", true}: {}}
			for n := 0; n <= re.Max; n++ {
				if n >= re.Min {
					maps.Copy(out, cur)
				}
				if n < re.Max {
					if cur, ok = k.prefixConcat(cur, set); !ok {
						return nil, false
					}
				}
			}
			return out, true
		}
		if re.Op == syntax.OpRepeat && re.Min == 0 {
			set = maps.Clone(set)
			set[prefix{"", true}] = struct{}{}
		}
		// Copies after the first are a gap: a keyword is never assumed to
		// run into them.
		return k.prefixConcat(set, map[prefix]struct{}{{gap, true}: {}, {"", true}: {}})
	case syntax.OpAlternate:
		out := map[prefix]struct{}{}
		for _, s := range re.Sub {
			set, ok := k.prefixes(s)
			if !ok {
				return nil, false
			}
			maps.Copy(out, set)
			if len(out) > maxSets {
				return nil, false
			}
		}
		return out, true
	case syntax.OpConcat:
		out := map[prefix]struct{}{{"", true}: {}}
		for _, s := range re.Sub {
			set, ok := k.prefixes(s)
			if !ok {
				return nil, false
			}
			if out, ok = k.prefixConcat(out, set); !ok {
				return nil, false
			}
		}
		return out, true
	}
	return nil, false
}

// prefixConcat is the starts of a match of a followed by one of b.
func (k *kwSets) prefixConcat(a, b map[prefix]struct{}) (map[prefix]struct{}, bool) {
	out := map[prefix]struct{}{}
	for x := range a {
		if !x.complete {
			out[x] = struct{}{}
			continue
		}
		for y := range b {
			p := k.cut(x.s+y.s, y.complete)
			out[p] = struct{}{}
			if len(out) > maxSets {
				return nil, false
			}
		}
	}
	return out, true
}

// cut keeps the first keep+1 bytes of a start (the longest keyword); a
// start that begins with a keyword is sat, whatever follows.
func (k *kwSets) cut(s string, complete bool) prefix {
	if startsWithKeyword(s, k.kws) {
		return prefix{sat, false}
	}
	if len(s) > k.keep+1 {
		return prefix{s[:k.keep+1], false}
	}
	return prefix{s, complete}
}

func startsWithKeyword(s string, kws []string) bool {
	for _, k := range kws {
		if strings.HasPrefix(s, k) {
			return true
		}
	}
	return false
}
