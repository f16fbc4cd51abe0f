// Prometheus metrics, one registry per app (so several apps in one test process do not mix), served
// together with Node's process metrics, which exist once per process:
// counters and histograms the code feeds as things happen, and gauges read from the database when
// scraped. Names follow Prometheus's conventions: a `credauth_` prefix, base units, `_total` counters.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { type QueueDepth, readQueueDepths } from "./jobs/queue.ts";
import type { RevocationObserver } from "./jobs/revocation-job.ts";
import type { Db } from "./store/db.ts";
import { countRevocationsByState } from "./store/revocation-requests.ts";

/**
 * Node's process metrics, registered once per process. The event loop's delay is sampled every
 * 100 ms (prom-client's 10 ms default wakes an idle server a hundred times a second).
 */
let processRegistry: Registry | null = null;
function processMetrics(): Registry {
  if (processRegistry === null) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, eventLoopMonitoringPrecision: 100 });
  }
  return processRegistry;
}

/** The exposition of an app's metrics with the process's: what GET /metrics answers. */
export function exposition(metrics: Metrics): { contentType: string; text: () => Promise<string> } {
  const merged = Registry.merge([processMetrics(), metrics.registry]);
  return { contentType: merged.contentType, text: () => merged.metrics() };
}

export interface Metrics {
  readonly registry: Registry;
  /** Every answer, by route pattern (never the raw URL, which holds logins and ids) and status. */
  readonly httpRequests: Histogram<"method" | "route" | "status_code">;
  readonly rateLimitRefusals: Counter<"resource" | "limit">;
  /** Rows a worker in this process changed. */
  readonly revocationRows: Counter<"effect">;
  /** From the request to its end, observed by the worker that settled it. */
  readonly revocationDuration: Histogram<"outcome">;
  /** Delivery attempts of emails and webhooks in this process. */
  readonly notifications: Counter<"channel" | "outcome">;
}

/** Seconds: from a 20 ms revocation to one of half an hour. */
const REVOCATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

interface DatabaseReading {
  revocations: Record<string, number>;
  queues: QueueDepth[];
}

async function readDatabase(db: Db): Promise<DatabaseReading | null> {
  try {
    const [revocations, queues] = await Promise.all([countRevocationsByState(db), readQueueDepths(db)]);
    return { revocations, queues };
  } catch {
    return null;
  }
}

export function createMetrics(db: Db): Metrics {
  const registry = new Registry();
  processMetrics();

  // Read when scraped: one database read per scrape, shared by the gauges that need it (prom-client
  // collects all metrics at once). A database that does not answer shows as credauth_database_up 0,
  // and the other gauges keep their last values, rather than failing the whole scrape.
  let reading: Promise<DatabaseReading | null> | null = null;
  const readOnce = () => {
    reading ??= readDatabase(db).finally(() => {
      reading = null;
    });
    return reading;
  };
  new Gauge({
    name: "credauth_database_up",
    help: "1 if the database answered this scrape's queries, 0 if not",
    registers: [registry],
    async collect() {
      this.set((await readOnce()) === null ? 0 : 1);
    },
  });
  new Gauge({
    name: "credauth_revocations",
    help: "Revocation requests by state",
    labelNames: ["state"] as const,
    registers: [registry],
    async collect() {
      const read = await readOnce();
      for (const [state, count] of Object.entries(read?.revocations ?? {})) this.set({ state }, count);
    },
  });
  new Gauge({
    name: "credauth_jobs",
    help: "Revocation queue jobs by state: ready (due, waiting for a worker), deferred (retry delay), active",
    labelNames: ["queue", "state"] as const,
    registers: [registry],
    async collect() {
      for (const depth of (await readOnce())?.queues ?? []) {
        this.set({ queue: depth.queue, state: "ready" }, depth.ready);
        this.set({ queue: depth.queue, state: "deferred" }, depth.deferred);
        this.set({ queue: depth.queue, state: "active" }, depth.active);
      }
    },
  });
  new Gauge({
    name: "credauth_job_oldest_ready_seconds",
    help: "How long the longest-waiting due job of each revocation queue has waited",
    labelNames: ["queue"] as const,
    registers: [registry],
    async collect() {
      for (const depth of (await readOnce())?.queues ?? []) this.set({ queue: depth.queue }, depth.oldestReadySeconds);
    },
  });
  new Gauge({
    name: "credauth_database_connections",
    help: "This process's database connections: open, busy, waiting (callers waiting for one), max",
    labelNames: ["state"] as const,
    registers: [registry],
    async collect() {
      await readOnce(); // after this scrape's own reads, so they do not count as use
      const use = db.connections();
      for (const [state, value] of Object.entries(use)) this.set({ state }, value);
    },
  });

  return {
    registry,
    httpRequests: new Histogram({
      name: "credauth_http_request_duration_seconds",
      help: "HTTP requests by method, route pattern and status code",
      labelNames: ["method", "route", "status_code"] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    rateLimitRefusals: new Counter({
      name: "credauth_rate_limit_refusals_total",
      help: "Requests refused by a rate limit, by resource (core, audit_log, …) and limit (primary, secondary)",
      labelNames: ["resource", "limit"] as const,
      registers: [registry],
    }),
    revocationRows: new Counter({
      name: "credauth_revocation_rows_total",
      help: "SSO authorizations revoked and credentials destroyed by revocation jobs in this process",
      labelNames: ["effect"] as const,
      registers: [registry],
    }),
    notifications: new Counter({
      name: "credauth_notifications_total",
      help: "Notification delivery attempts in this process, by channel (email, webhook) and outcome (delivered, failed, skipped)",
      labelNames: ["channel", "outcome"] as const,
      registers: [registry],
    }),
    revocationDuration: new Histogram({
      name: "credauth_revocation_duration_seconds",
      help: "Revocations settled in this process, from request to end, by outcome",
      labelNames: ["outcome"] as const,
      buckets: REVOCATION_BUCKETS,
      registers: [registry],
    }),
  };
}

/** The worker's observer, feeding the revocation metrics. */
export function observeRevocations(metrics: Metrics): RevocationObserver {
  return {
    rowsChanged: (effect, rows) => metrics.revocationRows.inc({ effect }, rows),
    settled: ({ outcome, durationMs }) => metrics.revocationDuration.observe({ outcome }, durationMs / 1000),
    notificationAttempted: (channel, outcome) => metrics.notifications.inc({ channel, outcome }),
  };
}
