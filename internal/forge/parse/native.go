package parse

/*
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

// Declarations of tree-sitter's public C API (tree_sitter/api.h, v0.25),
// whose implementation github.com/tree-sitter/go-tree-sitter compiles in.
typedef uint16_t TSSymbol;
typedef uint16_t TSFieldId;
typedef struct TSParser TSParser;
typedef struct TSTree TSTree;
typedef struct TSLanguage TSLanguage;
typedef struct TSPoint { uint32_t row; uint32_t column; } TSPoint;
typedef struct TSNode { uint32_t context[4]; const void *id; const TSTree *tree; } TSNode;
typedef struct TSTreeCursor { const void *tree; const void *id; uint32_t context[3]; } TSTreeCursor;
typedef enum TSInputEncoding { TSInputEncodingUTF8, TSInputEncodingUTF16LE, TSInputEncodingUTF16BE, TSInputEncodingCustom } TSInputEncoding;
typedef uint32_t (*DecodeFunction)(const uint8_t *string, uint32_t length, int32_t *code_point);
typedef struct TSInput {
	void *payload;
	const char *(*read)(void *payload, uint32_t byte_index, TSPoint position, uint32_t *bytes_read);
	TSInputEncoding encoding;
	DecodeFunction decode;
} TSInput;
typedef struct TSParseState { void *payload; uint32_t current_byte_offset; bool has_error; } TSParseState;
typedef struct TSParseOptions { void *payload; bool (*progress_callback)(TSParseState *state); } TSParseOptions;

TSParser *ts_parser_new(void);
void ts_parser_delete(TSParser *self);
bool ts_parser_set_language(TSParser *self, const TSLanguage *language);
TSTree *ts_parser_parse_with_options(TSParser *self, const TSTree *old_tree, TSInput input, TSParseOptions parse_options);
void ts_parser_reset(TSParser *self);
void ts_tree_delete(TSTree *self);
TSNode ts_tree_root_node(const TSTree *self);
TSSymbol ts_node_symbol(TSNode self);
uint32_t ts_node_start_byte(TSNode self);
uint32_t ts_node_end_byte(TSNode self);
bool ts_node_is_missing(TSNode self);
bool ts_node_has_error(TSNode self);
uint32_t ts_node_descendant_count(TSNode self);
TSTreeCursor ts_tree_cursor_new(TSNode node);
void ts_tree_cursor_delete(TSTreeCursor *self);
TSNode ts_tree_cursor_current_node(const TSTreeCursor *self);
TSFieldId ts_tree_cursor_current_field_id(const TSTreeCursor *self);
bool ts_tree_cursor_goto_parent(TSTreeCursor *self);
bool ts_tree_cursor_goto_next_sibling(TSTreeCursor *self);
bool ts_tree_cursor_goto_first_child(TSTreeCursor *self);
void ts_set_allocator(void *(*new_malloc)(size_t), void *(*new_calloc)(size_t, size_t),
	void *(*new_realloc)(void *, size_t), void (*new_free)(void *));

enum { ECO_OK = 0, ECO_TIMEOUT = 1, ECO_CANCELED = 2, ECO_FAILED = 3 };

// eco_job is one parse: its input, its limits, and its outcome.
typedef struct {
	TSParser *parser;
	const char *src;
	uint32_t len;
	int64_t deadline_ns;      // CLOCK_MONOTONIC
	const int32_t *canceled;  // set to 1 by Go when the context ends
	TSTree *tree;
	int status;
} eco_job;

static int64_t eco_now_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static const char *eco_read(void *payload, uint32_t byte_index, TSPoint position, uint32_t *bytes_read) {
	eco_job *j = payload;
	(void)position;
	if (byte_index >= j->len) {
		*bytes_read = 0;
		return "";
	}
	*bytes_read = j->len - byte_index;
	return j->src + byte_index;
}

static bool eco_progress(TSParseState *state) {
	eco_job *j = state->payload;
	if (__atomic_load_n(j->canceled, __ATOMIC_RELAXED)) {
		j->status = ECO_CANCELED;
		return true;
	}
	if (eco_now_ns() > j->deadline_ns) {
		j->status = ECO_TIMEOUT;
		return true;
	}
	return false;
}

static void *eco_run(void *arg) {
	eco_job *j = arg;
	TSInput input = {j, eco_read, TSInputEncodingUTF8, NULL};
	TSParseOptions options = {j, eco_progress};
	j->tree = ts_parser_parse_with_options(j->parser, NULL, input, options);
	if (j->tree == NULL) {
		// A stopped parse would resume on the next call; releasing its
		// stack recurses as deep as the input nests, hence this thread.
		ts_parser_reset(j->parser);
		if (j->status == ECO_OK) j->status = ECO_FAILED;
	}
	return NULL;
}

// eco_parse runs the parse on a thread of its own with a stack of the given
// size, and waits for it. It returns 0, or the error of pthread_create.
static int eco_parse(eco_job *j, int64_t budget_ns, size_t stack) {
	j->deadline_ns = eco_now_ns() + budget_ns;
	pthread_attr_t attr;
	int err = pthread_attr_init(&attr);
	if (err) return err;
	err = pthread_attr_setstacksize(&attr, stack);
	pthread_t t;
	if (!err) err = pthread_create(&t, &attr, eco_run, j);
	pthread_attr_destroy(&attr);
	if (err) return err;
	return pthread_join(t, NULL);
}

// eco_node has the layout of the Go type node.
typedef struct {
	uint16_t sym;
	uint8_t field;
	uint8_t flags;
	uint32_t start;
	uint32_t end;
	int32_t skip;
} eco_node;

enum { ECO_DROP = 0, ECO_KEEP = 1, ECO_KEEP_IN_FIELD = 2, ECO_FIELD_OTHER = 1, ECO_MISSING = 1 };

static uint32_t eco_count(const TSTree *tree) {
	return ts_node_descendant_count(ts_tree_root_node(tree));
}

// eco_flatten copies the tree into out in pre-order: see the Go method
// flatten. keep says, per symbol, whether a node is copied; fields maps
// field ids to the Go field constants; MISSING nodes are always copied.
// It returns the number of nodes
// written, -1 when out is too small, -2 when memory ran out.
static int64_t eco_flatten(const TSTree *tree, eco_node *out, int64_t cap,
		const uint8_t *keep, uint32_t nsym, const uint8_t *fields, uint32_t nfield, bool *has_error) {
	if (cap < 1) return -1;
	TSNode root = ts_tree_root_node(tree);
	*has_error = ts_node_has_error(root);
	out[0] = (eco_node){ts_node_symbol(root), 0, 0, ts_node_start_byte(root), ts_node_end_byte(root), 1};
	int64_t n = 1;
	TSTreeCursor cur = ts_tree_cursor_new(root);
	if (!ts_tree_cursor_goto_first_child(&cur)) {
		ts_tree_cursor_delete(&cur);
		return n;
	}
	size_t depth = 0, scap = 256;
	int32_t *stack = malloc(scap * sizeof *stack);
	if (stack == NULL) {
		ts_tree_cursor_delete(&cur);
		return -2;
	}
	stack[depth++] = 0;
	for (;;) {
		TSNode node = ts_tree_cursor_current_node(&cur);
		TSSymbol sym = ts_node_symbol(node);
		TSFieldId fid = ts_tree_cursor_current_field_id(&cur);
		uint8_t k = sym < nsym ? keep[sym] : ECO_KEEP;
		bool missing = *has_error && ts_node_is_missing(node);
		if (k == ECO_KEEP || (k == ECO_KEEP_IN_FIELD && fid != 0) || missing) {
			if (n >= cap) {
				n = -1;
				break;
			}
			int32_t idx = (int32_t)n++;
			eco_node *e = &out[idx];
			e->sym = sym;
			e->field = fid < nfield ? fields[fid] : ECO_FIELD_OTHER;
			e->flags = 0;
			e->start = ts_node_start_byte(node);
			e->end = ts_node_end_byte(node);
			e->skip = idx + 1;
			if (missing) e->flags |= ECO_MISSING;
			if (ts_tree_cursor_goto_first_child(&cur)) {
				if (depth == scap) {
					int32_t *grown = realloc(stack, 2 * scap * sizeof *stack);
					if (grown == NULL) {
						n = -2;
						break;
					}
					stack = grown;
					scap *= 2;
				}
				stack[depth++] = idx;
				continue;
			}
		}
		while (depth > 0 && !ts_tree_cursor_goto_next_sibling(&cur)) {
			ts_tree_cursor_goto_parent(&cur);
			out[stack[--depth]].skip = (int32_t)n;
		}
		if (depth == 0) break;
	}
	free(stack);
	ts_tree_cursor_delete(&cur);
	return n;
}
*/
import "C"

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// The C code writes node values: the layouts must agree, which these
// declarations check at compile time.
var (
	_ [unsafe.Sizeof(node{}) - unsafe.Sizeof(C.eco_node{})]byte
	_ [unsafe.Sizeof(C.eco_node{}) - unsafe.Sizeof(node{})]byte
	_ [unsafe.Offsetof(node{}.skip) - unsafe.Offsetof(C.eco_node{}.skip)]byte
	_ [unsafe.Offsetof(C.eco_node{}.skip) - unsafe.Offsetof(node{}.skip)]byte
)

// Values of grammar.keep (as in the C code).
const (
	keepDrop    = 0
	keepAlways  = 1
	keepInField = 2
)

// go-tree-sitter installs allocation functions that call from C into Go
// and back into C.malloc for every allocation the parser makes; measured,
// the round trips cost more than the parse, and they would tie the parse
// thread to the Go runtime. Tree-sitter's default allocator (libc malloc,
// calloc, realloc and free, aborting when memory runs out) works on the
// same heap as C.malloc, so memory already allocated and memory the binding
// frees with C.free stay compatible, as api.h requires of a change of
// allocator.
func init() {
	C.ts_set_allocator(nil, nil, nil, nil)
}

// parseStack is the stack size of the thread a parse runs on. Tree-sitter
// recurses while it releases the parse stack of a stopped or ambiguous
// parse, as deep as the input nests (about a hundred bytes per level,
// and up to a level per three bytes of input: 100,000 nested `{a:` overflow
// an 8 MiB thread stack). The stack is reserved address space; only what
// the recursion touches is backed by memory.
func parseStack(n int) C.size_t {
	const pageRound = 1<<16 - 1
	size := 16<<20 + 64*n
	return C.size_t((size + pageRound) &^ pageRound)
}

// tsParser is a tree-sitter parser.
type tsParser = C.TSParser

// tsFor is the worker's tree-sitter parser for a grammar, created on first
// use.
func (p *parser) tsFor(g *grammar) (*C.TSParser, error) {
	if tp := p.ts[g]; tp != nil {
		return tp, nil
	}
	tp := C.ts_parser_new()
	if !C.ts_parser_set_language(tp, (*C.TSLanguage)(g.ptr)) {
		C.ts_parser_delete(tp)
		return nil, fmt.Errorf("load the %s grammar: its ABI version is not supported by the tree-sitter library", g.name)
	}
	p.ts[g] = tp
	return tp, nil
}

// Close frees the tree-sitter parsers.
func (p *parser) Close() {
	for _, tp := range p.ts {
		C.ts_parser_delete(tp)
	}
	p.ts = nil
}

// parse parses src with g within the time budget and flattens the tree.
// The returned cst's nodes alias the parser's buffer: they are valid until
// the next parse.
func (p *parser) parse(ctx context.Context, g *grammar, src []byte, budget time.Duration) (*cst, error) {
	tp, err := p.tsFor(g)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("parse canceled: %w", err)
	}
	job := (*C.eco_job)(C.calloc(1, C.size_t(unsafe.Sizeof(C.eco_job{}))))
	if job == nil {
		return nil, fmt.Errorf("parse: out of memory")
	}
	defer C.free(unsafe.Pointer(job))
	// The parse thread reads src and the cancel flag while this goroutine
	// waits in eco_parse: both are pinned for that time.
	var pin runtime.Pinner
	defer pin.Unpin()
	canceled := new(int32)
	pin.Pin(canceled)
	if len(src) > 0 {
		pin.Pin(&src[0])
		job.src = (*C.char)(unsafe.Pointer(&src[0]))
	}
	job.parser = tp
	job.len = C.uint32_t(len(src))
	job.canceled = (*C.int32_t)(unsafe.Pointer(canceled))
	stop := context.AfterFunc(ctx, func() { atomic.StoreInt32(canceled, 1) })
	defer stop()

	if rc := C.eco_parse(job, C.int64_t(budget.Nanoseconds()), parseStack(len(src))); rc != 0 {
		return nil, fmt.Errorf("start a parser thread: %w", syscall.Errno(rc))
	}
	switch job.status {
	case C.ECO_TIMEOUT:
		return nil, ErrTimeout
	case C.ECO_CANCELED:
		return nil, fmt.Errorf("parse canceled: %w", context.Cause(ctx))
	case C.ECO_FAILED:
		return nil, fmt.Errorf("tree-sitter returned no tree for the %s grammar", g.name)
	}
	defer C.ts_tree_delete(job.tree)
	c := &cst{g: g, src: src}
	if err := p.flatten(c, job.tree); err != nil {
		return nil, err
	}
	return c, nil
}

// flatten copies the tree into p.nodes in pre-order in one call into C (a
// cursor walk; a cgo call per node would cost more than the parse).
// Comments, and anonymous tokens that neither fill a field nor are among
// the tokens the lowering reads, are left out.
func (p *parser) flatten(c *cst, tree *C.TSTree) error {
	want := int(C.eco_count(tree))
	if cap(p.nodes) < want {
		p.nodes = make([]node, want)
	}
	buf := p.nodes[:cap(p.nodes)]
	g := c.g
	var hasError C.bool
	n := C.eco_flatten(tree, (*C.eco_node)(unsafe.Pointer(&buf[0])), C.int64_t(len(buf)),
		(*C.uint8_t)(unsafe.Pointer(&g.keep[0])), C.uint32_t(len(g.keep)),
		(*C.uint8_t)(unsafe.Pointer(&g.fields[0])), C.uint32_t(len(g.fields)), &hasError)
	if n < 0 {
		// -1 cannot happen: the buffer holds every node of the tree
		return fmt.Errorf("copy the syntax tree: out of memory")
	}
	c.nodes = buf[:n]
	c.hasError = bool(hasError)
	return nil
}
