/**
 * A service's shutdown as named steps (stop the consumer, close the producer, close the database…).
 * Every step runs, in order, even when one before it failed: a commit that could not reach Kafka
 * must not leave the database open. The failures are reported together at the end.
 */
export type ShutdownStep = readonly [name: string, step: () => unknown];

/** Runs the steps in order; throws one error naming every step that failed. */
export async function runShutdown(steps: readonly ShutdownStep[]): Promise<void> {
  const failed: string[] = [];
  for (const [name, step] of steps) {
    try {
      await step();
    } catch (err) {
      failed.push(`${name} (${err instanceof Error ? err.message : String(err)})`);
    }
  }
  if (failed.length > 0) throw new Error(`Stopping failed at: ${failed.join(", ")}`);
}
