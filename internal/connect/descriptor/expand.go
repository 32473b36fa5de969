package descriptor

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Expand fills every {placeholder} of a descriptor URL template with a
// plausible, URL-safe value, so that the URL can be requested:
//
//   - condition.* gives "true";
//   - issue.key (and *IssueKey) gives "ECO-1", project.key and space.key
//     (and *ProjectKey, *SpaceKey) give "ECO";
//   - *.id and *Id give a number, such as "10427";
//   - *.accountId gives an Atlassian account id (24 hex digits);
//   - anything else gives "ecoscan".
//
// Each placeholder is replaced on its own: "{a}/x/{b}" keeps "/x/", and two
// different placeholders in one template get different values (the second
// "ecoscan" becomes "ecoscan2", the second "ECO-1" "ECO-2"), while the same
// placeholder twice gets the same value. The result depends only on the
// template. A '{' that is not closed, a '{' inside a placeholder and a '}'
// without its '{' are errors that give their position (1-based, in
// characters).
func Expand(template string) (string, error) {
	var b strings.Builder
	byName := map[string]string{} // placeholder -> value
	taken := map[string]bool{}    // values given so far
	for i := 0; i < len(template); {
		switch template[i] {
		case '}':
			return "", fmt.Errorf("'}' at position %d closes no placeholder", charPos(template, i))
		case '{':
			end := strings.IndexAny(template[i+1:], "{}")
			if end < 0 {
				return "", fmt.Errorf("placeholder opened at position %d is not closed", charPos(template, i))
			}
			end += i + 1
			if template[end] == '{' {
				return "", fmt.Errorf("placeholder opened at position %d holds a '{' at position %d", charPos(template, i), charPos(template, end))
			}
			name := strings.TrimSpace(template[i+1 : end])
			v, ok := byName[name]
			if !ok {
				v = distinct(placeholderValue(name), taken)
				byName[name], taken[v] = v, true
			}
			b.WriteString(v)
			i = end + 1
		default:
			b.WriteByte(template[i])
			i++
		}
	}
	return b.String(), nil
}

// charPos is the 1-based character position of byte offset i in s.
func charPos(s string, i int) int {
	return utf8.RuneCountInString(s[:i]) + 1
}

// placeholderValue is the value of a placeholder, such as "issue.key", on its own.
func placeholderValue(name string) string {
	lower := strings.ToLower(name)
	rawField, object := name, ""
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		rawField, object = name[i+1:], name[:i]
		object = strings.ToLower(object[strings.LastIndexByte(object, '.')+1:])
	}
	field := strings.ToLower(rawField)
	switch {
	case strings.HasPrefix(lower, "condition."):
		return "true"
	case field == "key" && object == "issue", field == "issuekey", strings.HasSuffix(rawField, "IssueKey"):
		return "ECO-1"
	case field == "key" && (object == "project" || object == "space"),
		field == "projectkey", field == "spacekey", strings.HasSuffix(rawField, "ProjectKey"), strings.HasSuffix(rawField, "SpaceKey"):
		return "ECO"
	case field == "accountid":
		sum := sha256.Sum256([]byte(lower))
		return hex.EncodeToString(sum[:12])
	case field == "id" || strings.HasSuffix(rawField, "Id"):
		h := fnv.New32a()
		h.Write([]byte(lower))
		return strconv.FormatUint(uint64(10000+h.Sum32()%90000), 10)
	}
	return "ecoscan"
}

// distinct returns v, or, when another placeholder already has v, a variant
// of v that none has: the next number, the next issue key, or v with a
// counter. "true" is shared: every condition holds.
func distinct(v string, taken map[string]bool) string {
	if v == "true" {
		return v
	}
	prefix, n := v, 1
	if i := strings.LastIndexByte(v, '-'); i >= 0 {
		if k, err := strconv.Atoi(v[i+1:]); err == nil {
			prefix, n = v[:i+1], k
		}
	} else if k, err := strconv.Atoi(v); err == nil {
		prefix, n = "", k
	}
	for cand := v; ; {
		if !taken[cand] {
			return cand
		}
		n++
		cand = prefix + strconv.Itoa(n)
	}
}
