import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, redactUrl } from "../../lib/config";

describe("loadConfig", () => {
  it("has working defaults for a local run", () => {
    const c = loadConfig({});
    expect(c.http.port).toBe(8000);
    expect(c.moleculer.amqpUrl).toBe("amqp://guest:guest@127.0.0.1:5672");
    expect(c.moleculer.prefetch).toBe(100);
    expect(c.kafka.brokers).toEqual(["127.0.0.1:9092"]);
    expect(c.kafka.topic).toBe("user-events");
    expect(c.kafka.groupId).toBe("userstats");
    expect(c.submit.max).toBe(1_000_000);
    expect(c.dataDir).toBe(path.resolve("./data"));
    expect(c.report.smtpUrl).toBeUndefined();
    expect(c.generator.seed).toBeUndefined();
    expect(Object.isFrozen(c.kafka)).toBe(true);
  });

  it("parses lists, numbers and URLs", () => {
    const c = loadConfig({
      HTTP_PORT: "9000",
      KAFKA_BROKERS: "k1:9092, k2:9093",
      SUBMIT_MAX: "50",
      SMTP_URL: "smtp://user:secret@mail.example.com:587",
      REPORT_TO: "a@example.com, b@example.com",
      SEED: "42",
      DATA_DIR: "/var/lib/pipeline",
    });
    expect(c.http.port).toBe(9000);
    expect(c.kafka.brokers).toEqual(["k1:9092", "k2:9093"]);
    expect(c.submit.max).toBe(50);
    expect(c.report.to).toEqual(["a@example.com", "b@example.com"]);
    expect(c.generator.seed).toBe("42");
    expect(c.dataDir).toBe("/var/lib/pipeline");
  });

  it("treats empty values as unset", () => {
    expect(loadConfig({ HTTP_PORT: "", SEED: "  " }).http.port).toBe(8000);
    expect(loadConfig({ SEED: "  " }).generator.seed).toBeUndefined();
  });

  it("reports every bad variable at once", () => {
    let error: unknown;
    try {
      loadConfig({
        HTTP_PORT: "eighty",
        SUBMIT_MAX: "0",
        KAFKA_BROKERS: "no-port",
        LOG_LEVEL: "loud",
        SMTP_URL: "http://mail",
        USER_EVENTS_TOPIC: "bad topic!",
        REPORT_CRON: "* *",
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join("\n");
    for (const name of [
      "HTTP_PORT",
      "SUBMIT_MAX",
      "KAFKA_BROKERS",
      "LOG_LEVEL",
      "SMTP_URL",
      "USER_EVENTS_TOPIC",
      "REPORT_CRON",
      "REPORT_TO",
    ]) {
      expect(problems).toContain(name);
    }
  });

  it("refuses a Kafka broker port outside 1–65535", () => {
    for (const b of ["k1:0", "k1:99999"]) {
      expect(() => loadConfig({ KAFKA_BROKERS: b }), b).toThrow(
        `KAFKA_BROKERS entry "${b}" has a port outside 1–65535`,
      );
    }
    expect(loadConfig({ KAFKA_BROKERS: "k1:65535" }).kafka.brokers).toEqual(["k1:65535"]);
  });

  it.each(["0 25 * * *", "61 * * * *", "0 8 * * * 2027", "every day at 8"])(
    "refuses REPORT_CRON %s at start, as the schedule would",
    cron => {
      expect(() => loadConfig({ REPORT_CRON: cron })).toThrow(/REPORT_CRON/);
    },
  );

  it.each(["*/1 * * * *", "0 8 * * mon-fri", "*/30 * * * * *"])("takes REPORT_CRON %s", cron => {
    expect(loadConfig({ REPORT_CRON: cron }).report.cron).toBe(cron);
  });

  it("requires recipients when SMTP is configured", () => {
    expect(() => loadConfig({ SMTP_URL: "smtp://127.0.0.1:1025" })).toThrow(/REPORT_TO/);
    expect(() => loadConfig({ REPORT_TO: "not-an-address" })).toThrow(/REPORT_TO/);
  });

  it.each(["reports@example.com", "Pipeline Reports <reports@example.com>"])(
    "takes REPORT_FROM %s",
    from => {
      expect(loadConfig({ REPORT_FROM: from }).report.from).toBe(from);
    },
  );

  it.each(["reports", "Pipeline Reports", "Reports <reports>", "a b@example.com"])(
    "refuses REPORT_FROM %s at start rather than at the first report",
    from => {
      expect(() => loadConfig({ REPORT_FROM: from })).toThrow(
        /REPORT_FROM .* is not an email address/,
      );
    },
  );

  it("takes CORS_ORIGINS as browsers send origins, and refuses what would never match", () => {
    expect(
      loadConfig({
        CORS_ORIGINS: "https://app.example.com, http://localhost:3000, https://*.example.com",
      }).http.corsOrigins,
    ).toEqual(["https://app.example.com", "http://localhost:3000", "https://*.example.com"]);
    expect(loadConfig({ CORS_ORIGINS: "*" }).http.corsOrigins).toEqual(["*"]);
    expect(
      loadConfig({ CORS_ORIGINS: "null, chrome-extension://abcdef, capacitor://localhost" }).http
        .corsOrigins,
    ).toEqual(["null", "chrome-extension://abcdef", "capacitor://localhost"]);
    for (const origin of [
      "https://app.example.com/",
      "app.example.com",
      "https://a.example.com/x",
    ]) {
      expect(() => loadConfig({ CORS_ORIGINS: origin })).toThrow(
        `CORS_ORIGINS entry "${origin}" is not an origin`,
      );
    }
  });

  it("keeps HTTP_BODY_LIMIT_BYTES to what one RabbitMQ message carries", () => {
    expect(
      loadConfig({ HTTP_BODY_LIMIT_BYTES: String(64 * 1024 * 1024) }).http.bodyLimitBytes,
    ).toBe(64 * 1024 * 1024);
    expect(() => loadConfig({ HTTP_BODY_LIMIT_BYTES: String(64 * 1024 * 1024 + 1) })).toThrow(
      /HTTP_BODY_LIMIT_BYTES must be between 1024 and 67108864/,
    );
  });

  it("refuses a first retry wait longer than the longest", () => {
    expect(() =>
      loadConfig({ REPORT_RETRY_BASE_MS: "600000", REPORT_RETRY_MAX_MS: "1000" }),
    ).toThrow("REPORT_RETRY_BASE_MS (600000) must not be more than REPORT_RETRY_MAX_MS (1000)");
    expect(
      loadConfig({ REPORT_RETRY_BASE_MS: "1000", REPORT_RETRY_MAX_MS: "1000" }).report.retryMaxMs,
    ).toBe(1000);
  });

  it.each([
    "0.0.0.0",
    "127.0.0.1",
    "localhost",
    "api.internal",
    "api_gateway",
    "::",
    "::1",
    "fe80::1%eth0",
  ])("takes HTTP_HOST %s", host => {
    expect(loadConfig({ HTTP_HOST: host }).http.host).toBe(host);
  });

  it.each(["no such host", "http://localhost", "host:8000", "-bad", "[::1]", "::1.2"])(
    "refuses HTTP_HOST %s at start",
    host => {
      expect(() => loadConfig({ HTTP_HOST: host })).toThrow(
        `HTTP_HOST "${host}" is not an IP address or host name`,
      );
    },
  );

  it("redacts passwords in URLs for logs", () => {
    expect(redactUrl("smtp://user:secret@mail:587")).toBe("smtp://user:***@mail:587");
    expect(redactUrl("nonsense")).toBe("<invalid url>");
  });
});
