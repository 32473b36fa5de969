function plain(a, b) { return a + b; }
async function asyncFn() { await work(); }
function* generator() { yield 1; yield* other(); yield; }
async function* asyncGen() {}
const expr = function () {};
const namedExpr = function own() {};
const arrow = x => x * 2;
const arrowBlock = async (x, y) => { return x; };
const arrowObject = () => ({ a: 1 });
const defaults = (a = 1, { b } = {}, [c] = [], ...rest) => a;
let assigned;
assigned = () => {};
obj.prop = function () {};
obj[key] = function () {};
const o = { run: async () => {}, method() {}, async am() {}, *gm() {}, get g() { return 1; }, set s(v) {}, ['comp' + 1]: () => {}, 'str key': function () {}, 42: () => {} };
const nested = (a) => (b) => a + b;
x ||= () => {};
x += function () {};
function withDefaultFn(cb = () => {}) {}
