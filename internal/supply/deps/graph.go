package deps

import (
	"slices"
)

// depGraph is the dependency graph a lockfile records: the projects that
// import packages (roots: the root project and its workspaces) and the
// package instances, each with its dependencies. Formats that do not name
// their importers have no explicit roots; packages that nothing depends on
// stand for them.
type depGraph struct {
	nodes         []gnode
	explicitRoots bool
}

// gnode is one importer or package instance of a graph.
type gnode struct {
	label string // what a chain shows: "name@version", or the importer's name
	id    string // "name@version", shared with the extractor's packages; "" for importers only
	root  bool   // an importer
	line  int    // of the entry in the lockfile, 0 when unknown
	prod  []int  // dependencies installed for production
	dev   []int  // dependencies installed for development only
}

func (g *depGraph) add(n gnode) int {
	g.nodes = append(g.nodes, n)
	return len(g.nodes) - 1
}

func (g *depGraph) edge(from, to int, dev bool) {
	if from < 0 || to < 0 || from == to {
		return
	}
	if dev {
		g.nodes[from].dev = append(g.nodes[from].dev, to)
		return
	}
	g.nodes[from].prod = append(g.nodes[from].prod, to)
}

// graphInfo is what a graph tells of one package version ("name@version"),
// over all its instances.
type graphInfo struct {
	line    int      // the first line of its entries
	chain   []string // the shortest way from an importer, production first
	devOnly bool     // every instance is installed for development only
}

const (
	unvisited = -2
	isRoot    = -1
	maxChain  = 12 // elements of a chain shown before it is shortened
)

// summarize walks the graph from its roots, first along production edges,
// then along all edges: an instance reached only the second time is
// installed for development only. Instances no root reaches get their first
// dependent as a partial chain.
func (g *depGraph) summarize() map[string]*graphInfo {
	incoming := make([]int, len(g.nodes))
	firstParent := make([]int, len(g.nodes))
	for i := range firstParent {
		firstParent[i] = unvisited
	}
	for i, n := range g.nodes {
		for _, list := range [][]int{n.prod, n.dev} {
			for _, c := range list {
				incoming[c]++
				if firstParent[c] == unvisited {
					firstParent[c] = i
				}
			}
		}
	}
	var roots []int
	for i, n := range g.nodes {
		if n.root || (!g.explicitRoots && incoming[i] == 0) {
			roots = append(roots, i)
		}
	}
	prod := g.bfs(roots, false)
	all := g.bfs(roots, true)

	out := map[string]*graphInfo{}
	rank := map[string]int{} // 0 production chain, 1 development chain, 2 partial
	for i, n := range g.nodes {
		if n.id == "" {
			continue
		}
		var chain []string
		r, dev := 2, false
		switch {
		case prod.parent[i] != unvisited:
			chain, r = g.chain(prod, i), 0
		case all.parent[i] != unvisited:
			chain, r, dev = g.chain(all, i), 1, true
		case firstParent[i] != unvisited:
			chain = []string{"...", g.nodes[firstParent[i]].label, n.label}
		default:
			chain = []string{n.label}
		}
		info, seen := out[n.id]
		if !seen {
			out[n.id] = &graphInfo{line: n.line, chain: chain, devOnly: dev}
			rank[n.id] = r
			continue
		}
		if n.line > 0 && (info.line == 0 || n.line < info.line) {
			info.line = n.line
		}
		info.devOnly = info.devOnly && dev
		if r < rank[n.id] || (r == rank[n.id] && len(chain) < len(info.chain)) {
			info.chain, rank[n.id] = chain, r
		}
	}
	return out
}

// walk is the result of a breadth-first walk from the roots: for every node
// reached, the node it was first reached from (isRoot for the roots,
// unvisited for the rest), its depth, and its ancestor at depth 2, so that
// a long chain is shortened without walking all of it.
type walk struct {
	parent, depth, third []int
}

// bfs walks from the roots; development edges are followed only when
// withDev is set.
func (g *depGraph) bfs(roots []int, withDev bool) walk {
	w := walk{parent: make([]int, len(g.nodes)), depth: make([]int, len(g.nodes)), third: make([]int, len(g.nodes))}
	for i := range w.parent {
		w.parent[i] = unvisited
	}
	queue := make([]int, 0, len(g.nodes))
	for _, r := range roots {
		if w.parent[r] == unvisited {
			w.parent[r] = isRoot
			queue = append(queue, r)
		}
	}
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		visit := func(c int) {
			if w.parent[c] != unvisited {
				return
			}
			w.parent[c], w.depth[c] = i, w.depth[i]+1
			w.third[c] = w.third[i]
			if w.depth[c] == 2 {
				w.third[c] = c
			}
			queue = append(queue, c)
		}
		for _, c := range g.nodes[i].prod {
			visit(c)
		}
		if withDev {
			for _, c := range g.nodes[i].dev {
				visit(c)
			}
		}
	}
	return w
}

// chain is the way from a root to node i; a long one keeps its first three
// and last maxChain-4 elements around "...".
func (g *depGraph) chain(w walk, i int) []string {
	up := func(from, steps int) []string {
		var rev []string
		for j := from; j >= 0 && len(rev) < steps; j = w.parent[j] {
			rev = append(rev, g.nodes[j].label)
		}
		slices.Reverse(rev)
		return rev
	}
	if w.depth[i] < maxChain {
		return up(i, maxChain)
	}
	return slices.Concat(up(w.third[i], 3), []string{"..."}, up(i, maxChain-4))
}
