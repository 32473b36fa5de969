export const a = 1, { b, c: [d] } = obj;
export let e;
export function run() {}
export async function* gen() {}
export class Service {}
export abstract class Base {}
export enum Color { Red }
export import Short = Long.Name;
export { a as alpha, run };
export { x as default, y } from './other';
export { default } from './default';
export { "a b" as "c d" } from './strings';
export * from './all';
export * as space from './space';
export type { T } from './types';
export { type U, v };
export interface I { x: number }
export type Alias = string;
export declare function declared(): void;
export namespace Inner { export const hidden = 1; }
export {};
