package resolve

import (
	_ "embed"
	"strings"
)

//go:embed builtins.txt
var builtinsTxt string

// builtins maps each Node.js builtin module name (without "node:") to
// whether it also resolves without the prefix.
var builtins = parseBuiltins(builtinsTxt)

func parseBuiltins(txt string) map[string]bool {
	m := map[string]bool{}
	for line := range strings.Lines(txt) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if name, ok := strings.CutPrefix(line, "node:"); ok {
			m[name] = false
		} else {
			m[line] = true
		}
	}
	return m
}

// builtin reports whether spec names a Node.js builtin module and returns
// its name without the "node:" prefix.
func builtin(spec string) (string, bool) {
	if name, ok := strings.CutPrefix(spec, "node:"); ok {
		_, known := builtins[name]
		return name, known
	}
	return spec, builtins[spec]
}
