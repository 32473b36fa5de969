// Module-level state: Forge may reuse this module for invocations of other
// installations.
const recent: Record<string, unknown> = {};

export function remember(key: string, value: unknown) {
  recent[key] = value;
}
