import { describe, expect, it } from "vitest";
import { Admission } from "../../lib/admission";

/** A task that ends when told to. */
function deferred() {
  let finish!: (value: string) => void;
  const promise = new Promise<string>(resolve => (finish = resolve));
  return { task: () => promise, finish };
}

describe("Admission", () => {
  it("runs up to `running` at once, queues up to `waiting`, refuses the rest", async () => {
    const admission = new Admission(2, 1, () => new Error("busy"));
    const tasks = [deferred(), deferred(), deferred(), deferred()];
    const started: number[] = [];
    const results = tasks.map((t, i) =>
      admission
        .run(() => {
          started.push(i);
          return t.task();
        })
        .catch((err: Error) => err.message),
    );
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    expect(admission.load).toEqual({ running: 2, waiting: 1 });
    expect(await results[3]).toBe("busy");

    tasks[1]?.finish("b");
    expect(await results[1]).toBe("b");
    // The queued one takes the freed place.
    await Promise.resolve();
    expect(started).toEqual([0, 1, 2]);
    expect(admission.load).toEqual({ running: 2, waiting: 0 });

    tasks[0]?.finish("a");
    tasks[2]?.finish("c");
    expect(await Promise.all(results.slice(0, 3))).toEqual(["a", "b", "c"]);
    expect(admission.load).toEqual({ running: 0, waiting: 0 });
  });

  it("refuses a task whose wait runs out, and gives the place to the next one still waiting", async () => {
    const admission = new Admission(
      1,
      2,
      (waitedMs?: number) =>
        new Error(`busy${waitedMs === undefined ? "" : ` after ${waitedMs} ms`}`),
      50,
    );
    const first = deferred();
    const running = admission.run(first.task);
    const late = admission.run(() => Promise.resolve("late")).catch((err: Error) => err.message);
    expect(admission.load).toEqual({ running: 1, waiting: 1 });
    expect(await late).toBe("busy after 50 ms");
    expect(admission.load).toEqual({ running: 1, waiting: 0 });
    // One that comes later waits its own 50 ms; the place freed before then goes to it.
    const next = admission.run(() => Promise.resolve("next"));
    first.finish("first");
    expect(await running).toBe("first");
    expect(await next).toBe("next");
    expect(admission.load).toEqual({ running: 0, waiting: 0 });
  });

  it("frees a place when a task fails", async () => {
    const admission = new Admission(1, 0, () => new Error("busy"));
    await expect(admission.run(() => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    await expect(admission.run(() => Promise.resolve(1))).resolves.toBe(1);
  });
});
