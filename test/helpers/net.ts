// Small network helpers for tests.
export { freePort } from "../../lib/net";

/** A short unique suffix for topic, group, namespace and folder names. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
