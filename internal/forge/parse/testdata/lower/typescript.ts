const a = value as unknown as Api;
const b = <Api>value;
const c = maybe!.prop!;
const d = config satisfies Config;
const e = fn<string>;
const f = generic<T>(arg);
(cast as any).x = 1;
enum Auto { A, B, C }
enum Mixed { A = 1, B, C = 'c', D = compute(), E = 0x10, F }
const enum Flags { None = 0, Read = 1 << 0 }
declare enum Ambient { X }
namespace Space { export const inner = 1; function local() {} }
namespace A.B.C { helper(); }
module Legacy { run(); }
declare module 'external' { export function f(): void; }
declare global { interface Window { x: number } }
declare const injected: string;
declare function declared(): void;
interface Shape { area(): number }
type Id = string | number;
function overloaded(a: string): string;
function overloaded(a: any) { return a; }
function typed(this: Window, a: string, b?: number, c = 1): asserts a is string {}
let definite!: number;
abstract class K {}
