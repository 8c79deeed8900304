import { ServiceBroker } from "moleculer";
import { describe, expect, it } from "vitest";
import { stopOnce } from "../../lib/stop-once";

/** A broker with one service that counts its stopped() calls. */
function broker(middlewares = [stopOnce()]) {
  const counts = { stopped: 0 };
  const b = new ServiceBroker({ logger: false, middlewares, skipProcessEventRegistration: true });
  b.createService({
    name: "counter",
    stopped() {
      counts.stopped++;
    },
  });
  return { b, counts };
}

describe("stopOnce", () => {
  it("runs a broker's stop once when it is asked twice (two signals)", async () => {
    const { b, counts } = broker();
    await b.start();
    await Promise.all([b.stop(), b.stop()]);
    await b.stop();
    expect(counts.stopped).toBe(1);
  });

  it("stops a broker again once it was started again", async () => {
    const { b, counts } = broker();
    await b.start();
    await b.stop();
    await b.start();
    await b.stop();
    expect(counts.stopped).toBe(2);
  });

  it("is needed: without it, moleculer runs the services' stopped() again on a second stop", async () => {
    const { b, counts } = broker([]);
    await b.start();
    await Promise.all([b.stop(), b.stop()]);
    expect(counts.stopped).toBe(2);
  });
});
