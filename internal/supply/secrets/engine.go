package secrets

import (
	"bytes"
	"cmp"
	"context"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	ahocorasick "github.com/BobuSumisu/aho-corasick"
	"github.com/zricethezav/gitleaks/v8/config"
	"github.com/zricethezav/gitleaks/v8/detect"
	glregexp "github.com/zricethezav/gitleaks/v8/regexp"
	"github.com/zricethezav/gitleaks/v8/report"
)

// engine is the detection plan of every scan: each rule with its own
// configuration, run on windows around its keywords (see window.go) or on
// whole files, and the keyword automaton that tells which rules a file
// needs and where.
type engine struct {
	book  *rulebook
	rules []planRule
	byKw  [][]int // keyword number -> indexes into rules
	bare  []int   // rules without keywords: they run on every file their path admits
	trie  *ahocorasick.Trie
	skip  []*config.Allowlist // gitleaks' global allowlists that skip a file by its path alone
}

// planRule is one rule and how it runs.
type planRule struct {
	cfg    config.Config    // a configuration with this rule alone
	path   *glregexp.Regexp // the rule applies to these files only, when not nil
	window bool             // run on windows around its keywords, rather than on whole files
	reach  reach            // for windows: how far a match reaches from its keyword
	anchor *regexp.Regexp   // for windows, when not nil: a keyword can start a match only where this matches
}

// callCost is what one call of gitleaks' detector costs beyond its regular
// expressions (loggers, lower-casing, the keyword prefilter), in bytes of
// regular expression work: a rule runs on its windows only when their bytes
// and calls cost less than one run over the whole file.
const callCost = 256

var (
	engineOnce sync.Once
	theEngine  *engine
	engineErr  error
)

// loadEngine builds the detection plan once.
func loadEngine() (*engine, error) {
	engineOnce.Do(func() {
		b, err := loadRulebook()
		if err != nil {
			engineErr = err
			return
		}
		theEngine = newEngine(b)
	})
	return theEngine, engineErr
}

func newEngine(b *rulebook) *engine {
	all := b.gitleaks
	e := &engine{book: b}
	content := contentAllowlists(all.Allowlists)
	kwIndex := map[string]int{}
	var kws []string
	for _, id := range all.OrderedRules {
		r := all.Rules[id]
		p := windowPlan(r)
		p.path = r.Path
		p.cfg = config.Config{
			Title:        all.Title,
			Rules:        map[string]config.Rule{id: r},
			OrderedRules: []string{id},
			Keywords:     map[string]struct{}{},
			Allowlists:   content,
		}
		e.rules = append(e.rules, p)
		n := len(e.rules) - 1
		if len(r.Keywords) == 0 {
			e.bare = append(e.bare, n)
			continue
		}
		for _, k := range r.Keywords {
			k = strings.ToLower(k)
			p.cfg.Keywords[k] = struct{}{}
			i, seen := kwIndex[k]
			if !seen {
				i = len(kws)
				kwIndex[k] = i
				kws = append(kws, k)
				e.byKw = append(e.byKw, nil)
			}
			e.byKw[i] = append(e.byKw[i], n)
		}
	}
	e.trie = ahocorasick.NewTrieBuilder().AddStrings(kws).Build()
	for _, a := range all.Allowlists {
		if a.MatchCondition == config.AllowlistMatchOr && len(a.Paths) > 0 {
			e.skip = append(e.skip, a)
		}
	}
	return e
}

// contentAllowlists are the global allowlists as the detectors need them:
// without the paths of those that skip a file by its path alone, which the
// walk applies once per file (gitleaks would match them at every call).
func contentAllowlists(all []*config.Allowlist) []*config.Allowlist {
	var out []*config.Allowlist
	for _, a := range all {
		if a.MatchCondition != config.AllowlistMatchOr || len(a.Paths) == 0 {
			out = append(out, a)
			continue
		}
		if len(a.Regexes) == 0 && len(a.StopWords) == 0 {
			continue
		}
		c := &config.Allowlist{
			Description:    a.Description,
			MatchCondition: a.MatchCondition,
			Commits:        a.Commits,
			RegexTarget:    a.RegexTarget,
			Regexes:        a.Regexes,
			StopWords:      a.StopWords,
		}
		if c.Validate() == nil {
			out = append(out, c)
		}
	}
	return out
}

// skipPath reports whether gitleaks' global allowlist excludes the file by
// its path alone (lockfiles, images, vendored libraries...): such a file
// need not be read.
func (e *engine) skipPath(rel string) bool {
	for _, a := range e.skip {
		if a.PathAllowed(rel) {
			return true
		}
	}
	return false
}

// leak is a secret a rule found in a file.
type leak struct {
	rule         string // the gitleaks rule id
	secret       string
	start        int // byte offset of the secret; -1 when the rule matched the path alone
	line, column int // from 1, the column in characters; 0 when start is -1
}

// detector finds the leaks of files, for one worker at a time: gitleaks'
// detectors are not shared between goroutines.
type detector struct {
	e       *engine
	rules   []*detect.Detector // per rule, made when first needed
	ranges  [][][2]int         // per window rule: line ranges of the file being scanned
	touched []int              // the rules the file needs
	state   []int8             // per rule, for the file: 0 not yet known, 1 needed, 2 admitted by its path, -1 not
}

func (e *engine) newDetector() *detector {
	return &detector{
		e:      e,
		rules:  make([]*detect.Detector, len(e.rules)),
		ranges: make([][][2]int, len(e.rules)),
		state:  make([]int8, len(e.rules)),
	}
}

// leaks returns what the rules find in one file. content is nil for a file
// that is not read (binary, too large): only the rules that match a path
// alone run.
func (d *detector) leaks(ctx context.Context, path string, content []byte) []leak {
	var out []leak
	if content == nil {
		for _, i := range d.e.bare {
			for _, f := range detectIn(ctx, d.rule(i), path, "") {
				out = append(out, leak{rule: f.RuleID, start: -1})
			}
		}
		return out
	}
	t := newText(content)
	if !d.plan(t, path) {
		for i := range d.e.rules {
			out = t.appendLeaks(out, 0, detectIn(ctx, d.rule(i), path, t.raw))
		}
	}
	for _, i := range d.touched {
		ranges := d.ranges[i]
		if !d.e.rules[i].window || !worthWindows(t, ranges) {
			out = t.appendLeaks(out, 0, detectIn(ctx, d.rule(i), path, t.raw))
			continue
		}
		out = d.windows(ctx, i, t, path, out)
	}
	if f := d.e.book.forge; f.applies(path) {
		for _, v := range f.find(content) {
			out = append(out, t.leakAt(f.id, v))
		}
	}
	return out
}

// windows runs window rule i on its windows of the file.
func (d *detector) windows(ctx context.Context, i int, t *text, path string, out []leak) []leak {
	for _, r := range d.ranges[i] {
		start, end := t.lineStart(r[0]), t.lineEnd(r[1])
		out = t.appendLeaks(out, r[0], detectIn(ctx, d.rule(i), path, t.raw[start:end]))
	}
	return out
}

// detectIn runs a gitleaks detector on text of the file at path.
func detectIn(ctx context.Context, d *detect.Detector, path, raw string) []report.Finding {
	//lint:ignore SA1019 Detector.DetectContext takes a detect.Fragment in gitleaks v8; sources.Fragment, which replaces it, only reaches DetectSource, which keeps every finding in the detector.
	return d.DetectContext(ctx, detect.Fragment{FilePath: path, Raw: raw})
}

// rule is the gitleaks detector of rule i.
func (d *detector) rule(i int) *detect.Detector {
	if d.rules[i] == nil {
		d.rules[i] = detect.NewDetector(d.e.rules[i].cfg)
	}
	return d.rules[i]
}

// worthWindows reports whether running a rule on its windows costs less
// than running it on the whole file.
func worthWindows(t *text, ranges [][2]int) bool {
	cost := 0
	for _, r := range ranges {
		cost += t.lineEnd(r[1]) - t.lineStart(r[0]) + callCost
	}
	return cost < len(t.raw)+callCost
}

// plan fills d.touched with the rules the file needs: those whose keywords
// occur in it, as gitleaks' prefilter would see them, and those without
// keywords; and d.ranges with the merged line ranges around the keywords
// of window rules. A rule whose path does not admit the file is left out,
// as is a keyword where a rule's anchor says no match can start. plan
// reports false when the keyword automaton cannot stand for gitleaks'
// prefilter: when lower-casing changes the length of the text, or when the
// text has a character that case-folds to an ASCII letter (U+017F, U+212A),
// which a case-insensitive rule matches but the lower-cased text does not
// show; then every rule must run on the whole file.
func (d *detector) plan(t *text, path string) bool {
	for _, i := range d.touched {
		d.ranges[i] = d.ranges[i][:0]
	}
	d.touched = d.touched[:0]
	clear(d.state)
	lower := bytes.ToLower(t.content)
	if len(lower) != len(t.content) || strings.Contains(t.raw, "\u017f") || strings.Contains(t.raw, "\u212a") {
		return false
	}
	for _, i := range d.e.bare {
		if d.admits(i, path) {
			d.need(i)
		}
	}
	d.e.trie.Walk(lower, func(end, n, pattern int64) bool {
		line := -1
		for _, i := range d.e.byKw[pattern] {
			if !d.admits(i, path) {
				continue
			}
			p := &d.e.rules[i]
			if !p.window {
				d.need(i)
				continue
			}
			if p.anchor != nil && !p.anchor.MatchString(t.raw[end-n+1:]) {
				continue
			}
			if line < 0 {
				line = t.lineOf(int(end - n + 1))
			}
			d.need(i)
			r := [2]int{max(line-p.reach.before, 0), min(line+p.reach.after, t.lastLine())}
			// Hits come in the order of their ends, so ranges mostly arrive
			// sorted: merge with the last one when they meet.
			if last := len(d.ranges[i]) - 1; last >= 0 && r[0] >= d.ranges[i][last][0] && r[0] <= d.ranges[i][last][1]+1 {
				d.ranges[i][last][1] = max(d.ranges[i][last][1], r[1])
				continue
			}
			d.ranges[i] = append(d.ranges[i], r)
		}
		return true
	})
	for _, i := range d.touched {
		if len(d.ranges[i]) > 0 {
			d.ranges[i] = mergeRanges(d.ranges[i])
		}
	}
	return true
}

// admits reports whether rule i's path admits the file (remembered for the
// file in d.state).
func (d *detector) admits(i int, path string) bool {
	if d.state[i] == 0 {
		d.state[i] = 2
		if p := d.e.rules[i].path; p != nil && !p.MatchString(path) {
			d.state[i] = -1
		}
	}
	return d.state[i] > 0
}

// need adds rule i to the rules the file needs.
func (d *detector) need(i int) {
	if d.state[i] != 1 {
		d.state[i] = 1
		d.touched = append(d.touched, i)
	}
}

// mergeRanges sorts line ranges and merges those that overlap or touch.
func mergeRanges(rs [][2]int) [][2]int {
	slices.SortFunc(rs, func(a, b [2]int) int { return a[0] - b[0] })
	out := rs[:1]
	for _, r := range rs[1:] {
		last := &out[len(out)-1]
		if r[0] <= last[1]+1 {
			last[1] = max(last[1], r[1])
		} else {
			out = append(out, r)
		}
	}
	return out
}

// text is a file's content with the offsets of its lines.
type text struct {
	content []byte
	raw     string
	nl      []int // offsets of the line feeds
}

func newText(content []byte) *text {
	t := &text{content: content, raw: string(content)}
	for i := 0; ; {
		j := bytes.IndexByte(content[i:], '\n')
		if j < 0 {
			break
		}
		t.nl = append(t.nl, i+j)
		i += j + 1
	}
	return t
}

// lineOf is the line (from 0) of a byte offset.
func (t *text) lineOf(off int) int { return sort.SearchInts(t.nl, off) }

func (t *text) lastLine() int { return len(t.nl) }

// lineStart is the offset of the first byte of a line (from 0).
func (t *text) lineStart(line int) int {
	if line <= 0 {
		return 0
	}
	return min(t.nl[min(line, len(t.nl))-1]+1, len(t.raw))
}

// lineEnd is the offset just after the line feed that ends a line, or the
// end of the text.
func (t *text) lineEnd(line int) int {
	if line < len(t.nl) {
		return t.nl[line] + 1
	}
	return len(t.raw)
}

// appendLeaks converts gitleaks' findings in a fragment that starts at
// line first into leaks placed at the secret itself. gitleaks places a
// finding at the start of the match (with a column one too large on every
// line of the fragment but its first), not of the secret, which a capture
// group can put later in the match.
func (t *text) appendLeaks(out []leak, first int, fs []report.Finding) []leak {
	for _, f := range fs {
		if f.Secret == "" && f.StartLine == 0 && f.StartColumn == 0 && strings.HasPrefix(f.Match, "file detected") {
			out = append(out, leak{rule: f.RuleID, start: -1})
			continue
		}
		line := first + f.StartLine
		from := t.lineStart(line) + f.StartColumn - 1
		if f.StartLine > 0 {
			from--
		}
		from = max(t.lineStart(line), min(from-1, len(t.raw)))
		start := -1
		if i := strings.Index(t.raw[from:min(len(t.raw), from+len(f.Match)+2)], f.Secret); i >= 0 {
			start = from + i
		} else if i := strings.Index(t.raw[t.lineStart(line):], f.Secret); i >= 0 {
			start = t.lineStart(line) + i
		} else {
			start = from
		}
		out = append(out, t.leakOf(f.RuleID, f.Secret, start))
	}
	return out
}

// leakOf places a secret found at a byte offset.
func (t *text) leakOf(rule, secret string, start int) leak {
	line := t.lineOf(start)
	col := utf8.RuneCountInString(t.raw[t.lineStart(line):start]) + 1
	return leak{rule: rule, secret: secret, start: start, line: line + 1, column: col}
}

// leakAt places a secret of the manifest check, whose parser gives lines
// and columns: the byte offset is found from them, then checked against
// the text (a quoted YAML value's text can differ from its value).
func (t *text) leakAt(rule string, v manifestValue) leak {
	line := min(max(v.line-1, 0), t.lastLine())
	start := t.lineStart(line)
	for n := 1; n < v.column && start < t.lineEnd(line); n++ {
		_, size := utf8.DecodeRuneInString(t.raw[start:])
		start += size
	}
	if !strings.HasPrefix(t.raw[start:], v.secret) {
		if i := strings.Index(t.raw[t.lineStart(line):], v.secret); i >= 0 {
			start = t.lineStart(line) + i
		}
	}
	return t.leakOf(rule, v.secret, start)
}

// settle keeps one leak per secret: where the spans of leaks overlap, the
// leak of the rule with the highest precedence (then the highest CVSS, then
// the first id) stays. As gitleaks does within one call, it also drops a
// generic rule's leak when another rule found, on the same line, a secret
// that contains it. It returns the leaks in the order of the file.
func (b *rulebook) settle(leaks []leak) []leak {
	slices.SortFunc(leaks, func(x, y leak) int {
		return cmp.Or(b.precedence(y.rule)-b.precedence(x.rule), cmp.Compare(b.cvss(y.rule), b.cvss(x.rule)),
			strings.Compare(x.rule, y.rule), x.start-y.start)
	})
	var placed, pathOnly []leak // placed: kept leaks with a span, by start, not overlapping
	for _, l := range leaks {
		if l.start < 0 {
			pathOnly = append(pathOnly, l)
			continue
		}
		i, _ := slices.BinarySearchFunc(placed, l.start, func(k leak, start int) int { return k.start - start })
		if (i > 0 && overlaps(placed[i-1], l)) || (i < len(placed) && overlaps(placed[i], l)) {
			continue
		}
		placed = slices.Insert(placed, i, l)
	}
	var lines map[int][]leak // the specific leaks of each line, when a generic one may need them
	kept := placed[:0]
	for _, l := range placed {
		if b.precedence(l.rule) == precedenceGeneric && strings.HasPrefix(l.rule, "generic") {
			if lines == nil {
				lines = map[int][]leak{}
				for _, s := range placed {
					if !strings.HasPrefix(s.rule, "generic") {
						lines[s.line] = append(lines[s.line], s)
					}
				}
			}
			if slices.ContainsFunc(lines[l.line], func(s leak) bool { return strings.Contains(s.secret, l.secret) }) {
				continue
			}
		}
		kept = append(kept, l)
	}
	return append(pathOnly, kept...)
}

// overlaps reports whether two leaks cover some of the same bytes (a leak
// of an empty secret covers its start).
func overlaps(a, b leak) bool {
	aEnd, bEnd := a.start+max(len(a.secret), 1), b.start+max(len(b.secret), 1)
	return a.start < bEnd && b.start < aEnd
}
