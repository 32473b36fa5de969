package parse

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The generators below write realistic Forge app code (resolvers, product
// API calls, classes, React components, utilities) for benchmarks and
// stress tests.

// tsUnits are pieces of a TypeScript module; %[1]d is a unique number.
var tsUnits = []string{
	`
export interface Issue%[1]d {
  key: string;
  fields: { summary: string; labels?: string[]; assignee?: { accountId: string } | null };
  readonly changelog?: Array<{ id: string; items: Record<string, unknown>[] }>;
}

type Handler%[1]d<T = unknown> = (req: { payload: T; context: Context }) => Promise<Response | void>;
`,
	`
resolver.define('getIssue%[1]d', async ({ payload, context }: { payload: { key: string }; context: any }) => {
  const res = await api.asUser().requestJira(route` + "`/rest/api/3/issue/${payload.key}?fields=summary,labels`" + `, {
    headers: { Accept: 'application/json' },
  });
  if (!res.ok) {
    console.error(` + "`failed to load ${payload.key}: ${res.status}`" + `);
    throw new Error(` + "`request failed with ${res.status}`" + `);
  }
  const body = (await res.json()) as Issue%[1]d;
  return { key: body.key, summary: body.fields?.summary ?? '', account: context.accountId };
});
`,
	`
export class Store%[1]d<T extends { id: string }> extends BaseStore<T> {
  private static instance?: Store%[1]d<any>;
  #cache = new Map<string, T>();
  protected ttl = 60_000;

  constructor(private readonly prefix: string, public limit = 100) {
    super(prefix);
  }

  async get(id: string): Promise<T | undefined> {
    if (this.#cache.has(id)) return this.#cache.get(id);
    const value = await storage.get(` + "`${this.prefix}:${id}`" + `);
    if (value) this.#cache.set(id, value as T);
    return value as T | undefined;
  }

  async put(item: T): Promise<void> {
    this.#cache.set(item.id, item);
    await storage.set(` + "`${this.prefix}:${item.id}`" + `, item);
  }

  static shared(): Store%[1]d<any> {
    return (Store%[1]d.instance ??= new Store%[1]d('shared'));
  }
}
`,
	`
export function summarise%[1]d(items: Array<{ status: string; points?: number }>, opts: Options = {}): Summary {
  const out: Summary = { open: 0, done: 0, points: 0 };
  for (const item of items) {
    switch (item.status) {
      case 'Done':
      case 'Closed':
        out.done++;
        break;
      default:
        out.open += 1;
    }
    out.points += item.points || 0;
  }
  for (let i = 0; i < opts.rounds!; i++) {
    try {
      out.points = Math.round(out.points * 100) / 100;
    } catch (e: unknown) {
      logger.warn('rounding failed', e);
    } finally {
      out.rounds = i;
    }
  }
  const { open, done, ...rest } = out;
  return { ...rest, open, done, ratio: done / Math.max(1, open + done) };
}
`,
	`
export const config%[1]d = {
  name: "app-%[1]d",
  retries: [100, 250, 500, 1000],
  endpoints: {
    search: '/rest/api/3/search?jql=project%%3DABC',
    users: "/rest/api/3/users/search",
    pages: ` + "`/wiki/api/v2/pages?limit=${25}`" + `,
  },
  enabled: true,
  pattern: /^[A-Z][A-Z0-9]+-\d+$/u,
  message: 'Line one\nLine two\t\u00e9\x41',
} as const;

export enum Level%[1]d { Low, Medium = 5, High, Critical = 'critical' }
`,
	`
export const handler%[1]d = async (event: WebTriggerEvent, context: any) => {
  const token = event.headers?.['x-token']?.[0];
  if (!token || token !== process.env.SECRET_%[1]d) {
    return { statusCode: 401, body: 'unauthorised' };
  }
  const payload = JSON.parse(event.body ?? '{}');
  const results = await Promise.all(
    (payload.keys as string[]).map((k) => api.asApp().requestJira(route` + "`/rest/api/3/issue/${k}`" + `)),
  );
  return { statusCode: 200, body: JSON.stringify(results.map((r) => r.status)) };
};
`,
}

// jsxUnits are React components for .tsx and .jsx files.
var jsxUnits = []string{
	`
export function Panel%[1]d({ issueKey, onSave }) {
  const [value, setValue] = useState('');
  const [items, setItems] = useState([]);
  useEffect(() => {
    invoke('getIssue%[1]d', { key: issueKey }).then((data) => setItems(data.items || []));
  }, [issueKey]);
  return (
    <Fragment>
      <Heading size="medium">Issue {issueKey}</Heading>
      <Textfield value={value} onChange={(e) => setValue(e.target.value)} isRequired />
      {items.length > 0 ? (
        <ul className="list">{items.map((it) => <li key={it.id}>{it.name} &amp; more</li>)}</ul>
      ) : (
        <Text>No items</Text>
      )}
      <Button appearance="primary" onClick={() => onSave(value)} {...rest}>Save</Button>
    </Fragment>
  );
}
`,
}

// jsUnits are CommonJS and ESM JavaScript pieces.
var jsUnits = []string{
	`
const helper%[1]d = require('./helper%[1]d');
const { promisify } = require("util");

module.exports.run%[1]d = async function (req, res) {
  const data = await helper%[1]d.load(req.query.id);
  if (data == null) return res.status(404).send('not found');
  let total = 0;
  for (const k in data) {
    if (Object.prototype.hasOwnProperty.call(data, k)) total += data[k].length >>> 0;
  }
  do { total--; } while (total > 10);
  label%[1]d: for (let i = 0; i < 3; i++) { if (i === total) continue label%[1]d; }
  return res.json({ total, when: new Date().toISOString() });
};

exports.format%[1]d = function format(value, unit = 'ms') {
  return typeof value === 'number' ? value.toFixed(2) + ' ' + unit : String(value);
};
`,
	`
export default class Queue%[1]d {
  static #count = 0;
  constructor(name, ...workers) {
    this.name = name;
    this.workers = workers;
    Queue%[1]d.#count++;
  }
  get size() { return this.workers.length; }
  set size(n) { this.workers.length = n; }
  *[Symbol.iterator]() { yield* this.workers; }
  async drain(fn = async (w) => w) {
    const out = [];
    for await (const w of this.workers) out.push(await fn(w));
    return out;
  }
}

export const make%[1]d = (n) => new Queue%[1]d('q' + n, ...Array.from({ length: n }, (_, i) => i));
`,
}

// genTree writes about size bytes of source files under dir and returns
// the bytes written.
func genTree(tb testing.TB, dir string, size int) int {
	tb.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	total, n := 0, 0
	for total < size {
		var ext string
		var units []string
		switch r := rng.IntN(20); {
		case r < 10:
			ext, units = ".ts", tsUnits
		case r < 13:
			ext, units = ".tsx", append(append([]string{}, tsUnits...), jsxUnits...)
		case r < 18:
			ext, units = ".js", jsUnits
		default:
			ext, units = ".jsx", append(append([]string{}, jsUnits...), jsxUnits...)
		}
		var b strings.Builder
		b.WriteString("import api, { route, storage } from '@forge/api';\nimport Resolver from '@forge/resolver';\n")
		b.WriteString("// generated for the parse benchmarks\n")
		target := 4000 + rng.IntN(16000)
		for b.Len() < target {
			n++
			fmt.Fprintf(&b, units[rng.IntN(len(units))], n)
		}
		sub := filepath.Join(dir, "src", fmt.Sprintf("mod%02d", n%37))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("file%d%s", n, ext)), []byte(b.String()), 0o644); err != nil {
			tb.Fatal(err)
		}
		total += b.Len()
	}
	return total
}

// genBundle returns a minified single-line JavaScript bundle of about size
// bytes, in the shape webpack and esbuild emit.
func genBundle(size int) []byte {
	var b strings.Builder
	b.WriteString(`(()=>{"use strict";var e={`)
	for n := 0; b.Len() < size; n++ {
		fmt.Fprintf(&b, `%d:(e,t,r)=>{Object.defineProperty(t,"__esModule",{value:!0}),t.run%d=void 0;const n=r(%d),o=r(%d);`+
			`t.run%d=async function(e,t){var r,a;const{payload:s,context:i}=e,c=await n.default.asUser().requestJira(n.route%s,{headers:{Accept:"application/json"}});`+
			`if(!c.ok)throw new Error("failed: "+c.status+"\n");for(let e=0;e<s.items.length;e++){switch(s.items[e].t){case 1:a=o.f(s.items[e]);break;default:a=null}r=[...r||[],a]}`+
			`return null!==(r=null==i?void 0:i.accountId)&&void 0!==r?r:{k:s.key,v:/a+b/g.test(s.v),w:`+"`x${s.k}y`"+`}}},`,
			n, n, n+1, n+2, n, "`/rest/api/3/issue/${s.key}`")
	}
	b.WriteString(`},t={};function r(n){var o=t[n];if(void 0!==o)return o.exports;var a=t[n]={exports:{}};return e[n](a,a.exports,r),a.exports}r(0)})();`)
	return []byte(b.String())
}
