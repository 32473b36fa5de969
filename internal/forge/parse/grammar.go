package parse

import (
	"strings"
	"sync"
	"unsafe"

	sitter "github.com/tree-sitter/go-tree-sitter"
	tsjs "github.com/tree-sitter/tree-sitter-javascript/bindings/go"
	tsts "github.com/tree-sitter/tree-sitter-typescript/bindings/go"
)

// kind is a node type of the three grammars, as this package names it:
// the grammars number their symbols differently, so every grammar gets a
// table from its symbol ids to these constants.
type kind uint16

// Named node types (tree-sitter names in the comments where they differ).
const (
	kUnknown kind = iota // a named node type that is not listed here
	kIgnored             // an anonymous token that is not listed here
	kError               // ERROR

	kHashBang // hash_bang_line
	kComment  // comment, html_comment

	// statements
	kExpressionStatement
	kLexicalDeclaration
	kVariableDeclaration
	kUsingDeclaration
	kVariableDeclarator
	kFunctionDeclaration
	kGeneratorFunctionDeclaration
	kFunctionSignature
	kClassDeclaration
	kAbstractClassDeclaration
	kIfStatement
	kForStatement
	kForInStatement
	kWhileStatement
	kDoStatement
	kReturnStatement
	kThrowStatement
	kBreakStatement
	kContinueStatement
	kLabeledStatement
	kStatementBlock
	kSwitchStatement
	kSwitchCase
	kSwitchDefault
	kTryStatement
	kWithStatement
	kDebuggerStatement
	kEmptyStatement
	kImportStatement
	kImportClause
	kNamespaceImport
	kNamedImports
	kImportSpecifier
	kImportRequireClause
	kImportAlias
	kNestedIdentifier
	kExportStatement
	kExportClause
	kExportSpecifier
	kNamespaceExport
	kInterfaceDeclaration
	kTypeAliasDeclaration
	kEnumDeclaration
	kEnumAssignment
	kInternalModule // internal_module: `namespace N {}`
	kModule         // module: `module N {}`, `declare module 'm' {}`
	kAmbientDeclaration

	// expressions
	kIdentifier
	kShorthandPropertyIdentifier
	kShorthandPropertyIdentifierPattern
	kPrivatePropertyIdentifier
	kTypeIdentifier
	kThis
	kSuper
	kUndefined
	kImport // the `import` of `import(...)`
	kNumber
	kString
	kTemplateString
	kTemplateSubstitution
	kRegex
	kTrue
	kFalse
	kNull
	kMemberExpression
	kSubscriptExpression
	kCallExpression
	kNewExpression
	kSpreadElement
	kArrowFunction
	kFunctionExpression
	kGeneratorFunction
	kClass
	kClassHeritage
	kExtendsClause
	kClassStaticBlock
	kFieldDefinition       // field_definition (JavaScript)
	kPublicFieldDefinition // public_field_definition (TypeScript)
	kMethodDefinition
	kDecorator
	kRequiredParameter
	kOptionalParameter
	kAccessibilityModifier
	kObject
	kPair
	kComputedPropertyName
	kArray
	kBinaryExpression
	kUnaryExpression
	kUpdateExpression
	kAwaitExpression
	kYieldExpression
	kTernaryExpression
	kAssignmentExpression
	kAugmentedAssignmentExpression
	kSequenceExpression
	kParenthesizedExpression
	kAsExpression
	kSatisfiesExpression
	kNonNullExpression
	kTypeAssertion
	kInstantiationExpression
	kMetaProperty
	kJSXElement
	kJSXSelfClosingElement
	kJSXAttribute
	kJSXExpression

	// patterns
	kObjectPattern
	kPairPattern
	kObjectAssignmentPattern
	kArrayPattern
	kAssignmentPattern
	kRestPattern

	// anonymous tokens
	tAsync
	tStar
	tGet
	tSet
	tStatic
	tStaticGet // "static get", one token in the JavaScript grammar
	tType
	tDefault
	tEquals
	tComma
	tOptional // "?." directly in a TypeScript call
	tReadonly
	tDeclare
	tAbstract

	numKinds
)

// namedKinds maps the grammars' named node types to kinds.
var namedKinds = map[string]kind{
	"ERROR":                                 kError,
	"hash_bang_line":                        kHashBang,
	"comment":                               kComment,
	"html_comment":                          kComment,
	"expression_statement":                  kExpressionStatement,
	"lexical_declaration":                   kLexicalDeclaration,
	"variable_declaration":                  kVariableDeclaration,
	"using_declaration":                     kUsingDeclaration,
	"variable_declarator":                   kVariableDeclarator,
	"function_declaration":                  kFunctionDeclaration,
	"generator_function_declaration":        kGeneratorFunctionDeclaration,
	"function_signature":                    kFunctionSignature,
	"class_declaration":                     kClassDeclaration,
	"abstract_class_declaration":            kAbstractClassDeclaration,
	"if_statement":                          kIfStatement,
	"for_statement":                         kForStatement,
	"for_in_statement":                      kForInStatement,
	"while_statement":                       kWhileStatement,
	"do_statement":                          kDoStatement,
	"return_statement":                      kReturnStatement,
	"throw_statement":                       kThrowStatement,
	"break_statement":                       kBreakStatement,
	"continue_statement":                    kContinueStatement,
	"labeled_statement":                     kLabeledStatement,
	"statement_block":                       kStatementBlock,
	"switch_statement":                      kSwitchStatement,
	"switch_case":                           kSwitchCase,
	"switch_default":                        kSwitchDefault,
	"try_statement":                         kTryStatement,
	"with_statement":                        kWithStatement,
	"debugger_statement":                    kDebuggerStatement,
	"empty_statement":                       kEmptyStatement,
	"import_statement":                      kImportStatement,
	"import_clause":                         kImportClause,
	"namespace_import":                      kNamespaceImport,
	"named_imports":                         kNamedImports,
	"import_specifier":                      kImportSpecifier,
	"import_require_clause":                 kImportRequireClause,
	"import_alias":                          kImportAlias,
	"nested_identifier":                     kNestedIdentifier,
	"export_statement":                      kExportStatement,
	"export_clause":                         kExportClause,
	"export_specifier":                      kExportSpecifier,
	"namespace_export":                      kNamespaceExport,
	"interface_declaration":                 kInterfaceDeclaration,
	"type_alias_declaration":                kTypeAliasDeclaration,
	"enum_declaration":                      kEnumDeclaration,
	"enum_assignment":                       kEnumAssignment,
	"internal_module":                       kInternalModule,
	"module":                                kModule,
	"ambient_declaration":                   kAmbientDeclaration,
	"identifier":                            kIdentifier,
	"shorthand_property_identifier":         kShorthandPropertyIdentifier,
	"shorthand_property_identifier_pattern": kShorthandPropertyIdentifierPattern,
	"private_property_identifier":           kPrivatePropertyIdentifier,
	"type_identifier":                       kTypeIdentifier,
	"this":                                  kThis,
	"super":                                 kSuper,
	"undefined":                             kUndefined,
	"import":                                kImport,
	"number":                                kNumber,
	"string":                                kString,
	"template_string":                       kTemplateString,
	"template_substitution":                 kTemplateSubstitution,
	"regex":                                 kRegex,
	"true":                                  kTrue,
	"false":                                 kFalse,
	"null":                                  kNull,
	"member_expression":                     kMemberExpression,
	"subscript_expression":                  kSubscriptExpression,
	"call_expression":                       kCallExpression,
	"new_expression":                        kNewExpression,
	"spread_element":                        kSpreadElement,
	"arrow_function":                        kArrowFunction,
	"function_expression":                   kFunctionExpression,
	"generator_function":                    kGeneratorFunction,
	"class":                                 kClass,
	"class_heritage":                        kClassHeritage,
	"extends_clause":                        kExtendsClause,
	"class_static_block":                    kClassStaticBlock,
	"field_definition":                      kFieldDefinition,
	"public_field_definition":               kPublicFieldDefinition,
	"method_definition":                     kMethodDefinition,
	"decorator":                             kDecorator,
	"required_parameter":                    kRequiredParameter,
	"optional_parameter":                    kOptionalParameter,
	"accessibility_modifier":                kAccessibilityModifier,
	"object":                                kObject,
	"pair":                                  kPair,
	"computed_property_name":                kComputedPropertyName,
	"array":                                 kArray,
	"binary_expression":                     kBinaryExpression,
	"unary_expression":                      kUnaryExpression,
	"update_expression":                     kUpdateExpression,
	"await_expression":                      kAwaitExpression,
	"yield_expression":                      kYieldExpression,
	"ternary_expression":                    kTernaryExpression,
	"assignment_expression":                 kAssignmentExpression,
	"augmented_assignment_expression":       kAugmentedAssignmentExpression,
	"sequence_expression":                   kSequenceExpression,
	"parenthesized_expression":              kParenthesizedExpression,
	"as_expression":                         kAsExpression,
	"satisfies_expression":                  kSatisfiesExpression,
	"non_null_expression":                   kNonNullExpression,
	"type_assertion":                        kTypeAssertion,
	"instantiation_expression":              kInstantiationExpression,
	"meta_property":                         kMetaProperty,
	"jsx_element":                           kJSXElement,
	"jsx_self_closing_element":              kJSXSelfClosingElement,
	"jsx_attribute":                         kJSXAttribute,
	"jsx_expression":                        kJSXExpression,
	"object_pattern":                        kObjectPattern,
	"pair_pattern":                          kPairPattern,
	"object_assignment_pattern":             kObjectAssignmentPattern,
	"array_pattern":                         kArrayPattern,
	"assignment_pattern":                    kAssignmentPattern,
	"rest_pattern":                          kRestPattern,
}

// tokenKinds maps the anonymous tokens the lowering looks at to kinds.
// Other anonymous tokens are kept only when they fill a field (operators,
// declaration kinds), and then they are read by their text.
var tokenKinds = map[string]kind{
	"async":      tAsync,
	"*":          tStar,
	"get":        tGet,
	"set":        tSet,
	"static":     tStatic,
	"static get": tStaticGet,
	"type":       tType,
	"default":    tDefault,
	"=":          tEquals,
	",":          tComma,
	"?.":         tOptional,
	"readonly":   tReadonly,
	"declare":    tDeclare,
	"abstract":   tAbstract,
}

// field is a field name of the grammars, as this package numbers them.
type field uint8

// Field names. fOther is a field that is not listed here.
const (
	fNone field = iota
	fOther
	fAlias
	fAlternative
	fArgument
	fArguments
	fBody
	fCondition
	fConsequence
	fConstructor
	fDeclaration
	fDecorator
	fFinalizer
	fFunction
	fHandler
	fIncrement
	fIndex
	fInitializer
	fKey
	fKind
	fLabel
	fLeft
	fName
	fObject
	fOperator
	fOptionalChain
	fParameter
	fParameters
	fPattern
	fProperty
	fRight
	fSource
	fValue
	fAttribute
	fOpenTag
)

var fieldNames = map[string]field{
	"alias":          fAlias,
	"alternative":    fAlternative,
	"argument":       fArgument,
	"arguments":      fArguments,
	"body":           fBody,
	"condition":      fCondition,
	"consequence":    fConsequence,
	"constructor":    fConstructor,
	"declaration":    fDeclaration,
	"decorator":      fDecorator,
	"finalizer":      fFinalizer,
	"function":       fFunction,
	"handler":        fHandler,
	"increment":      fIncrement,
	"index":          fIndex,
	"initializer":    fInitializer,
	"key":            fKey,
	"kind":           fKind,
	"label":          fLabel,
	"left":           fLeft,
	"name":           fName,
	"object":         fObject,
	"operator":       fOperator,
	"optional_chain": fOptionalChain,
	"parameter":      fParameter,
	"parameters":     fParameters,
	"pattern":        fPattern,
	"property":       fProperty,
	"right":          fRight,
	"source":         fSource,
	"value":          fValue,
	"attribute":      fAttribute,
	"open_tag":       fOpenTag,
}

// symError is tree-sitter's symbol of ERROR nodes.
const symError = 0xFFFF

// grammar is one tree-sitter language with this package's tables for it.
type grammar struct {
	name   string
	ptr    unsafe.Pointer // the C TSLanguage
	lang   *sitter.Language
	kinds  []kind   // by symbol id
	keep   []uint8  // by symbol id: keepDrop, keepAlways or keepInField
	names  []string // tree-sitter node type by symbol id
	fields []field  // by field id
}

// kindOf is the kind of a symbol.
func (g *grammar) kindOf(sym uint16) kind {
	if int(sym) < len(g.kinds) {
		return g.kinds[sym]
	}
	if sym == symError {
		return kError
	}
	return kUnknown
}

// nameOf is the tree-sitter node type of a symbol.
func (g *grammar) nameOf(sym uint16) string {
	if int(sym) < len(g.names) {
		return g.names[sym]
	}
	if sym == symError {
		return "ERROR"
	}
	return "unknown"
}

func newGrammar(name string, ptr unsafe.Pointer) *grammar {
	lang := sitter.NewLanguage(ptr)
	g := &grammar{name: name, ptr: ptr, lang: lang}
	n := lang.NodeKindCount()
	g.kinds = make([]kind, n)
	g.keep = make([]uint8, n)
	g.names = make([]string, n)
	for id := range uint16(n) {
		name := lang.NodeKindForId(id)
		g.names[id] = name
		if !lang.NodeKindIsVisible(id) {
			g.kinds[id] = kIgnored
			continue
		}
		if lang.NodeKindIsNamed(id) {
			if k, ok := namedKinds[name]; ok {
				g.kinds[id] = k
			} else {
				g.kinds[id] = kUnknown
			}
			continue
		}
		if k, ok := tokenKinds[name]; ok {
			g.kinds[id] = k
		} else {
			g.kinds[id] = kIgnored
		}
	}
	for id, k := range g.kinds {
		switch {
		case k == kComment:
			g.keep[id] = keepDrop
		case k == kIgnored:
			g.keep[id] = keepInField
		default:
			g.keep[id] = keepAlways
		}
	}
	nf := lang.FieldCount()
	g.fields = make([]field, nf+1)
	for id := uint16(1); id <= uint16(nf); id++ {
		if f, ok := fieldNames[lang.FieldNameForId(id)]; ok {
			g.fields[id] = f
		} else {
			g.fields[id] = fOther
		}
	}
	return g
}

var (
	grammarsOnce                     sync.Once
	grammarJS, grammarTS, grammarTSX *grammar
)

func loadGrammars() {
	grammarsOnce.Do(func() {
		grammarJS = newGrammar("javascript", tsjs.Language())
		grammarTS = newGrammar("typescript", tsts.LanguageTypescript())
		grammarTSX = newGrammar("tsx", tsts.LanguageTSX())
	})
}

// sourceExts are the file name extensions that Dir parses.
var sourceExts = map[string]bool{
	".js": true, ".jsx": true, ".mjs": true, ".cjs": true,
	".ts": true, ".tsx": true, ".mts": true, ".cts": true,
}

// grammarFor chooses the grammar by the file name's extension; nil when the
// name is not a JavaScript or TypeScript source file.
func grammarFor(path string) *grammar {
	loadGrammars()
	i := strings.LastIndexByte(path, '.')
	if i < 0 {
		return nil
	}
	switch strings.ToLower(path[i:]) {
	case ".ts", ".mts", ".cts":
		return grammarTS
	case ".tsx":
		return grammarTSX
	case ".js", ".mjs", ".cjs", ".jsx":
		return grammarJS
	}
	return nil
}

// isDeclarationFile reports whether a file name is a TypeScript declaration
// file (*.d.ts, *.d.mts, *.d.cts), which holds no code.
func isDeclarationFile(name string) bool {
	lower := strings.ToLower(name)
	return strings.HasSuffix(lower, ".d.ts") || strings.HasSuffix(lower, ".d.mts") || strings.HasSuffix(lower, ".d.cts")
}
