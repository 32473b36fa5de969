@Component({ selector: 'x' })
class Widget<T> extends Base<T> implements Thing {
  static count = 0;
  #secret = 'hidden';
  private name?: string = 'n';
  declare typed: number;
  readonly handler = async () => {};
  [computed] = 1;
  static { Widget.count++; init(); }
  constructor(private readonly api: Api, public limit = 10, plain: number) {
    super(api);
    this.plain = plain;
  }
  get value(): string { return this.#secret; }
  set value(v: string) { this.#secret = v; }
  static create(): Widget<any> { return new Widget(null, 1, 2); }
  async #privateMethod() {}
  @Get('/x') handle(@Body() body: unknown) { return body; }
  abstract signature(): void;
  overload(a: string): void;
  overload(a: any) {}
  [Symbol.iterator]() {}
  'quoted'() {}
  [key: string]: any;
}
abstract class Shape { abstract area(): number; describe() { return 'shape'; } }
const Expr = class {};
const NamedExpr = class Inner extends (Base as any) {};
class Derived extends mixin(A, B) { constructor(private x: number) { log(); super(); } }
