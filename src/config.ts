import { z } from 'zod';
import { ConfigError } from './errors/config-error';
import { apiKeyProblems } from './auth/api-keys';
import { DEFAULT_FRAME_ANCESTORS, parseFrameAncestors } from './security/frame-ancestors';
import { keyRingProblems } from './security/key-ring';
import { egressProxyProblems } from './security/egress-proxy';
import { keyMatchesCertificate, readPem, type PemKind, type TemporalConnectionSettings } from './temporal/connection-options';

// Env vars are strings; these helpers turn them into typed values with messages a human can act on.
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const commaList = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));

const UNITS_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;
/** `<requests>/<window>` such as `1000/1s` or `600/1m`, or `off`. */
const rateLimit = z
  .string()
  .regex(/^(off|[1-9]\d{0,8}\/[1-9]\d{0,6}(ms|s|m|h))$/, 'must be <requests>/<window> such as 1000/1s or 600/1m, or off')
  .transform((v): RateLimitSetting => {
    if (v === 'off') return { windowMs: 1_000, label: 'off' };
    const [count, window] = v.split('/') as [string, string];
    const unit = /(ms|s|m|h)$/.exec(window)![1] as keyof typeof UNITS_MS;
    return { max: Number(count), windowMs: Number(window.slice(0, -unit.length)) * UNITS_MS[unit], label: window };
  });

/** A path to a PEM file, read and parsed at start-up so a wrong file stops the process with its variable named. */
const pemFile = (kind: PemKind) =>
  z.string().transform((path, ctx) => {
    const { file, problem } = readPem(path, kind);
    if (!file) {
      ctx.issues.push({ code: 'custom', message: problem!, input: path });
      return z.NEVER;
    }
    return file;
  });
// A DNS name, as a TLS certificate carries it.
const hostName = z.string().regex(/^(?=.{1,253}$)[A-Za-z0-9*]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/, 'must be a DNS name');

const otlpUrl = z.url({ message: 'must be an absolute http(s) URL' }).refine((v) => /^https?:\/\//.test(v), 'must be an absolute http(s) URL');
const otlpProtocol = z.enum(['http/protobuf', 'http/json'], { message: 'must be http/protobuf or http/json (OTLP over gRPC is not supported: use the collector\'s HTTP port, 4318)' });

const keyRing = z.string().superRefine((v, ctx) => keyRingProblems(v).forEach((message) => ctx.addIssue({ code: 'custom', message })));

const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    HOST: z.string().min(1).default('127.0.0.1'),
    PORT: int(0, 65535).default(3000),
    DATABASE_URL: z.url({ message: 'must be a postgres:// URL' }).optional(),
    DATABASE_POOL_SIZE: int(1, 200).default(10),
    TEMPORAL_ADDRESS: z.string().regex(/^[^\s:]+:\d+$/, 'must be host:port').optional(),
    TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
    // An existing cluster or Temporal Cloud. The names are Temporal's own (the `temporal` CLI reads them too).
    TEMPORAL_TLS: bool.optional(),
    TEMPORAL_TLS_CLIENT_CERT_PATH: pemFile('certificate').optional(),
    TEMPORAL_TLS_CLIENT_KEY_PATH: pemFile('private key').optional(),
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: pemFile('certificate').optional(),
    TEMPORAL_TLS_SERVER_NAME: hostName.optional(),
    TEMPORAL_API_KEY: z.string().regex(/^\S+$/, 'must be one token without spaces').optional(),
    HOOKFLOW_TASK_QUEUE: z.string().min(1).default('hookflow-deliveries'),
    HOOKFLOW_API_KEYS: commaList
      .superRefine((entries, ctx) => entries.forEach((e, i) => apiKeyProblems(e, i + 1).forEach((message) => ctx.addIssue({ code: 'custom', message }))))
      .optional(),
    HOOKFLOW_ALLOW_PRIVATE_URLS: bool.optional(),
    HOOKFLOW_ALLOWED_CIDRS: commaList.default([]),
    HOOKFLOW_EGRESS_PROXY: z.string().superRefine((v, ctx) => egressProxyProblems(v).forEach((message) => ctx.addIssue({ code: 'custom', message }))).optional(),
    HOOKFLOW_PAYLOAD_KEY: keyRing.optional(),
    HOOKFLOW_SECRET_KEYS: keyRing.optional(),
    HOOKFLOW_CODEC_CORS_ORIGINS: commaList.default(['http://localhost:8233', 'http://127.0.0.1:8233']),
    HOOKFLOW_RETRY_MAX_ATTEMPTS: int(1, 100).default(8),
    HOOKFLOW_RETRY_INITIAL_INTERVAL_MS: int(1, 86_400_000).default(5_000),
    HOOKFLOW_RETRY_BACKOFF_COEFFICIENT: z.coerce.number().min(1).max(10).default(3),
    HOOKFLOW_RETRY_MAX_INTERVAL_MS: int(1, 7 * 86_400_000).default(2 * 3_600_000),
    HOOKFLOW_REQUEST_TIMEOUT_MS: int(100, 300_000).default(15_000),
    HOOKFLOW_RESPONSE_BODY_LIMIT_BYTES: int(0, 1_048_576).default(4_096),
    HOOKFLOW_MAX_PAYLOAD_BYTES: int(1_024, 1_900_000).default(262_144),
    HOOKFLOW_DEAD_LETTER_RETENTION_SECONDS: int(1, 366 * 86_400).default(7 * 86_400),
    HOOKFLOW_AUTO_DISABLE_AFTER: int(0, 10_000).default(5),
    HOOKFLOW_SWEEP_INTERVAL_MS: int(100, 3_600_000).default(10_000),
    HOOKFLOW_SWEEP_GRACE_MS: int(0, 3_600_000).default(5_000),
    HOOKFLOW_DISPATCH_CONCURRENCY: int(1, 1_000).default(32),
    HOOKFLOW_DATA_DIR: z.string().min(1).default('.hookflow'),
    HOOKFLOW_RETENTION_DAYS: int(1, 3650).default(30),
    HOOKFLOW_RECOVER_PAGE_SIZE: int(1, 1_000).default(50),
    HOOKFLOW_TEMPORAL_RETENTION: z
      .string()
      .regex(/^\d+[dh]$/, 'must be a duration in days or hours, such as 7d or 72h')
      .default('7d')
      .transform((v) => Number(v.slice(0, -1)) * (v.endsWith('d') ? 86_400 : 3_600))
      .refine((secs) => secs >= 86_400 && secs <= 3650 * 86_400, 'must be between 1d and 3650d (Temporal requires at least a day)'),
    HOOKFLOW_METRICS_PORT: int(0, 65535).optional(),
    HOOKFLOW_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
    HOOKFLOW_METRICS_TENANT_LABEL: bool.default(false),
    HOOKFLOW_FAILING_AFTER: int(1, 100).default(4),
    HOOKFLOW_PORTAL_FRAME_ANCESTORS: z
      .string()
      .superRefine((v, ctx) => parseFrameAncestors(v).problems.forEach((message) => ctx.addIssue({ code: 'custom', message })))
      .transform((v) => parseFrameAncestors(v).sources)
      .optional(),
    HOOKFLOW_PORTAL_SESSION_SECONDS: int(60, 86_400).default(3_600),
    HOOKFLOW_PUBLIC_URL: z
      .url({ message: 'must be an absolute http(s) URL' })
      .refine((v) => /^https?:\/\//.test(v), 'must be an absolute http(s) URL')
      .transform((v) => v.replace(/\/+$/, ''))
      .optional(),
    // `hookflow dev` only: where its embedded Temporal dev server, Web UI and PostgreSQL listen.
    HOOKFLOW_DEV_TEMPORAL_PORT: int(1, 65535).default(7233),
    HOOKFLOW_DEV_UI_PORT: int(1, 65535).default(8233),
    HOOKFLOW_DEV_POSTGRES_PORT: int(1, 65535).default(54329),
    HOOKFLOW_SHUTDOWN_GRACE_MS: int(0, 600_000).default(1_000),
    // Per API key or tenant token, per API process. Generous: they stop a runaway client, not a busy one.
    HOOKFLOW_RATE_LIMIT: rateLimit.prefault('1000/1s'),
    HOOKFLOW_RATE_LIMIT_INGEST: rateLimit.prefault('5000/1s'),
    // Failed authentications (bad key or token, bad portal link) per client address, per API process.
    HOOKFLOW_AUTH_FAILURE_LIMIT: rateLimit.prefault('100/1m'),
    HOOKFLOW_EVENT_TYPES: z.enum(['open', 'strict'], { message: 'must be open or strict' }).default('open'),
    // Flow control (docs/flow-control.md): what one tenant may hold of the shared workers.
    HOOKFLOW_SLOW_LANE_IN_FLIGHT: int(0, 10_000).default(50),
    HOOKFLOW_MAX_SUBSCRIPTIONS_PER_TENANT: int(1, 1_000_000).default(1_000),
    HOOKFLOW_MAX_DELIVERIES_PER_EVENT: int(1, 1_000_000).default(1_000),
    // Tracing (src/telemetry/), on when an endpoint is set. OpenTelemetry's own names; the SDK reads
    // the others it defines (OTEL_EXPORTER_OTLP_HEADERS, OTEL_TRACES_SAMPLER, OTEL_BSP_*, ...) itself.
    OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl.optional(),
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlpUrl.optional(),
    OTEL_EXPORTER_OTLP_PROTOCOL: otlpProtocol.optional(),
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: otlpProtocol.optional(),
    OTEL_SERVICE_NAME: z.string().min(1).default('hookflow'),
    OTEL_SDK_DISABLED: bool.default(false),
  })
  .superRefine((env, ctx) => {
    const cert = env.TEMPORAL_TLS_CLIENT_CERT_PATH;
    const key = env.TEMPORAL_TLS_CLIENT_KEY_PATH;
    if (cert && !key) ctx.addIssue({ code: 'custom', path: ['TEMPORAL_TLS_CLIENT_KEY_PATH'], message: 'must be set with TEMPORAL_TLS_CLIENT_CERT_PATH (mutual TLS needs both)' });
    if (key && !cert) ctx.addIssue({ code: 'custom', path: ['TEMPORAL_TLS_CLIENT_CERT_PATH'], message: 'must be set with TEMPORAL_TLS_CLIENT_KEY_PATH (mutual TLS needs both)' });
    if (cert && key && !keyMatchesCertificate(cert, key)) {
      ctx.addIssue({ code: 'custom', path: ['TEMPORAL_TLS_CLIENT_KEY_PATH'], message: 'is not the private key of TEMPORAL_TLS_CLIENT_CERT_PATH' });
    }
    if (env.TEMPORAL_TLS === false) {
      for (const name of ['TEMPORAL_TLS_CLIENT_CERT_PATH', 'TEMPORAL_TLS_CLIENT_KEY_PATH', 'TEMPORAL_TLS_SERVER_CA_CERT_PATH', 'TEMPORAL_TLS_SERVER_NAME'] as const) {
        if (env[name] !== undefined) ctx.addIssue({ code: 'custom', path: ['TEMPORAL_TLS'], message: `is false, but ${name} is a TLS setting: drop one of them` });
      }
    }
    if (env.HOOKFLOW_RETRY_INITIAL_INTERVAL_MS > env.HOOKFLOW_RETRY_MAX_INTERVAL_MS) {
      ctx.addIssue({
        code: 'custom',
        path: ['HOOKFLOW_RETRY_MAX_INTERVAL_MS'],
        message: 'must be at least HOOKFLOW_RETRY_INITIAL_INTERVAL_MS',
      });
    }
  });

export type Env = z.infer<typeof envSchema>;

export interface RetryPolicyConfig {
  maxAttempts: number;
  initialIntervalMs: number;
  backoffCoefficient: number;
  maxIntervalMs: number;
}

export interface RateLimitSetting {
  /** Requests per window; undefined = no limit. */
  max?: number;
  windowMs: number;
  /** The window as configured (`1s`), for messages. */
  label: string;
}

/** Where spans go; absent = tracing off. */
export interface TracingSettings {
  /** The OTLP/HTTP traces URL (…/v1/traces). */
  url: string;
  protocol: 'http/protobuf' | 'http/json';
  serviceName: string;
}

export interface Config {
  env: Env['NODE_ENV'];
  logLevel: Env['LOG_LEVEL'];
  host: string;
  port: number;
  databaseUrl?: string;
  databasePoolSize: number;
  /** Where Temporal is and how to reach it (TLS, mutual TLS, an API key: src/temporal/connection-options.ts). */
  temporal: TemporalConnectionSettings & { taskQueue: string };
  apiKeys: string[];
  /** undefined = not set by the operator; `dev` then allows private URLs with a warning. */
  allowPrivateUrls?: boolean;
  allowedCidrs: string[];
  /** Every delivery goes through this HTTP forward proxy (src/security/egress-proxy.ts); unset = direct. */
  egressProxy?: string;
  payloadKey?: string;
  /** Encrypts signing secrets and keys at rest (src/security/secret-box.ts); `dev` makes one when unset. */
  secretKeys?: string;
  /** Browser origins (the Temporal Web UI) allowed to call /codec; `*` allows any. */
  codecCorsOrigins: string[];
  retry: RetryPolicyConfig;
  requestTimeoutMs: number;
  responseBodyLimitBytes: number;
  maxPayloadBytes: number;
  deadLetterRetentionSeconds: number;
  autoDisableAfter: number;
  sweepIntervalMs: number;
  sweepGraceMs: number;
  dispatchConcurrency: number;
  dataDir: string;
  /** How long PostgreSQL keeps closed deliveries, their events and attempts. */
  retentionDays: number;
  /** The Temporal namespace's retention of closed workflows, in seconds. */
  temporalRetentionSeconds: number;
  /** Deliveries a recovery resends per activity call (one page of PostgreSQL). */
  recoverPageSize: number;
  /** A separate, keyless /metrics listener (the worker's only HTTP surface); unset = none. */
  metricsPort?: number;
  metricsHost: string;
  /** Adds a `tenant` label to the per-delivery counters; off by default to keep series bounded. */
  metricsTenantLabel: boolean;
  /** Failed attempts in a row (within a round) after which `hookflow.delivery.failing` is emitted. */
  failingAfter: number;
  portal: {
    /** CSP frame-ancestors sources of the portal's pages; `'none'` unless the operator embeds it. */
    frameAncestors: string[];
    /** How long a session opened from a portal link lasts. */
    sessionSeconds: number;
    /** Where portal links point; unset = the origin the admin called the API on. */
    publicUrl?: string;
  };
  devPorts: { temporal: number; ui: number; postgres: number };
  /** How long a stopping worker lets in-flight attempts finish before it cancels (and so retries) them. */
  shutdownGraceMs: number;
  /** Per credential on /v1: `ingest` for POST /v1/events and /v1/events/batch, `api` for the rest. */
  rateLimits: { api: RateLimitSetting; ingest: RateLimitSetting; authFailures: RateLimitSetting };
  /** `open`: any event type is accepted (a catalogued one must match its schema); `strict`: only catalogued, non-deprecated types. */
  eventTypes: 'open' | 'strict';
  /** Attempts to endpoints not yet known to answer fast that one tenant may have open at once; 0 = no lane. */
  slowLaneInFlight: number;
  limits: { subscriptionsPerTenant: number; deliveriesPerEvent: number };
  /** OpenTelemetry tracing (src/telemetry/); undefined = off. */
  tracing?: TracingSettings;
}

/** Parses the environment once. Every bad variable is reported, not only the first. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings come from `FOO=` in shells and compose files; treat them as unset.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}${describeValue(cleaned, i.path)}`),
    );
  }
  const e = parsed.data;
  return {
    env: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    host: e.HOST,
    port: e.PORT,
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.HOOKFLOW_TASK_QUEUE,
      tls: temporalTls(e),
      apiKey: e.TEMPORAL_API_KEY,
    },
    apiKeys: e.HOOKFLOW_API_KEYS ?? [],
    allowPrivateUrls: e.HOOKFLOW_ALLOW_PRIVATE_URLS,
    allowedCidrs: e.HOOKFLOW_ALLOWED_CIDRS,
    egressProxy: e.HOOKFLOW_EGRESS_PROXY,
    payloadKey: e.HOOKFLOW_PAYLOAD_KEY,
    secretKeys: e.HOOKFLOW_SECRET_KEYS,
    codecCorsOrigins: e.HOOKFLOW_CODEC_CORS_ORIGINS,
    retry: {
      maxAttempts: e.HOOKFLOW_RETRY_MAX_ATTEMPTS,
      initialIntervalMs: e.HOOKFLOW_RETRY_INITIAL_INTERVAL_MS,
      backoffCoefficient: e.HOOKFLOW_RETRY_BACKOFF_COEFFICIENT,
      maxIntervalMs: e.HOOKFLOW_RETRY_MAX_INTERVAL_MS,
    },
    requestTimeoutMs: e.HOOKFLOW_REQUEST_TIMEOUT_MS,
    responseBodyLimitBytes: e.HOOKFLOW_RESPONSE_BODY_LIMIT_BYTES,
    maxPayloadBytes: e.HOOKFLOW_MAX_PAYLOAD_BYTES,
    deadLetterRetentionSeconds: e.HOOKFLOW_DEAD_LETTER_RETENTION_SECONDS,
    autoDisableAfter: e.HOOKFLOW_AUTO_DISABLE_AFTER,
    sweepIntervalMs: e.HOOKFLOW_SWEEP_INTERVAL_MS,
    sweepGraceMs: e.HOOKFLOW_SWEEP_GRACE_MS,
    dispatchConcurrency: e.HOOKFLOW_DISPATCH_CONCURRENCY,
    dataDir: e.HOOKFLOW_DATA_DIR,
    retentionDays: e.HOOKFLOW_RETENTION_DAYS,
    temporalRetentionSeconds: e.HOOKFLOW_TEMPORAL_RETENTION,
    recoverPageSize: e.HOOKFLOW_RECOVER_PAGE_SIZE,
    metricsPort: e.HOOKFLOW_METRICS_PORT,
    metricsHost: e.HOOKFLOW_METRICS_HOST,
    metricsTenantLabel: e.HOOKFLOW_METRICS_TENANT_LABEL,
    failingAfter: e.HOOKFLOW_FAILING_AFTER,
    portal: {
      frameAncestors: e.HOOKFLOW_PORTAL_FRAME_ANCESTORS ?? DEFAULT_FRAME_ANCESTORS,
      sessionSeconds: e.HOOKFLOW_PORTAL_SESSION_SECONDS,
      publicUrl: e.HOOKFLOW_PUBLIC_URL,
    },
    devPorts: { temporal: e.HOOKFLOW_DEV_TEMPORAL_PORT, ui: e.HOOKFLOW_DEV_UI_PORT, postgres: e.HOOKFLOW_DEV_POSTGRES_PORT },
    shutdownGraceMs: e.HOOKFLOW_SHUTDOWN_GRACE_MS,
    rateLimits: { api: e.HOOKFLOW_RATE_LIMIT, ingest: e.HOOKFLOW_RATE_LIMIT_INGEST, authFailures: e.HOOKFLOW_AUTH_FAILURE_LIMIT },
    eventTypes: e.HOOKFLOW_EVENT_TYPES,
    slowLaneInFlight: e.HOOKFLOW_SLOW_LANE_IN_FLIGHT,
    limits: { subscriptionsPerTenant: e.HOOKFLOW_MAX_SUBSCRIPTIONS_PER_TENANT, deliveriesPerEvent: e.HOOKFLOW_MAX_DELIVERIES_PER_EVENT },
    tracing: tracingSettings(e),
  };
}

/** As the OpenTelemetry specification has it: the signal's own endpoint as given, else the base endpoint plus /v1/traces. */
function tracingSettings(e: Env): TracingSettings | undefined {
  if (e.OTEL_SDK_DISABLED) return undefined;
  const url = e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (e.OTEL_EXPORTER_OTLP_ENDPOINT && `${e.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`);
  if (!url) return undefined;
  const protocol = e.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? e.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf';
  return { url, protocol, serviceName: e.OTEL_SERVICE_NAME };
}

/**
 * TLS is on when asked for, when any TLS file or name is given, or with an API key (Temporal Cloud
 * takes API keys over TLS only); `TEMPORAL_TLS=false` keeps an API key on plain text, for a local proxy.
 */
function temporalTls(e: Env): TemporalConnectionSettings['tls'] {
  const files = {
    clientCert: e.TEMPORAL_TLS_CLIENT_CERT_PATH,
    clientKey: e.TEMPORAL_TLS_CLIENT_KEY_PATH,
    serverCa: e.TEMPORAL_TLS_SERVER_CA_CERT_PATH,
    serverName: e.TEMPORAL_TLS_SERVER_NAME,
  };
  const given = Object.values(files).some((v) => v !== undefined);
  const on = e.TEMPORAL_TLS ?? (given || e.TEMPORAL_API_KEY !== undefined);
  if (!on) return undefined;
  return Object.fromEntries(Object.entries(files).filter(([, v]) => v !== undefined));
}

// The proxy URL may carry the proxy's credentials.
const SECRET_VARS = new Set(['HOOKFLOW_API_KEYS', 'HOOKFLOW_PAYLOAD_KEY', 'HOOKFLOW_SECRET_KEYS', 'DATABASE_URL', 'HOOKFLOW_EGRESS_PROXY', 'TEMPORAL_API_KEY']);

function describeValue(env: Record<string, string | undefined>, path: PropertyKey[]): string {
  const name = String(path[0] ?? '');
  const value = env[name];
  if (value === undefined) return ' (not set)';
  // Never echo secrets back into logs, even when they are malformed.
  return SECRET_VARS.has(name) ? '' : ` (got ${JSON.stringify(value)})`;
}
