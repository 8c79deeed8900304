import { defineConfig } from "vitest/config";

// Projects: `unit` (no I/O beyond temp files, runs in parallel); `integration` (real RabbitMQ,
// Kafka and SMTP, services in-process; one file at a time: 2 cores, shared brokers); `system` (the
// built services as processes, started by the project's scripts, with MailDev).
export default defineConfig({
  test: {
    globalSetup: ["test/helpers/global-setup.ts"],
    projects: [
      {
        extends: true,
        test: { name: "unit", include: ["test/unit/**/*.test.ts"], testTimeout: 10_000 },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 90_000,
        },
      },
      {
        extends: true,
        test: {
          // make test-faults: faults injected into the services as processes, and real broker outages.
          name: "faults",
          include: ["test/faults/**/*.test.ts"],
          fileParallelism: false,
          testTimeout: 600_000,
          hookTimeout: 300_000,
        },
      },
      {
        extends: true,
        test: {
          name: "system",
          include: ["test/system/**/*.test.ts"],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
