const { a, b: renamed, c = 1, d: { e }, f: [g, , h = 2], [key]: computed, ...rest } = obj;
const [first, , third = 3, [nested], { deep }, ...others] = list;
let x, y;
({ x, y = 5 } = source);
[x, y] = [y, x];
[obj.prop, arr[0]] = pair;
for (const [k, v] of Object.entries(map)) {}
for (const { id } of items) {}
for (key in object) {}
for (obj.target of list) {}
try { risky(); } catch ({ message, code = 'E' }) { report(message); }
function params({ payload, context: { accountId } }, [one, two] = [], ...more) {}
