// The store, not Kafka, says what is stored: when userstats's SQLite file is lost, or put back from
// an older copy, the restarted service consumes again what the file misses (the consumer group's
// committed offsets are past it), and counts each user once; when the group's offsets are gone, it
// goes on from the file's position; a file that kept no positions takes the group's.
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { ServiceBroker } from "moleculer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Report } from "../../lib/report";
import { waitFor } from "../../lib/retry";
import { brokerOptions } from "../../moleculer.config";
import { dlqTopic } from "../../lib/dead-letter";
import { createUserStatsService } from "../../services/userstats.service";
import type { RunningConsumer } from "../../lib/batch-consumer";
import { deleteTopics, testKafka } from "../helpers/kafka";
import { http, startSystem, type TestSystem } from "../helpers/system";

let sys: TestSystem;
/** The userstats broker running now (replaced at each restart). */
let userstats: ServiceBroker;
let restarts = 0;
const FILES = ["userstats.sqlite", "userstats.sqlite-wal", "userstats.sqlite-shm"];

beforeAll(async () => {
  sys = await startSystem({ SEED: "store-offsets" });
  userstats = sys.brokers.userstats;
});

afterAll(async () => {
  if (userstats !== sys?.brokers.userstats) await userstats?.stop();
  await sys?.stop();
  if (sys) await deleteTopics([sys.config.kafka.topic, dlqTopic(sys.config.kafka.topic)]);
});

/** The total as userstats itself counts it (the gateway's cache is not under test here). */
async function total(): Promise<number> {
  return (await userstats.call<Report, object>("userstats.report", {})).total;
}

async function submitAndWait(n: number, expected: number): Promise<void> {
  const res = await http(sys.baseUrl, `/submit/${n}`);
  expect(res.status).toBe(202);
  await waitFor(
    async () => ((await total().catch(() => -1)) === expected ? true : undefined),
    30_000,
    `userstats to count ${expected} users`,
  );
}

/** Records the running userstats consumed since it started. */
function consumedSinceStart(): number {
  const service = userstats.getLocalService("userstats") as unknown as {
    consumer: RunningConsumer;
  };
  return service.consumer.status().records;
}

/** Stops userstats cleanly (it commits and leaves the group), runs `between`, starts a new one. */
async function restartUserstats(between: () => void | Promise<void>): Promise<void> {
  await userstats.stop();
  await between();
  restarts++;
  userstats = new ServiceBroker(
    brokerOptions(sys.config, {
      nodeID: `userstats-${restarts + 1}-${sys.config.moleculer.namespace}`,
      logger: false,
      skipProcessEventRegistration: true,
    }),
  );
  userstats.createService(createUserStatsService(sys.config));
  await userstats.start();
}

const file = (name: string): string => path.join(sys.dataDir, name);

describe("userstats's SQLite file lost or older than the consumer group", () => {
  it("consumes again what a lost file held, counting each user once", async () => {
    await submitAndWait(300, 300);
    await restartUserstats(() => {
      for (const f of FILES) fs.rmSync(file(f), { force: true });
    });
    await waitFor(
      async () => ((await total().catch(() => -1)) === 300 ? true : undefined),
      30_000,
      "the new file to count the 300 users again",
    );
    // And it goes on from there.
    await submitAndWait(50, 350);
  });

  it("consumes again what a file put back from an older copy misses", async () => {
    const backup = path.join(sys.dataDir, "backup");
    await restartUserstats(() => {
      fs.mkdirSync(backup);
      for (const f of FILES)
        if (fs.existsSync(file(f))) fs.copyFileSync(file(f), path.join(backup, f));
    });
    await submitAndWait(200, 550);
    await restartUserstats(() => {
      for (const f of FILES) {
        fs.rmSync(file(f), { force: true });
        if (fs.existsSync(path.join(backup, f))) fs.copyFileSync(path.join(backup, f), file(f));
      }
    });
    await waitFor(
      async () => ((await total().catch(() => -1)) === 550 ? true : undefined),
      30_000,
      "the older file to catch up to 550 users",
    );
  });

  it("goes on from the file's position when the group's offsets are gone, re-reading nothing", async () => {
    await restartUserstats(async () => {
      // What Kafka does to the offsets of a group that stayed away longer than their retention.
      const admin = testKafka().admin();
      await admin.connect();
      try {
        await admin.deleteGroups([sys.config.kafka.groupId]);
      } finally {
        await admin.disconnect();
      }
    });
    await submitAndWait(20, 570);
    expect(consumedSinceStart()).toBe(20);
  });

  it("takes the group's positions for a file that kept none, re-reading nothing", async () => {
    await restartUserstats(() => {
      // A file from before positions were kept (the table may exist, empty).
      const db = new Database(file("userstats.sqlite"));
      db.exec("DELETE FROM consumer_offsets");
      db.close();
    });
    await submitAndWait(30, 600);
    expect(consumedSinceStart()).toBe(30);
  });
});
