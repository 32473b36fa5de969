package manifest

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
)

// modulesJSON is the table of module types (see its "about").
//
//go:embed modules.json
var modulesJSON []byte

// Roles of module types in modules.json.
const (
	roleFunction  = "function"
	roleWebtrig   = "webtrigger"
	roleScheduled = "scheduledTrigger"
	roleTrigger   = "trigger"
	roleConsumer  = "consumer"
	roleAction    = "action"
	roleAgent     = "agent"
	roleEndpoint  = "endpoint"
	roleAPIRoute  = "apiRoute"
	roleUI        = "ui"
	roleProduct   = "product"
)

// moduleType is an entry of modules.json.
type moduleType struct {
	Type      string `json:"type"`
	Role      string `json:"role"`
	Admin     bool   `json:"admin"`
	Invokable bool   `json:"invokable"`
	Source    string `json:"source"`
}

// moduleTypes are the known module types by type.
var moduleTypes = mustModuleTypes(modulesJSON)

func mustModuleTypes(data []byte) map[string]moduleType {
	m, err := parseModuleTypes(data)
	if err != nil {
		panic(fmt.Sprintf("manifest: embedded modules.json: %v", err))
	}
	return m
}

func parseModuleTypes(data []byte) (map[string]moduleType, error) {
	var table struct {
		Modules []moduleType `json:"modules"`
	}
	if err := json.Unmarshal(data, &table); err != nil {
		return nil, fmt.Errorf("decode module table: %w", err)
	}
	out := make(map[string]moduleType, len(table.Modules))
	for _, mt := range table.Modules {
		switch mt.Role {
		case roleFunction, roleWebtrig, roleScheduled, roleTrigger, roleConsumer, roleAction, roleAgent, roleEndpoint, roleAPIRoute, roleUI, roleProduct:
		default:
			return nil, fmt.Errorf("module type %q: unknown role %q", mt.Type, mt.Role)
		}
		if mt.Source == "" {
			return nil, fmt.Errorf("module type %q: no source", mt.Type)
		}
		if mt.Admin && mt.Role != roleUI {
			return nil, fmt.Errorf("module type %q: only UI modules are admin pages", mt.Type)
		}
		if mt.Invokable && mt.Role != roleProduct {
			return nil, fmt.Errorf("module type %q: invokable is for product modules", mt.Type)
		}
		if _, dup := out[mt.Type]; dup {
			return nil, fmt.Errorf("module type %q listed twice", mt.Type)
		}
		out[mt.Type] = mt
	}
	return out, nil
}

// productModule matches "<product>:<name>" module types: any of them with a
// resolver is a UI module, known or not.
var productModule = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9]*:[a-zA-Z][a-zA-Z0-9]*$`)

// uiSubviews are the keys under which a UI module names a UI Kit 1 function
// of its own (jira:customField edit.function, macro config.function): a
// function under any other key of a UI or product module (value.function,
// callback.function) is called by the product.
var uiSubviews = map[string]bool{"edit": true, "view": true, "config": true, "create": true, "contextConfig": true}

// refKind is what a reference in a module entry names.
type refKind int

const (
	refFunction         refKind = iota // function: K
	refResolverFunction                // resolver.function: K
	refEndpoint                        // resolver.endpoint: K, or endpoint: K
)

// ref is a reference to a function or endpoint in a module entry.
type ref struct {
	kind   refKind
	parent string // the key holding the reference ("" at the entry's top level; "value" for value.function)
	name   Value
}

// classification is what a reference makes of an entry.
type classification struct {
	kind         EntryKind
	invokable    bool
	unclassified bool // the module type is not in the table, or does not name functions this way
}

// classify tells what a reference of a module of type typ makes run.
func classify(typ string, r ref) classification {
	mt, known := moduleTypes[typ]
	if r.kind == refEndpoint {
		c := classification{kind: RemoteResolver, unclassified: !known && !productModule.MatchString(typ)}
		switch mt.Role {
		case roleUI, roleAction, roleAPIRoute:
			c.invokable = true
		case roleProduct:
			c.invokable = mt.Invokable
		}
		if !known && productModule.MatchString(typ) {
			c.invokable = true
		}
		return c
	}
	if !known {
		if r.kind == refResolverFunction && productModule.MatchString(typ) {
			return classification{kind: Resolver, invokable: true}
		}
		return classification{kind: Unknown, unclassified: true}
	}
	if r.kind == refResolverFunction {
		if mt.Role == roleConsumer {
			return classification{kind: QueueConsumer}
		}
		return classification{kind: Resolver, invokable: true}
	}
	if r.parent != "" {
		switch mt.Role {
		case roleUI, roleProduct:
			if uiSubviews[r.parent] {
				return classification{kind: FunctionUI, invokable: true}
			}
			return classification{kind: ModuleFunction}
		}
		return classification{kind: Unknown, unclassified: true}
	}
	switch mt.Role {
	case roleUI:
		return classification{kind: FunctionUI, invokable: true}
	case roleProduct:
		return classification{kind: ModuleFunction, invokable: mt.Invokable}
	case roleWebtrig:
		return classification{kind: WebTrigger, invokable: true}
	case roleScheduled:
		return classification{kind: ScheduledTrigger}
	case roleTrigger:
		return classification{kind: ProductTrigger}
	case roleConsumer:
		return classification{kind: QueueConsumer}
	case roleAction:
		return classification{kind: RovoAction, invokable: true}
	case roleAPIRoute:
		return classification{kind: APIRoute, invokable: true}
	}
	return classification{kind: Unknown, unclassified: true}
}

// entryFields are the fields kept in Entry.Fields per role: field name ->
// path in the module entry.
var entryFields = map[string][][2]string{
	roleWebtrig:   {{"response.type", "response.type"}},
	roleScheduled: {{"interval", "interval"}},
	roleTrigger:   {{"events", "events"}},
	roleConsumer:  {{"queue", "queue"}, {"method", "resolver.method"}},
	roleAction:    {{"actionVerb", "actionVerb"}},
	roleEndpoint: {
		{"remote", "remote"}, {"route.path", "route.path"},
		{"auth.appUserToken", "auth.appUserToken.enabled"}, {"auth.appSystemToken", "auth.appSystemToken.enabled"},
	},
	roleAPIRoute: {{"path", "path"}, {"operation", "operation"}},
	roleUI:       {{"resource", "resource"}, {"render", "render"}, {"unlicensedAccess", "unlicensedAccess"}},
}
