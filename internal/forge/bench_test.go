package forge

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// genApp writes a Forge app of about size bytes of TypeScript into dir:
// entries resolvers, each defining keys that call into a web of modules that
// import each other, with product calls, permission checks, branches,
// callbacks, classes and CommonJS files, as real apps have.
func genApp(tb testing.TB, dir string, size, entries int) (files int) {
	tb.Helper()
	var manifest strings.Builder
	manifest.WriteString("app:\n  id: ari:cloud:ecosystem::app/bench\n  runtime:\n    name: nodejs22.x\nmodules:\n  jira:issuePanel:\n")
	for i := range entries {
		fmt.Fprintf(&manifest, "    - key: panel-%d\n      title: Panel %d\n      resource: main\n      resolver:\n        function: resolver-%d\n", i, i, i)
	}
	manifest.WriteString("  function:\n")
	for i := range entries {
		fmt.Fprintf(&manifest, "    - key: resolver-%d\n      handler: entry%d.handler\n", i, i)
	}
	manifest.WriteString("resources:\n  - key: main\n    path: static/main\npermissions:\n  scopes:\n    - read:jira-work\n    - write:jira-work\n")
	write := func(name, text string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			tb.Fatal(err)
		}
		files++
	}
	write("manifest.yml", manifest.String())

	module := func(i, n int) string {
		var b strings.Builder
		fmt.Fprintf(&b, "import api, { route, authorize, storage } from '@forge/api';\n")
		fmt.Fprintf(&b, "import { helper%d } from './m%d';\nimport * as util from './m%d';\n\n", (i+1)%n, (i+1)%n, (i*7+3)%n)
		fmt.Fprintf(&b, "const jira = api.asApp();\nconst LIMIT_%d = %d;\n\n", i, i)
		fmt.Fprintf(&b, "export class Service%d {\n  constructor(private readonly prefix: string) {}\n", i)
		for m := range 4 {
			fmt.Fprintf(&b, "  async method%d(key: string, data: Record<string, unknown>) {\n", m)
			fmt.Fprintf(&b, "    const items = Object.keys(data).map((k) => `${this.prefix}-${k}`);\n")
			fmt.Fprintf(&b, "    for (const item of items) {\n      if (item.length > LIMIT_%d) {\n        continue;\n      }\n      await storage.set(`cache-${item}`, { key, at: Date.now() });\n    }\n", i)
			fmt.Fprintf(&b, "    switch (key.charAt(0)) {\n      case 'A':\n        return util.value%d(key);\n      default:\n        return items.length;\n    }\n  }\n", m%2)
		}
		b.WriteString("}\n\n")
		fmt.Fprintf(&b, "export async function helper%d(key: string) {\n", i)
		b.WriteString("  const allowed = await authorize().onJiraIssue(key).canEdit();\n  if (!allowed) {\n    throw new Error('forbidden');\n  }\n")
		b.WriteString("  try {\n    const res = await jira.requestJira(route`/rest/api/3/issue/${key}`, { method: 'PUT', body: JSON.stringify({ key }) });\n    return res.json();\n  } catch (e) {\n    console.error('update failed', e);\n    return null;\n  }\n}\n\n")
		for v := range 2 {
			fmt.Fprintf(&b, "export function value%d(key: string): string {\n  const parts = key.split('-');\n  return parts.length > %d ? `${parts[0]}:${parts[1]}` : key.toUpperCase();\n}\n\n", v, v+1)
		}
		// Filler that looks like the rest of an app: data tables and formatting code.
		fmt.Fprintf(&b, "export const labels%d = {\n", i)
		for k := range 40 {
			fmt.Fprintf(&b, "  label%d: 'Label number %d of module %d',\n", k, k, i)
		}
		b.WriteString("};\n\n")
		fmt.Fprintf(&b, "export function format%d(rows: Array<{ id: string; n: number }>) {\n  return rows\n    .filter((r) => r.n > 0)\n    .map((r) => ({ ...r, label: labels%d[`label${r.n %% 40}`] ?? r.id }))\n    .sort((a, b) => a.n - b.n);\n}\n", i, i)
		return b.String()
	}
	one := len(module(0, 1000))
	n := max(size/one, 2)
	for i := range n {
		write(fmt.Sprintf("src/m%d.ts", i), module(i, n))
	}
	for e := range entries {
		var b strings.Builder
		b.WriteString("import Resolver from '@forge/resolver';\n")
		for k := range 5 {
			fmt.Fprintf(&b, "import { helper%d, Service%d } from './m%d';\n", (e*5+k)%n, (e*5+k)%n, (e*5+k)%n)
		}
		b.WriteString("\nconst resolver = new Resolver();\n\n")
		for k := range 5 {
			m := (e*5 + k) % n
			fmt.Fprintf(&b, "resolver.define('key%d', async ({ payload }) => {\n  const svc = new Service%d('p');\n  await svc.method%d(payload.key, payload.data);\n  return helper%d(payload.key);\n});\n\n", k, m, k%4, m)
		}
		b.WriteString("export const handler = resolver.getDefinitions();\n")
		write(fmt.Sprintf("src/entry%d.ts", e), b.String())
	}
	return files
}

func benchmarkScan(b *testing.B, size, entries int) {
	dir := b.TempDir()
	files := genApp(b, dir, size, entries)
	var total int64
	_ = filepath.WalkDir(dir, func(_ string, d os.DirEntry, _ error) error {
		if info, err := d.Info(); err == nil && !d.IsDir() {
			total += info.Size()
		}
		return nil
	})
	b.ReportMetric(float64(files), "files")
	b.ReportMetric(float64(total)/1e6, "MB")
	b.ResetTimer()
	for range b.N {
		rep, err := Scan(context.Background(), dir, Options{Version: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		if len(rep.Errors) > 0 {
			b.Fatalf("errors: %v", rep.Errors[0])
		}
	}
}

// BenchmarkScan10MB is the speed target: a 10 MB source tree in under
// 10 s on 2 cores and under 1 GB of memory (run with -benchmem and watch
// the peak RSS, e.g. with /usr/bin/time -v).
func BenchmarkScan10MB(b *testing.B) { benchmarkScan(b, 10_000_000, 40) }

// BenchmarkScanTypical is a typical app: about 50 files, in under 1 s.
func BenchmarkScanTypical(b *testing.B) { benchmarkScan(b, 250_000, 5) }
