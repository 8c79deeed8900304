/**
 * Container health check for a service without an HTTP port: joins the moleculer network for a
 * moment, calls `<service>.health` and exits 0 only if every check is ok.
 * Usage: node dist/scripts/healthcheck.js userevents
 */
import { ServiceBroker } from "moleculer";
import { loadConfig } from "../lib/config";
import type { CheckResult } from "../lib/health";
import { brokerOptions } from "../moleculer.config";

async function main(): Promise<number> {
  const service = process.argv[2];
  if (service === undefined) {
    console.error("usage: healthcheck <service>");
    return 2;
  }
  const config = loadConfig();
  const broker = new ServiceBroker(
    brokerOptions(config, { nodeID: `healthcheck-${service}-${process.pid}`, logger: false }),
  );
  try {
    await broker.start();
    await broker.waitForServices([service], 10_000);
    const checks = await broker.call<Record<string, CheckResult>, Record<string, never>>(
      `${service}.health`,
      {},
      { timeout: 5000 },
    );
    const failing = Object.entries(checks).filter(([, c]) => !c.ok);
    for (const [name, c] of failing) console.error(`${service}.${name}: ${c.error ?? "failing"}`);
    return failing.length === 0 ? 0 : 1;
  } catch (err) {
    console.error(`${service}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    await broker.stop();
  }
}

main().then(
  code => process.exit(code),
  () => process.exit(1),
);
