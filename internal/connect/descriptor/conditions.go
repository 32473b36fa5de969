package descriptor

import (
	"strings"
)

// truth is a three-valued (Kleene) truth value.
type truth int8

const (
	unknown truth = iota
	yes
	no
)

func (t truth) not() truth {
	switch t {
	case yes:
		return no
	case no:
		return yes
	}
	return unknown
}

// adminConditions are the conditions that are false for a user who is not an
// administrator.
var adminConditions = map[string]bool{
	"user_is_admin":                    true,
	"user_is_sysadmin":                 true,
	"user_is_confluence_administrator": true,
}

// adminPermissions are the Jira global permissions only administrators have,
// as tested by has_global_permission.
var adminPermissions = map[string]bool{"ADMINISTER": true, "SYSTEM_ADMIN": true}

// RequiresAdmin reports whether a module entry's conditions (the decoded
// value of its "conditions") keep a user who is not an administrator out, and
// if so why, such as "condition user_is_admin".
//
// The conditions are evaluated in three-valued logic for such a user:
// user_is_admin, user_is_sysadmin, user_is_confluence_administrator and
// has_global_permission with ADMINISTER or SYSTEM_ADMIN are false, every other
// condition is unknown; "invert": true negates; {"and": [...]}, {"or": [...]}
// and the legacy {"type": "and"|"or", "conditions": [...]} nest; a list is
// "and". Only a result that is definitely false means admin-only. Conditions
// run in the browser and protect nothing: an admin-only URL is a target for
// the authorization probes, not a safe one.
func RequiresAdmin(conditions any) (bool, string) {
	if t, why := evaluate(conditions, 0); t == no {
		return true, "condition " + why
	}
	return false, ""
}

// evaluate gives the truth of a condition (or list of them) for a user who is
// not an admin and, when it is definite, a description that says why.
func evaluate(c any, depth int) (truth, string) {
	if depth > maxDepth {
		return unknown, ""
	}
	switch t := c.(type) {
	case nil:
		return yes, "none"
	case []any:
		return combine(t, true, depth)
	case map[string]any:
		v, why := evaluateOne(t, depth)
		if inv, _ := t["invert"].(bool); inv || t["invert"] == "true" {
			return v.not(), negate(why)
		}
		return v, why
	}
	return unknown, ""
}

// negate describes the negation of a condition described by why: "not x"
// for a single condition (and "x" for "not x"), "not (...)" for the rest.
func negate(why string) string {
	if strings.ContainsAny(why, "()") || strings.Contains(why, " and ") || strings.Contains(why, " or ") {
		return "not (" + why + ")"
	}
	if rest, ok := strings.CutPrefix(why, "not "); ok {
		return rest
	}
	return "not " + why
}

// evaluateOne evaluates one condition object, before any invert.
func evaluateOne(m map[string]any, depth int) (truth, string) {
	if list, ok := m["and"].([]any); ok {
		return combine(list, true, depth)
	}
	if list, ok := m["or"].([]any); ok {
		return combine(list, false, depth)
	}
	if kind, ok := m["type"].(string); ok {
		if list, ok := m["conditions"].([]any); ok {
			switch strings.ToLower(kind) {
			case "and":
				return combine(list, true, depth)
			case "or":
				return combine(list, false, depth)
			}
		}
	}
	name, ok := m["condition"].(string)
	if !ok {
		return unknown, ""
	}
	name = strings.ToLower(strings.TrimSpace(name))
	if adminConditions[name] {
		return no, name
	}
	if name == "has_global_permission" {
		params, _ := m["params"].(map[string]any)
		if p, _ := params["permission"].(string); adminPermissions[strings.ToUpper(p)] {
			return no, name + " " + strings.ToUpper(p)
		}
	}
	return unknown, name
}

// combine evaluates a list with "and" (all) or "or". An empty list holds.
func combine(list []any, all bool, depth int) (truth, string) {
	if len(list) == 0 {
		return yes, "none"
	}
	op, decisive := " or ", yes // the value that decides the list alone
	if all {
		op, decisive = " and ", no
	}
	result := decisive.not()
	var whys []string
	for _, c := range list {
		v, why := evaluate(c, depth+1)
		switch {
		case v == decisive:
			return v, why
		case v == unknown:
			result = unknown
		default:
			whys = append(whys, why)
		}
	}
	if result == unknown {
		return unknown, ""
	}
	return result, strings.Join(whys, op)
}
