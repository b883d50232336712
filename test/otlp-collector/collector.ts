// A real OpenTelemetry Collector (main.go beside this file: OTLP receiver → file exporter) on 127.0.0.1,
// for the tracing test and the bench. The spans it received are read back from the exporter's file, as OTLP JSON.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../src/net/free-port';
import { waitFor } from '../support/wait';

const run = promisify(execFile);

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  /** OTLP's enum: 1 internal, 2 server, 3 client. */
  kind: number;
  attributes: Record<string, string | number | boolean>;
  status: { code?: number };
  service: string;
}

export interface Collector {
  /** For OTEL_EXPORTER_OTLP_ENDPOINT (OTLP over HTTP). */
  endpoint: string;
  pid: number;
  spans(): ReceivedSpan[];
  /** stderr of the collector, for a failure's message. */
  output(): string;
  stop(): Promise<void>;
}

export async function startCollector(): Promise<Collector> {
  // Builds it on a machine that has none cached yet (minutes); CI builds it before the tests.
  const { stdout } = await run('bash', [path.join(__dirname, 'build.sh')], { timeout: 15 * 60_000, maxBuffer: 16 * 1024 * 1024 });
  const bin = stdout.trim().split('\n').pop()!;
  const dir = mkdtempSync(path.join(tmpdir(), 'hookflow-otelcol-'));
  const port = await freePort();
  const file = path.join(dir, 'spans.jsonl');
  writeFileSync(
    path.join(dir, 'config.yaml'),
    [
      'receivers:',
      '  otlp:',
      '    protocols:',
      '      http:',
      `        endpoint: 127.0.0.1:${port}`,
      'exporters:',
      '  file:',
      `    path: ${file}`,
      '    flush_interval: 100ms',
      'service:',
      // Its own metrics would listen on a fixed port (8888); files run side by side.
      '  telemetry:',
      '    metrics:',
      '      level: none',
      '  pipelines:',
      '    traces:',
      '      receivers: [otlp]',
      '      exporters: [file]',
      '',
    ].join('\n'),
  );
  let output = '';
  const child: ChildProcess = spawn(bin, ['--config', `file:${path.join(dir, 'config.yaml')}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-20_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const failed = exited.then(() => {
    throw new Error(`the OpenTelemetry Collector exited: ${output}`);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  // Ready once the receiver answers (an empty export is a valid, empty request).
  const ready = waitFor(
    async () => {
      const res = await fetch(`${endpoint}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      return res.status === 200;
    },
    'the OpenTelemetry Collector to listen',
    20_000,
  );
  await Promise.race([ready, failed]);
  failed.catch(() => undefined);
  return {
    endpoint,
    pid: child.pid!,
    spans: () => (existsSync(file) ? parseSpans(readFileSync(file, 'utf8')) : []),
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string;
  boolValue?: boolean;
  doubleValue?: number;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  attributes?: { key: string; value: OtlpValue }[];
  status?: { code?: number };
}

/** The file exporter writes one ExportTraceServiceRequest as JSON per line. */
function parseSpans(text: string): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const batch = JSON.parse(line) as { resourceSpans?: { resource?: { attributes?: OtlpSpan['attributes'] }; scopeSpans?: { spans?: OtlpSpan[] }[] }[] };
    for (const rs of batch.resourceSpans ?? []) {
      const service = String(attributes(rs.resource?.attributes)['service.name'] ?? '');
      for (const ss of rs.scopeSpans ?? []) {
        for (const s of ss.spans ?? []) {
          spans.push({
            traceId: s.traceId,
            spanId: s.spanId,
            parentSpanId: s.parentSpanId ?? '',
            name: s.name,
            kind: s.kind ?? 0,
            attributes: attributes(s.attributes),
            status: s.status ?? {},
            service,
          });
        }
      }
    }
  }
  return spans;
}

function attributes(list: OtlpSpan['attributes']): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const { key, value } of list ?? []) {
    out[key] = value.stringValue ?? (value.intValue !== undefined ? Number(value.intValue) : (value.boolValue ?? value.doubleValue ?? ''));
  }
  return out;
}
