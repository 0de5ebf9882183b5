// orderflow's configuration: one zod schema, every key with its default and meaning, loaded by
// the generic platform loader (src/platform/config.ts). The README's configuration reference
// follows this file.
import { z } from 'zod';
import {
  type ConfigSpec,
  type ConfigWarnings,
  type Env,
  loadConfig as load,
  type Loaded,
  parseConfig as parse,
} from './platform/config.js';
import { secretRef } from './platform/config-secret.js';
import { authSchema, limitsShape, securityProblems, tlsSchema } from './platform/config-security.js';

const port = z.number().int().min(0).max(65535);
const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();
const MiB = 1024 * 1024;

const money = z.strictObject({ currencyCode: z.string(), amountMinor: z.union([z.number().int(), z.string().regex(/^\d+$/)]) });

/** Export jobs (ExportService): where they wait, how they run and retry (docs/adr/0006-export-jobs.md). */
const exportsSchema = z
  .strictObject({
    queue: z
      .discriminatedUnion('kind', [
        z.strictObject({
          /** In this process (the embedded default): needs nothing else; a restart resumes unfinished jobs. One process per store. */
          kind: z.literal('memory'),
        }),
        z.strictObject({
          /** BullMQ on Redis: worker processes (npm run worker) on any machine take the jobs. Redis must have maxmemory-policy noeviction. */
          kind: z.literal('bullmq'),
          host: z.string().min(1).default('127.0.0.1'),
          port: port.default(6379),
          db: z.number().int().min(0).max(15).default(0),
          username: z.string().min(1).optional(),
          password: secretRef.optional(),
          /** BullMQ's key prefix: deployments sharing one Redis use their own. */
          prefix: z.string().min(1).default('orderflow-bull'),
          queueName: z.string().min(1).default('exports'),
          /** A worker that stops renewing its lock this long (killed, frozen) loses the job to another. */
          lockDurationMs: positiveInt.default(30_000),
          /** How often workers look for jobs whose worker died. */
          stalledIntervalMs: positiveInt.default(30_000),
          /** A job whose workers died this many times is given up by BullMQ (its row stays unfinished: see the ADR). */
          maxStalledCount: positiveInt.default(5),
          connectTimeoutMs: positiveInt.default(5000),
        }),
      ])
      .prefault({ kind: 'memory' }),
    /** Jobs run at once by one process. */
    concurrency: positiveInt.max(64).default(2),
    /** Attempts in all; when the last fails the job is FAILED with its reason. */
    maxAttempts: positiveInt.max(100).default(3),
    /** Wait before the first retry; doubled for each next one, up to maxBackoffMs. */
    initialBackoffMs: positiveInt.default(1000),
    maxBackoffMs: positiveInt.default(60_000),
    /** Orders read per keyset page while writing a file. */
    pageSize: positiveInt.max(5000).default(500),
    /** Worker threads that encode export pages off the event loop (shared by this process's jobs); 0 encodes on the loop. */
    encodeThreads: z.number().int().min(0).max(16).default(1),
    /** Progress is stored in the job row at most this often. */
    progressIntervalMs: positiveInt.default(250),
    /**
     * The safety net of WatchExportJob: a watcher wakes on its job's change notification (LISTEN,
     * or the in-memory store's feed) and re-reads the row after this long without one. It bounds
     * the delay a lost notification causes (sent while LISTEN was down), so it need not be short:
     * 2 s is one primary-key read per watcher per 2 s, like events.catchUpIntervalMs.
     */
    watchPollIntervalMs: positiveInt.default(2000),
    /** The outbox is swept this often (new jobs of this process are dispatched at once). */
    dispatchIntervalMs: positiveInt.default(1000),
    /**
     * How often every dispatching process runs the maintenance: the reconcile sweep (below), then
     * retention. Both are safe with several replicas running them at once.
     */
    maintenanceIntervalMs: positiveInt.default(60_000),
    /**
     * A QUEUED or RUNNING job whose row has not changed this long is checked against the queue and
     * added again if the queue lost it (a Redis without persistence restarted), gave it up (BullMQ
     * past maxStalledCount) or finished it. Running jobs refresh their row with progress, so this
     * must be well above progressIntervalMs and (bullmq) above queue.lockDurationMs.
     */
    staleAfterMs: positiveInt.default(300_000),
    /** SUCCEEDED and FAILED jobs are deleted, with their files, this long after they finished. */
    retentionHours: positiveInt.default(168),
  })
  .prefault({});

export const configSchema = z.strictObject({
  /** dev, staging or prod: picks defaults operators expect, e.g. log format. */
  env: z.enum(['dev', 'staging', 'prod']),
  service: z
    .strictObject({
      /** Name in logs (and later metrics and traces). */
      name: z.string().min(1).default('orderflow'),
    })
    .prefault({}),
  grpc: z
    .strictObject({
      host: z.string().min(1).default('0.0.0.0'),
      /** 0 picks a free port (tests). */
      port: port.default(50051),
      /** Serve grpc.reflection v1 and v1alpha (grpcurl, Postman). */
      reflection: z.boolean().default(true),
      /**
       * Per-call telemetry: gRPC metrics, SERVER spans, the access log and x-trace-id. Turn off
       * only to measure what it costs (npm run bench).
       */
      callTelemetry: z.boolean().default(true),
      tls: tlsSchema,
      maxReceiveMessageBytes: positiveInt.default(4 * MiB),
      maxSendMessageBytes: positiveInt.default(4 * MiB),
      maxConcurrentStreams: positiveInt.default(1000),
      keepaliveTimeMs: positiveInt.default(30_000),
      keepaliveTimeoutMs: positiveInt.default(10_000),
      maxConnectionIdleMs: positiveInt.default(300_000),
      /** Ends connections after this long so that new replicas receive traffic. */
      maxConnectionAgeMs: positiveInt.default(1_800_000),
      maxConnectionAgeGraceMs: positiveInt.default(30_000),
    })
    .prefault({}),
  admin: z
    .strictObject({
      /** /metrics and /health/*: bind to loopback or an internal interface, never the public one. */
      host: z.string().min(1).default('127.0.0.1'),
      port: port.default(9464),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      /** json for machines (staging, prod); pretty for people (dev). */
      format: z.enum(['json', 'pretty']).default('json'),
      /**
       * The access log (grpc.callTelemetry): a line for every call, or only for calls that did not
       * end OK (a busy service's successful calls are then seen in metrics and traces only).
       */
      accessLog: z.enum(['all', 'failed']).default('all'),
    })
    .prefault({}),
  store: z
    .discriminatedUnion('kind', [
      z.strictObject({
        /** PGlite: PostgreSQL in this process, on a data directory. Nothing to install. */
        kind: z.literal('embedded'),
        /** Created on first start. Omit to keep the data in memory (lost on exit). */
        dataDir: z.string().min(1).optional(),
      }),
      z.strictObject({
        /** In-memory fakes: fastest, nothing persists; for tests and demos. */
        kind: z.literal('memory'),
      }),
      z.strictObject({
        kind: z.literal('postgres'),
        host: z.string().min(1).default('127.0.0.1'),
        port: port.default(5432),
        database: z.string().min(1),
        user: z.string().min(1),
        password: secretRef.optional(),
        /** Pool size per process. */
        poolMax: positiveInt.default(10),
        connectTimeoutMs: positiveInt.default(5000),
        /** Apply pending migrations at startup; otherwise run `npm run migrate` (a Kubernetes Job). */
        migrate: z.boolean().default(false),
      }),
    ])
    .prefault({ kind: 'embedded' }),
  cache: z
    .strictObject({
      /**
       * Where cached orders (and, with catalog.remote, products) live: memory, in this process
       * (the default; each replica its own); or redis, one copy shared by every replica, which a
       * write overwrites for all of them. If Redis fails, calls go to the store (slower, never an
       * error) and the service stays ready.
       */
      kind: z.enum(['memory', 'redis']).default('memory'),
      /** Orders kept in the in-process cache (memory only). */
      maxEntries: positiveInt.default(10_000),
      /** The longest an order stays cached (also the staleness left by a write whose cache update failed). */
      ttlMs: positiveInt.default(30_000),
      /** Each entry lives ttlMs minus up to this share of it, so entries filled together do not expire together. */
      ttlJitterRatio: z.number().min(0).max(0.5).default(0.1),
      redis: z
        .strictObject({
          host: z.string().min(1).default('127.0.0.1'),
          port: port.default(6379),
          db: z.number().int().min(0).max(15).default(0),
          /** ACL user; omit for `default`. */
          username: z.string().min(1).optional(),
          password: secretRef.optional(),
          /**
           * Prepended to every key (`<keyPrefix>order:v1:<id>`): the replicas of one deployment share
           * it, other deployments on the same Redis use their own. Key formats carry their own version.
           */
          keyPrefix: z.string().min(1).default('orderflow:'),
          /** Per call; the caller's remaining deadline, when shorter, wins. A slower answer is a miss. */
          commandTimeoutMs: positiveInt.default(250),
          connectTimeoutMs: positiveInt.default(2000),
          /** TLS to Redis (rediss); the system roots verify it unless caFile is set. */
          tls: z
            .strictObject({
              enabled: z.boolean().default(false),
              caFile: z.string().min(1).optional(),
              /** Name to verify in Redis's certificate, when it differs from host. */
              serverName: z.string().min(1).optional(),
            })
            .prefault({}),
        })
        .prefault({}),
    })
    .prefault({}),
  /** Which services this process hosts. Orders without catalog needs catalog.remote. */
  services: z
    .strictObject({
      /** OrderService, and with it the ExportService API (export jobs are recorded here; see exports). */
      orders: z.boolean().default(true),
      catalog: z.boolean().default(true),
      /**
       * This server also runs export jobs (in-process). false leaves them to `npm run worker`
       * processes (exports.queue.kind: bullmq); the worker ignores this key.
       */
      exports: z.boolean().default(true),
    })
    .prefault({}),
  exports: exportsSchema,
  catalog: z
    .strictObject({
      /** Products upserted at startup when this process hosts the catalog (dev convenience). */
      seed: z.array(z.strictObject({ id: z.string(), name: z.string(), price: money })).default([]),
      /** Where the catalog lives when this process does not host it: reached over gRPC. */
      remote: z
        .strictObject({
          /**
           * gRPC target of the processes hosting orderflow.catalog.v1.CatalogService: host:port, or
           * dns:///host:port naming every replica (a Kubernetes headless Service), or a static
           * list such as ipv4:10.0.0.1:50051,10.0.0.2:50051.
           */
          address: z.string().min(1),
          /**
           * How calls spread over the addresses the target resolves to: round_robin sends each
           * call to the next ready one; pick_first keeps one connection (one replica gets it all).
           */
          loadBalancing: z.enum(['round_robin', 'pick_first']).default('round_robin'),
          /** Deadline of one attempt, capped by what is left of the caller's own deadline. */
          timeoutMs: positiveInt.default(2000),
          /** Attempts in all for UNAVAILABLE (the only status retried), with exponential backoff. */
          maxAttempts: positiveInt.max(10).default(3),
          initialBackoffMs: positiveInt.default(50),
          maxBackoffMs: positiveInt.default(1000),
          /** Products are cached this long (prices may be this stale for new orders). */
          cacheTtlMs: nonNegativeInt.default(5000),
          cacheMaxEntries: positiveInt.default(10_000),
          /** How this process proves itself to the catalog: an API key sent as x-api-key. */
          apiKey: secretRef.optional(),
          /** TLS to the catalog; a client certificate (certFile/keyFile) for mTLS identities. */
          tls: z
            .strictObject({
              enabled: z.boolean().default(false),
              /** CA bundle that signed the catalog's certificate; the system roots when absent. */
              caFile: z.string().min(1).optional(),
              certFile: z.string().min(1).optional(),
              keyFile: z.string().min(1).optional(),
              /** Name to verify in the catalog's certificate, when it differs from the address. */
              serverName: z.string().min(1).optional(),
            })
            .prefault({}),
        })
        .optional(),
    })
    .prefault({}),
  tracing: z
    .strictObject({
      /** Share of traces started here that are recorded; callers' sampling decisions are kept. */
      sampleRatio: z.number().min(0).max(1).default(1),
      /** Where spans go: otlp (Jaeger, collectors), zipkin, console; none or [] records nothing. */
      exporters: z
        .array(
          z.discriminatedUnion('kind', [
            z.strictObject({
              kind: z.literal('otlp'),
              protocol: z.enum(['http', 'grpc']).default('http'),
              /** Default http://localhost:4318/v1/traces (http) or http://localhost:4317 (grpc). */
              endpoint: z.string().url().optional(),
            }),
            z.strictObject({ kind: z.literal('zipkin'), endpoint: z.string().url().default('http://localhost:9411/api/v2/spans') }),
            z.strictObject({ kind: z.literal('console') }),
            z.strictObject({ kind: z.literal('none') }),
          ]),
        )
        .default([]),
      batch: z
        .strictObject({
          scheduledDelayMs: positiveInt.default(5000),
          maxQueueSize: positiveInt.default(2048),
          maxExportBatchSize: positiveInt.default(512),
          exportTimeoutMs: positiveInt.default(30_000),
        })
        .prefault({}),
    })
    .prefault({}),
  events: z
    .strictObject({
      /**
       * Watchers hear commits of other processes through PostgreSQL LISTEN/NOTIFY; a notification
       * lost while the LISTEN connection is down is made up for by reading the log's head after
       * each reconnect and this often (so it delays an event by at most this long, never drops it).
       */
      catchUpIntervalMs: positiveInt.default(2000),
      /** Backoff between attempts to re-open the LISTEN connection: from this, doubling, with jitter (a readiness check while it is down also tries at once). */
      reconnectInitialMs: positiveInt.default(100),
      reconnectMaxMs: positiveInt.default(5000),
    })
    .prefault({}),
  health: z
    .strictObject({
      /** How often readiness checks (the store) run for the gRPC health service. */
      checkIntervalMs: positiveInt.default(5000),
      checkTimeoutMs: positiveInt.default(2000),
    })
    .prefault({}),
  auth: authSchema,
  limits: z
    .strictObject({
      ...limitsShape,
      /** Items one ImportOrders stream may carry; the rest is refused and reported. */
      maxImportItems: positiveInt.default(10_000),
      /**
       * Events one WatchOrders or TrackOrders stream may have waiting for its client. A client that
       * reads slower than events arrive is ended with ABORTED once this many wait (the message
       * names the last sequence it got: resume from there). Events are shared between streams, so
       * this bounds references, about 8 bytes each, not copies.
       */
      watchBufferEvents: positiveInt.default(1000),
    })
    .prefault({}),
  debug: z
    .strictObject({
      /** Admin endpoints /debug/log-level, /debug/cpu-profile, /debug/heap-snapshot. Off in prod. */
      enabled: z.boolean().default(false),
      /** The longest CPU profile one request may ask for. */
      maxProfileSeconds: positiveInt.max(300).default(60),
    })
    .prefault({}),
  shutdown: z
    .strictObject({
      /** Time for in-flight calls to finish after a signal before they are cancelled. */
      timeoutMs: positiveInt.default(30_000),
      /** NOT_SERVING is reported this long before the listener stops (load balancers catch up). */
      drainDelayMs: nonNegativeInt.default(0),
      /** Budget for closing the store and other resources after the drain. */
      closeTimeoutMs: positiveInt.default(5000),
    })
    .prefault({}),
});

type Parsed = z.infer<typeof configSchema>;

/** Rules that span several keys, checked after the schema. */
export function crossFieldProblems(config: Parsed): string[] {
  const problems: string[] = [];
  if (!config.services.orders && !config.services.catalog) problems.push('services: host at least one of orders and catalog');
  if (config.services.orders && !config.services.catalog && config.catalog.remote === undefined) {
    problems.push('catalog.remote: required when this process hosts orders but not catalog (services.catalog: false)');
  }
  if (config.services.orders && config.exports.queue.kind === 'memory' && !config.services.exports) {
    problems.push(
      'services.exports: with exports.queue.kind memory, the server must run export jobs itself (or use exports.queue.kind bullmq with workers)',
    );
  }
  const { staleAfterMs, progressIntervalMs, queue } = config.exports;
  if (staleAfterMs <= progressIntervalMs) {
    problems.push(
      `exports.staleAfterMs (${staleAfterMs}) must exceed exports.progressIntervalMs (${progressIntervalMs}): a healthy running job refreshes its row only that often`,
    );
  }
  if (queue.kind === 'bullmq' && staleAfterMs <= queue.lockDurationMs) {
    problems.push(
      `exports.staleAfterMs (${staleAfterMs}) must exceed exports.queue.lockDurationMs (${queue.lockDurationMs}): a job whose worker died is BullMQ's to hand over first`,
    );
  }
  return [...problems, ...securityProblems(config)];
}
export const CONFIG: ConfigSpec<typeof configSchema> = { schema: configSchema, check: crossFieldProblems, envPrefix: 'ORDERFLOW_' };

/** The validated configuration, secrets resolved, deeply frozen. */
export type Config = Loaded<typeof configSchema>;

/**
 * Loads the file named by CONF_PATH (or `defaultPath`) with ORDERFLOW_* overrides from `env`;
 * `warn` hears of settings ignored because an override switched a section's kind.
 */
export const loadConfig = (env?: Env, defaultPath?: string, warn?: ConfigWarnings): Config => load(CONFIG, env, defaultPath, warn);

export const parseConfig = (text: string, source: string, env: Env = {}, warn?: ConfigWarnings): Config =>
  parse(CONFIG, text, source, env, warn);
