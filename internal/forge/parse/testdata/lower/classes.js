class A extends B {
  static get instance() { return A._i; }
  static set instance(v) { A._i = v; }
  static #count = 0;
  field;
  ['computed' + 'key'] = 1;
  constructor(...args) { super(...args); }
  static async *stream() {}
  static {}
}
class Names { get() {} set(v) {} static() {} async() {} static static() {} 'constructor'() {} ['constructor']() {} }
