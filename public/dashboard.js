/* global document, fetch, AbortController, setTimeout, clearTimeout, console */
"use strict";
// Dashboard of the event pipeline: polls GET /dashboard/state every second and draws it; submits
// jobs (GET /submit/:n) and sends the report (POST /report/send). Plain browser JS, no build step;
// it runs under the CSP default-src 'self', so it builds the DOM with createElement only.
(() => {
  const STATE_URL = "dashboard/state";
  const POLL_MS = 1000;
  const MAX_RETRY_MS = 5000;
  const FETCH_TIMEOUT_MS = 5000;
  const SMOOTHING = 0.6; // weight of the newest events/s sample
  const MESSAGE_MS = 8000;

  const CONNECTION = {
    connecting: "Connecting…",
    live: "Live",
    partial: "Partly live",
    lost: "Connection lost · retrying",
  };
  const JOB_LABELS = { running: "Running", done: "Done", failed: "Failed" };
  const REPORT_LABELS = {
    pending: "Pending retry",
    sent: "Sent",
    logged: "Logged (no SMTP)",
    failed: "Failed",
  };
  const TRIGGERS = { schedule: "scheduled", request: "on request" };

  const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
  const decimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
  const clock = new Intl.DateTimeFormat(undefined, { timeStyle: "medium" });
  const dayAndClock = new Intl.DateTimeFormat(undefined, {
    dateStyle: "medium",
    timeStyle: "short",
  });

  const poller = { timer: 0, busy: false, again: false, failures: 0, prev: null, lastOk: "" };
  const rates = { in: null, out: null };
  const signatures = {};

  // ---- formatting ----

  const isNum = n => typeof n === "number" && Number.isFinite(n);
  const fmt = n => (isNum(n) ? integer.format(n) : "–");
  const fmtRate = r => (isNum(r) ? (r < 10 ? decimal : integer).format(r) : "–");
  const shortId = id => String(id ?? "").slice(0, 8);
  const token = s => String(s ?? "").replace(/[^a-z-]/gi, "");

  function fmtTime(iso) {
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return "";
    const today = date.toDateString() === new Date().toDateString();
    return (today ? clock : dayAndClock).format(date);
  }

  // ---- DOM helpers ----

  /** An element with attributes (text: its text) and children (nodes or strings; null skipped). */
  function h(tag, attrs = {}, children = []) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value === null || value === undefined) continue;
      if (key === "text") node.textContent = value;
      else node.setAttribute(key, String(value));
    }
    node.append(...children.filter(c => c !== null && c !== undefined));
    return node;
  }

  const $ = id => document.getElementById(id);

  function setText(node, text) {
    if (node.textContent !== text) node.textContent = text;
  }

  const badge = (state, labels) =>
    h("span", { class: `badge s-${token(state)}`, text: labels[state] ?? String(state) });

  // ---- HTTP ----

  /** fetch with a timeout; resolves { ok, status, body } (body null when not JSON), rejects on network errors. */
  async function request(method, url) {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), FETCH_TIMEOUT_MS);
    try {
      const res = await fetch(url, {
        method,
        cache: "no-store",
        headers: { accept: "application/json" },
        signal: abort.signal,
      });
      const body = await res.json().catch(() => null);
      return { ok: res.ok, status: res.status, body };
    } finally {
      clearTimeout(timer);
    }
  }

  /** The most useful message of an error answer: a validation detail, else the error's message. */
  function errorText({ status, body }) {
    const error = body?.error;
    const detail = Array.isArray(error?.data) ? error.data[0]?.message : undefined;
    return detail || error?.message || `HTTP ${status}`;
  }

  const networkText = err => (err?.name === "AbortError" ? "request timed out" : "network error");

  // ---- polling ----

  async function poll() {
    if (poller.busy) {
      poller.again = true;
      return;
    }
    clearTimeout(poller.timer);
    if (document.hidden) return;
    poller.busy = true;
    let problem = "";
    let down = [];
    try {
      const res = await request("GET", STATE_URL);
      if (res.ok && res.body) {
        draw(res.body);
        down = Array.isArray(res.body.unavailable) ? res.body.unavailable : [];
      } else problem = `${res.status}: ${errorText(res)}`;
    } catch (err) {
      problem = networkText(err);
    } finally {
      poller.busy = false;
    }
    poller.failures = problem ? poller.failures + 1 : 0;
    if (problem) setConnection("lost", problem);
    else if (down.length > 0) setConnection("partial", `${down.join(" and ")} not answering`);
    else setConnection("live");
    let delay = Math.min(POLL_MS * Math.max(poller.failures, 1), MAX_RETRY_MS);
    if (poller.again) {
      poller.again = false;
      delay = 0;
    }
    if (!document.hidden) poller.timer = setTimeout(poll, delay);
  }

  function onVisibility() {
    if (document.hidden) {
      clearTimeout(poller.timer);
      poller.prev = null; // the next rates start from fresh samples
    } else {
      void poll();
    }
  }

  function setConnection(state, detail = "") {
    $("connection").dataset.state = state;
    setText($("conn-text"), CONNECTION[state]);
    $("connection").title = detail;
    document.body.classList.toggle("stale", state === "lost");
    if (state === "lost") {
      const last = poller.lastOk ? `Last update ${poller.lastOk} · ` : "";
      setText($("updated"), `${last}${detail}`);
    } else if (state === "partial") {
      setText(
        $("updated"),
        `Updated ${poller.lastOk} · ${detail}: its parts show what they last did`,
      );
    }
  }

  // ---- drawing ----

  function draw(state) {
    try {
      // A service that did not answer (userstats, userevents) keeps its parts as they were.
      const down = new Set(Array.isArray(state.unavailable) ? state.unavailable : []);
      drawRates(state);
      if (!down.has("userstats")) {
        setText($("total"), fmt(state.total));
        drawLag(state.lag);
        drawChart(Array.isArray(state.topCities) ? state.topCities : []);
        drawList("reports", state.reports, reportItem);
      }
      if (!down.has("userevents")) drawList("jobs", state.jobs, jobItem);
      poller.lastOk = fmtTime(state.timestamp) || fmtTime(Date.now());
      setText($("updated"), `Updated ${poller.lastOk}`);
    } catch (err) {
      // eslint-disable-next-line no-console -- a browser page: its console is where a bug shows
      console.error("Dashboard: cannot draw the state", err);
    }
  }

  /** Events/s from the counters of two polls; a counter going down is a restart: 0 for that interval. */
  function drawRates({ counters, timestamp }) {
    const at = Date.parse(timestamp);
    const now = {
      at: Number.isNaN(at) ? Date.now() : at,
      in: counters?.produced,
      out: counters?.consumed,
    };
    const prev = poller.prev;
    poller.prev = now;
    const seconds = prev ? (now.at - prev.at) / 1000 : 0;
    // A counter missing now or before (its service did not answer) gives no rate, not a jump.
    const diff = (a, b) => (isNum(a) && isNum(b) ? a - b : null);
    if (seconds > 0) {
      rates.in = nextRate(rates.in, diff(now.in, prev.in), seconds);
      rates.out = nextRate(rates.out, diff(now.out, prev.out), seconds);
    }
    setText($("rate-in"), fmtRate(rates.in));
    setText($("rate-out"), fmtRate(rates.out));
  }

  function nextRate(old, diff, seconds) {
    if (!isNum(diff)) return null;
    if (diff <= 0) return 0;
    const sample = diff / seconds;
    return isNum(old) && old > 0 ? old + SMOOTHING * (sample - old) : sample;
  }

  function drawLag(lag) {
    setText($("lag"), isNum(lag) ? fmt(lag) : "unknown");
    $("lag").classList.toggle("na", !isNum(lag));
  }

  /** One bar per city, updated in place so that the widths animate. */
  function drawChart(cities) {
    const chart = $("chart");
    const max = Math.max(0, ...cities.map(([, n]) => n).filter(isNum));
    while (chart.children.length > cities.length) chart.lastElementChild.remove();
    cities.forEach(([name, count], i) => {
      const bar = chart.children[i] ?? chart.appendChild(barItem());
      const [label, track, value] = bar.children;
      setText(label, String(name));
      label.title = String(name);
      setText(value, fmt(count));
      const share = max > 0 && isNum(count) ? (count / max) * 100 : 0;
      track.firstElementChild.style.width = `${share > 0 ? Math.max(share, 0.5) : 0}%`;
    });
    $("chart-empty").hidden = cities.length > 0;
  }

  const barItem = () =>
    h("li", { class: "bar", "data-testid": "bar" }, [
      h("span", { class: "bar-name" }),
      h("span", { class: "bar-track", "aria-hidden": "true" }, [h("span", { class: "bar-fill" })]),
      h("span", { class: "bar-count" }),
    ]);

  /** Redraws a list only when its data changed (keeps focus on links otherwise). */
  function drawList(key, items, makeItem) {
    const list = Array.isArray(items) ? items : [];
    const signature = JSON.stringify(list);
    if (signature === signatures[key]) return;
    signatures[key] = signature;
    $(key).replaceChildren(...list.map(makeItem));
    $(`${key}-empty`).hidden = list.length > 0;
  }

  function jobItem(job) {
    const total = isNum(job.total) ? Math.max(job.total, 0) : 0;
    const produced = isNum(job.produced) ? Math.min(Math.max(job.produced, 0), total) : 0;
    const percent = total > 0 ? Math.floor((produced / total) * 100) : 0;
    return h("li", { "data-testid": "job", "data-state": token(job.state) }, [
      h("div", { class: "line" }, [
        h("code", { title: job.id, text: `job ${shortId(job.id)}` }),
        badge(job.state, JOB_LABELS),
        h("span", { class: "percent", text: `${percent}%` }),
      ]),
      h("progress", {
        max: total || 1,
        value: produced,
        "aria-label": `Progress of job ${shortId(job.id)}`,
      }),
      h("p", {
        class: "meta",
        text: `${fmt(produced)} of ${fmt(total)} users produced · ${fmtTime(job.updatedAt)}`,
      }),
      job.error ? h("p", { class: "error", text: job.error }) : null,
    ]);
  }

  function reportItem(report) {
    const when = fmtTime(report.sentAt || report.createdAt);
    const trigger = TRIGGERS[report.trigger] ?? report.trigger;
    return h("li", { "data-testid": "report", "data-status": token(report.status) }, [
      h("div", { class: "line" }, [
        h("a", {
          href: `reports/${encodeURIComponent(report.id)}?format=html`,
          target: "_blank",
          rel: "noopener",
          text: `Report #${report.id}`,
        }),
        badge(report.status, REPORT_LABELS),
        h("span", { class: "meta grow", text: `${fmt(report.total)} users · ${trigger}` }),
        h("span", { class: "meta", text: when }),
      ]),
      reportProblem(report),
    ]);
  }

  function reportProblem({ status, attempts, nextAttemptAt, error }) {
    if (status !== "pending" && status !== "failed") return null;
    const tries = isNum(attempts) ? `${fmt(attempts)} attempt${attempts === 1 ? "" : "s"}` : "";
    const next = status === "pending" && nextAttemptAt ? `next at ${fmtTime(nextAttemptAt)}` : "";
    const text = [tries, next, error].filter(Boolean).join(" · ");
    return text ? h("p", { class: "error", text }) : null;
  }

  // ---- controls ----

  const hideTimers = new Map();

  /** A control's outcome next to it; a success fades after a while, a problem stays. */
  function showMessage(node, text, kind = "") {
    clearTimeout(hideTimers.get(node));
    setText(node, text);
    node.className = `msg ${kind}`;
    if (kind === "ok")
      hideTimers.set(
        node,
        setTimeout(() => showMessage(node, ""), MESSAGE_MS),
      );
  }

  /** Runs one control's request: busy button, then the outcome next to it, then a fresh poll. */
  async function act(button, out, call, describe) {
    if (button.getAttribute("aria-disabled") === "true") return;
    button.setAttribute("aria-disabled", "true");
    showMessage(out, "Working…");
    try {
      const res = await call();
      if (res.ok && res.body) showMessage(out, ...describe(res.body));
      else showMessage(out, errorText(res), "err");
    } catch (err) {
      showMessage(out, `Request failed: ${networkText(err)}`, "err");
    } finally {
      button.removeAttribute("aria-disabled");
    }
    void poll();
  }

  function onSubmit(event) {
    event.preventDefault();
    const input = $("submit-n");
    const valid = input.checkValidity();
    input.setAttribute("aria-invalid", String(!valid));
    if (!valid) return showMessage($("submit-msg"), input.validationMessage, "err");
    const n = input.valueAsNumber;
    void act(
      $("submit-button"),
      $("submit-msg"),
      () => request("GET", `submit/${n}`),
      body => [`Accepted ${fmt(body.accepted)} users as job ${shortId(body.jobId)}.`, "ok"],
    );
  }

  const REPORT_OUTCOMES = {
    sent: ["sent.", "ok"],
    logged: ["written to the log (no SMTP configured).", "ok"],
    pending: ["not sent yet: it will be retried.", "warn"],
    failed: ["failed.", "err"],
  };

  function describeReport(body) {
    const [what, kind] = REPORT_OUTCOMES[body.status] ?? [`${body.status ?? "done"}.`, "ok"];
    return [`${body.id !== undefined ? `Report #${body.id}` : "The report"} ${what}`, kind];
  }

  function onSendReport() {
    void act(
      $("send-report"),
      $("report-msg"),
      () => request("POST", "report/send"),
      describeReport,
    );
  }

  function init() {
    $("submit-form").addEventListener("submit", onSubmit);
    $("submit-n").addEventListener("input", () => $("submit-n").removeAttribute("aria-invalid"));
    $("send-report").addEventListener("click", onSendReport);
    document.addEventListener("visibilitychange", onVisibility);
    void poll();
  }

  init();
})();
