package secrets

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxManifestDepth bounds the walk of a manifest's YAML tree (and of the
// aliases it follows).
const maxManifestDepth = 64

// manifestCheck finds, in a Forge manifest, keys named like secrets whose
// values are literal, in the sections that configure the app (environment,
// providers). It is the structural rule "forge-manifest" of rules.toml: the
// YAML walk is code, the names and patterns are the rule's data.
type manifestCheck struct {
	id           string
	path         *regexp.Regexp // which files are manifests
	sections     []string       // top-level keys to look in
	names        *regexp.Regexp // a key that names a secret
	notNames     *regexp.Regexp // ... unless it names something else
	templated    *regexp.Regexp // a value filled in from elsewhere
	placeholders *regexp.Regexp // a value that only stands in for one
}

func newManifestCheck(d *ruleData) (*manifestCheck, error) {
	m := &manifestCheck{id: d.ID, sections: d.Sections}
	if len(m.sections) == 0 {
		return nil, errors.New("no sections")
	}
	for _, p := range []struct {
		dst  **regexp.Regexp
		key  string
		expr string
	}{
		{&m.path, "path", d.Path},
		{&m.names, "names", d.Names},
		{&m.notNames, "notNames", d.NotNames},
		{&m.templated, "templated", d.Templated},
		{&m.placeholders, "placeholders", d.Placeholders},
	} {
		if p.expr == "" {
			return nil, fmt.Errorf("no %s", p.key)
		}
		re, err := regexp.Compile(p.expr)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.key, err)
		}
		*p.dst = re
	}
	return m, nil
}

// applies reports whether the file at path (relative, with slashes) is a
// manifest.
func (m *manifestCheck) applies(path string) bool { return m.path.MatchString(path) }

// manifestValue is a literal secret found in a manifest: its text and the
// position of its node (lines and columns from 1, columns in characters).
type manifestValue struct {
	secret       string
	line, column int
}

// find returns the literal secrets of a manifest. A manifest that is not
// YAML has none here: the Forge checks report why it does not parse.
func (m *manifestCheck) find(content []byte) (out []manifestValue) {
	var doc yaml.Node
	if err := unmarshalYAML(content, &doc); err != nil || len(doc.Content) == 0 {
		return nil
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(top.Content); i += 2 {
		if slices.Contains(m.sections, top.Content[i].Value) {
			m.walk(top.Content[i+1], 0, &out)
		}
	}
	return out
}

// unmarshalYAML is yaml.Unmarshal that turns a panic of the parser on
// hostile input into an error.
func unmarshalYAML(content []byte, doc *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml parser: %v", r)
		}
	}()
	return yaml.Unmarshal(content, doc)
}

func (m *manifestCheck) walk(n *yaml.Node, depth int, out *[]manifestValue) {
	if n == nil || depth > maxManifestDepth {
		return
	}
	switch n.Kind {
	case yaml.AliasNode:
		m.walk(n.Alias, depth+1, out)
	case yaml.SequenceNode:
		for _, c := range n.Content {
			m.walk(c, depth+1, out)
		}
	case yaml.MappingNode:
		var key, def *yaml.Node // an environment variable: {key: NAME, default: value}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			switch k.Value {
			case "key":
				key = v
			case "default":
				def = v
			}
			if m.secretName(k.Value) {
				m.literal(v, out)
			}
			m.walk(v, depth+1, out)
		}
		if key != nil && def != nil && key.Kind == yaml.ScalarNode && m.secretName(key.Value) {
			m.literal(def, out)
		}
	}
}

// secretName reports whether a key or variable name says it holds a secret.
func (m *manifestCheck) secretName(name string) bool {
	return m.names.MatchString(name) && !m.notNames.MatchString(name)
}

// literal adds v when it is a literal value: a non-empty scalar that is not
// null or a boolean, not templated and not a placeholder.
func (m *manifestCheck) literal(v *yaml.Node, out *[]manifestValue) {
	if v.Kind == yaml.AliasNode && v.Alias != nil {
		v = v.Alias
	}
	if v.Kind != yaml.ScalarNode || v.Tag == "!!null" || v.Tag == "!!bool" {
		return
	}
	s := strings.TrimSpace(v.Value)
	if s == "" || m.templated.MatchString(s) || m.placeholders.MatchString(s) {
		return
	}
	col := v.Column
	if v.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		col++
	}
	*out = append(*out, manifestValue{secret: v.Value, line: v.Line, column: col})
}
