package secrets

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp/syntax"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/zricethezav/gitleaks/v8/detect"
)

// plainLines and keywordLines are lines of ordinary JS/TS for generated
// trees. In npm's own JavaScript (6.5 MB) 3% of the lines hold a keyword of
// gitleaks' generic rule (key, token, auth, api, secret, password, ...);
// sourceLine uses keywordLines for 5% of its lines.
var plainLines = []string{
	"import Resolver from '@forge/resolver';",
	"import { useEffect, useState } from 'react';",
	"const resolver = new Resolver();",
	"export async function handler%d(event, context) {",
	"  const issueId = event.payload.issueId%d;",
	"  if (!res.ok) { throw new Error(`fetch failed: ${res.status}`); }",
	"  const data = await res.json();",
	"  return data.fields.summary.trim();",
	"}",
	"  this.items = this.items.filter((item) => item.id !== id);",
	"export const config%d = { retries: 3, timeoutMs: 5000 };",
	"function mapItems%d(items: Item[]): Record<string, number> {",
	"  return items.reduce((acc, item) => { acc[item.id] = item.count ?? 0; return acc; }, {});",
	"export type Props%d = { title: string; onSubmit: (value: string) => void };",
	"  for (let i = 0; i < list.length; i++) { total += list[i].value * weight; }",
	"  console.log('processed', list.length, 'items in', Date.now() - started, 'ms');",
	"export default function Component%d({ items, onChange }) {",
	"  const [state, setState] = useState(initialState);",
	"  /* translate the status into one of the three states the UI knows */",
	"  switch (status) { case 'done': return 2; case 'open': return 0; default: return 1; }",
	"resolver.define('getText%d', async ({ payload, context }) => ({ text: 'Hello' }));",
	"  const { data } = await axios.get(`${base}/items`, { params: { page, limit: 50 } });",
	"  // TODO: paginate when there are more than fifty results",
	"  return <List items={items} render={(i) => <Item id={i.id} {...i} />} />;",
	"",
}

var keywordLines = []string{
	"import api, { route } from '@forge/api';",
	"  const res = await api.asUser().requestJira(route`/rest/api/3/issue/${issueKey}`);",
	"const token = await getAccessToken(context.accountId);",
	"  const secret = await storage.getSecret('webhook-secret');",
	"  return <Row key={row.id} value={row.value} />;",
	"if (user.password !== undefined) delete user.password;",
	"const authHeader = `Bearer ${token}`;",
}

// sourceLine is one line of ordinary code.
func sourceLine(r *rand.Rand) string {
	s := plainLines[r.IntN(len(plainLines))]
	if r.IntN(20) == 0 {
		s = keywordLines[r.IntN(len(keywordLines))]
	}
	if strings.Contains(s, "%d") {
		s = fmt.Sprintf(s, r.IntN(1000))
	}
	return s
}

// writeSourceTree writes about total bytes of generated JS/TS files under
// dir, from 2 to 32 kB each, and returns the bytes written.
func writeSourceTree(tb testing.TB, dir string, total int) int64 {
	tb.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	var written int64
	for n := 0; written < int64(total); n++ {
		var b strings.Builder
		size := 2000 + r.IntN(30000)
		for b.Len() < size {
			b.WriteString(sourceLine(r))
			b.WriteByte('\n')
		}
		ext := []string{".js", ".ts", ".tsx", ".mjs"}[n%4]
		p := filepath.Join(dir, "src", fmt.Sprintf("m%02d", n%40), fmt.Sprintf("file%04d%s", n, ext))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
			tb.Fatal(err)
		}
		written += int64(b.Len())
	}
	return written
}

// BenchmarkScanTree scans a generated tree of about 20 MB of JS/TS.
func BenchmarkScanTree(b *testing.B) {
	dir := b.TempDir()
	n := writeSourceTree(b, dir, 20<<20)
	if _, err := loadEngine(); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(n)
	for b.Loop() {
		r, err := Scan(b.Context(), dir, Config{})
		if err != nil {
			b.Fatal(err)
		}
		if len(r.Findings()) != 0 || len(r.Errors()) != 0 {
			b.Fatalf("findings %d, errors %v", len(r.Findings()), r.Errors())
		}
	}
}

func mustParse(tb testing.TB, expr string) *syntax.Regexp {
	tb.Helper()
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		tb.Fatal(err)
	}
	return re
}

// BenchmarkScanTreeGitleaks is the comparison: the same tree through
// gitleaks' detector with every rule, on whole files, one detector per
// worker.
func BenchmarkScanTreeGitleaks(b *testing.B) {
	dir := b.TempDir()
	n := writeSourceTree(b, dir, 20<<20)
	e, err := loadEngine()
	if err != nil {
		b.Fatal(err)
	}
	var files []string
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(n)
	for b.Loop() {
		jobs := make(chan string)
		var wg sync.WaitGroup
		for range runtime.GOMAXPROCS(0) {
			wg.Go(func() {
				d := detect.NewDetector(e.book.gitleaks)
				for p := range jobs {
					content, err := os.ReadFile(p)
					if err != nil {
						b.Error(err)
						continue
					}
					detectIn(b.Context(), d, p, string(content))
				}
			})
		}
		for _, p := range files {
			jobs <- p
		}
		close(jobs)
		wg.Wait()
	}
}
