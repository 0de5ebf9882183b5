// An in-test trace collector: receives OTLP/HTTP JSON (POST /v1/traces) and Zipkin v2 JSON
// (POST /api/v2/spans) and keeps the spans in one simple shape for assertions.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export type CollectedSpan = {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  kind: 'SERVER' | 'CLIENT' | 'INTERNAL' | 'PRODUCER' | 'CONSUMER' | 'UNSPECIFIED';
  service: string;
  attributes: Record<string, unknown>;
  error: boolean;
  /** Trace ids of the spans this one links to (OTLP only). */
  linkedTraceIds: string[];
  via: 'otlp' | 'zipkin';
};

type OtlpValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
type OtlpAttribute = { key: string; value: OtlpValue };
type OtlpSpan = {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: OtlpAttribute[];
  status?: { code?: number };
  links?: { traceId: string }[];
};
type OtlpBody = { resourceSpans: { resource?: { attributes?: OtlpAttribute[] }; scopeSpans: { spans: OtlpSpan[] }[] }[] };
type ZipkinSpan = {
  traceId: string;
  id: string;
  parentId?: string;
  name: string;
  kind?: string;
  localEndpoint?: { serviceName?: string };
  tags?: Record<string, string>;
};

const KINDS = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'] as const;

function value(v: OtlpValue): unknown {
  return v.stringValue ?? (v.intValue === undefined ? undefined : Number(v.intValue)) ?? v.boolValue ?? v.doubleValue;
}

function attributes(list: OtlpAttribute[] = []): Record<string, unknown> {
  return Object.fromEntries(list.map((a) => [a.key, value(a.value)]));
}

function fromOtlp(body: OtlpBody): CollectedSpan[] {
  return body.resourceSpans.flatMap((rs) => {
    const name = attributes(rs.resource?.attributes)['service.name'];
    const service = typeof name === 'string' ? name : '';
    return rs.scopeSpans.flatMap((ss) =>
      ss.spans.map((s) => ({
        traceId: s.traceId,
        spanId: s.spanId,
        parentSpanId: s.parentSpanId === undefined || s.parentSpanId === '' ? undefined : s.parentSpanId,
        name: s.name,
        kind: KINDS[s.kind] ?? 'UNSPECIFIED',
        service,
        attributes: attributes(s.attributes),
        error: s.status?.code === 2,
        linkedTraceIds: (s.links ?? []).map((l) => l.traceId),
        via: 'otlp' as const,
      })),
    );
  });
}

function fromZipkin(body: ZipkinSpan[]): CollectedSpan[] {
  return body.map((s) => ({
    traceId: s.traceId,
    spanId: s.id,
    parentSpanId: s.parentId,
    name: s.name,
    kind: (s.kind ?? 'INTERNAL') as CollectedSpan['kind'],
    service: s.localEndpoint?.serviceName ?? '',
    attributes: s.tags ?? {},
    error: s.tags?.['otel.status_code'] === 'ERROR' || s.tags?.error !== undefined,
    linkedTraceIds: [],
    via: 'zipkin' as const,
  }));
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  return JSON.parse((req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8'));
}

export async function startTraceCollector() {
  const spans: CollectedSpan[] = [];
  const server = createServer((req, res) => {
    readBody(req)
      .then((body) => {
        if (req.url === '/v1/traces') spans.push(...fromOtlp(body as OtlpBody));
        else if (req.url === '/api/v2/spans') spans.push(...fromZipkin(body as ZipkinSpan[]));
        res.writeHead(req.url === '/api/v2/spans' ? 202 : 200, { 'content-type': 'application/json' }).end('{}');
      })
      .catch((error: unknown) => {
        console.error('trace collector: bad request', req.url, error);
        res.writeHead(400).end();
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    spans,
    otlpEndpoint: `${base}/v1/traces`,
    zipkinEndpoint: `${base}/api/v2/spans`,
    /** Waits until `predicate` holds for the spans collected so far. */
    async waitFor(predicate: (spans: CollectedSpan[]) => boolean, timeoutMs = 60_000): Promise<CollectedSpan[]> {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(spans)) {
        if (Date.now() > deadline)
          throw new Error(`spans did not arrive in time; got: ${spans.map((s) => `${s.service}:${s.name}`).join(', ')}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return spans;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
