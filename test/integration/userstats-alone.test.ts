// userstats on its own, with no gateway connected (make run-services with the gateway down, or the
// gateway restarting): it consumes and counts as ever. It tells the gateways of each change by a
// broadcast, which moleculer skips, without a promise, when no node listens.
import fs from "node:fs";
import { ServiceBroker } from "moleculer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig, type Config } from "../../lib/config";
import type { Report } from "../../lib/report";
import { waitFor } from "../../lib/retry";
import { userEventCodec, type UserEvent } from "../../lib/user-event";
import { brokerOptions } from "../../moleculer.config";
import { dlqTopic } from "../../lib/dead-letter";
import { createUserStatsService } from "../../services/userstats.service";
import { deleteTopics, produceRaw } from "../helpers/kafka";
import { testEnv } from "../helpers/system";

let config: Readonly<Config>;
let userstats: ServiceBroker;

beforeAll(async () => {
  config = loadConfig(await testEnv());
  userstats = new ServiceBroker(
    brokerOptions(config, {
      nodeID: `userstats-alone-${config.moleculer.namespace}`,
      logger: false,
      skipProcessEventRegistration: true,
    }),
  );
  userstats.createService(createUserStatsService(config));
  await userstats.start();
});

afterAll(async () => {
  await userstats?.stop();
  if (config) {
    await deleteTopics([config.kafka.topic, dlqTopic(config.kafka.topic)]);
    fs.rmSync(config.dataDir, { recursive: true, force: true });
  }
});

const event = (i: number): UserEvent => ({
  id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
  address: { city: "Boise", state: "ID", country: "US", postCode: "83702" },
  datetime: "2026-11-27T10:00:00.000Z",
});

describe("userstats with no gateway connected", () => {
  it("counts what it consumes, and announcing the change to no one fails nothing", async () => {
    const service = userstats.getLocalService("userstats") as unknown as {
      changeTimer?: NodeJS.Timeout;
    };
    for (const batch of [0, 1]) {
      await produceRaw(
        config.kafka.topic,
        Array.from({ length: 10 }, (_, i) => {
          const e = event(batch * 10 + i);
          return { key: userEventCodec.key(e), value: userEventCodec.encode(e) };
        }),
      );
      await waitFor(
        async () => {
          const r = await userstats.call<Report, object>("userstats.report", {});
          // Counted, and the announcement that followed has run.
          return r.total === (batch + 1) * 10 && service.changeTimer === undefined ? r : undefined;
        },
        30_000,
        `userstats to count ${(batch + 1) * 10} users and announce it`,
      );
    }
    const report = await userstats.call<Report, object>("userstats.report", {});
    expect(report.stats).toEqual({ "Boise, ID": 20 });
  });
});
