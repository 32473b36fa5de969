if (a) b(); else if (c) d(); else { e(); }
if (x) {} else {}
if (y) z();
for (let i = 0, n = list.length; i < n; i++) step(i);
for (;;) { break; }
for (i = 0; ; ) continue;
for (const k in obj) use(k);
for (var v of list) use(v);
for await (const chunk of stream) use(chunk);
while (more()) next();
do { once(); } while (again());
switch (kind) {
  case 'a':
  case 'b': handle(); break;
  default: fallback();
}
try { one(); } catch (err) { two(err); } finally { three(); }
try { one(); } catch { two(); }
try { one(); } finally { three(); }
outer: for (const a of b) { inner: while (c) { if (d) break outer; continue inner; } }
empty: ;
with (scope) { prop(); }
throw new Error('boom');
{ block(); }
;
debugger;
function f() { return; }
