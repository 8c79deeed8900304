// Starts the three services as three separate ServiceBrokers (one per service, as in production)
// over the real RabbitMQ and Kafka, each test file with its own namespace, topic, group, port and
// data folder. Stop it in afterAll.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ServiceBroker } from "moleculer";
import { loadConfig, type Config } from "../../lib/config";
import { brokerOptions } from "../../moleculer.config";
import { createApiService } from "../../services/api.service";
import { createUserEventsService } from "../../services/userevents.service";
import { createUserStatsService } from "../../services/userstats.service";
import { freePort, uniqueId } from "./net";

export interface TestSystem {
  config: Readonly<Config>;
  baseUrl: string;
  brokers: Record<"api" | "userevents" | "userstats", ServiceBroker>;
  dataDir: string;
  stop(): Promise<void>;
}

/** Env for an isolated system; `env` overrides any of it. */
export async function testEnv(env: Record<string, string> = {}): Promise<Record<string, string>> {
  const id = uniqueId("t");
  return {
    MOLECULER_NAMESPACE: id,
    USER_EVENTS_TOPIC: `user-events-${id}`,
    USERSTATS_GROUP: `userstats-${id}`,
    KAFKA_PARTITIONS: "2",
    // A test that brings its own folder gets no temp one (it would be left behind, empty).
    DATA_DIR: env.DATA_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), "pipeline-test-")),
    HTTP_HOST: "127.0.0.1",
    HTTP_PORT: String(await freePort()),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "warn",
    REPORT_CRON: "0 0 1 1 *",
    STARTUP_TIMEOUT_MS: "30000",
    // The brokers scripts/test.sh started (their ports follow KAFKA_PORT and RABBITMQ_PORT).
    ...(process.env.KAFKA_BROKERS ? { KAFKA_BROKERS: process.env.KAFKA_BROKERS } : {}),
    ...(process.env.AMQP_URL ? { AMQP_URL: process.env.AMQP_URL } : {}),
    ...env,
  };
}

/** Starts userstats, userevents and api (each its own broker) and waits until they see each other. */
export async function startSystem(env: Record<string, string> = {}): Promise<TestSystem> {
  const config = loadConfig(await testEnv(env));
  const make = (name: string) =>
    new ServiceBroker(
      brokerOptions(config, {
        nodeID: `${name}-${config.moleculer.namespace}`,
        logger: process.env.TEST_LOG_LEVEL === undefined ? false : brokerOptions(config).logger,
        skipProcessEventRegistration: true,
      }),
    );
  const brokers = {
    userstats: make("userstats"),
    userevents: make("userevents"),
    api: make("api"),
  };
  brokers.userstats.createService(createUserStatsService(config));
  brokers.userevents.createService(createUserEventsService(config));
  brokers.api.createService(createApiService(config));
  try {
    await Promise.all(Object.values(brokers).map(b => b.start()));
    await brokers.api.waitForServices(["userevents", "userstats"], 30_000);
  } catch (err) {
    // The test file gets no system to stop: what started is stopped here, and the folder removed.
    await Promise.allSettled(Object.values(brokers).map(b => b.stop()));
    fs.rmSync(config.dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    config,
    baseUrl: `http://127.0.0.1:${config.http.port}`,
    brokers,
    dataDir: config.dataDir,
    async stop() {
      await brokers.api.stop();
      await brokers.userevents.stop();
      await brokers.userstats.stop();
      fs.rmSync(config.dataDir, { recursive: true, force: true });
    },
  };
}

/** GET/POST helper returning status, headers and parsed JSON body. */
export async function http(
  baseUrl: string,
  pathname: string,
  init: RequestInit = {},
): Promise<{ status: number; headers: Headers; body: unknown; text: string }> {
  const res = await fetch(baseUrl + pathname, init);
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, body, text };
}
