// The HTTP endpoints the benchmark itself provides to the servers under test: an OTLP/HTTP trace
// sink (POST /v1/traces, bodies read and counted, then discarded, so the exporter pays for a
// real round trip) and the identity provider's key set (GET /jwks.json) for RS256 tokens.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export type HarnessHttp = Readonly<{
  url: string;
  /** Export requests, their bytes, and the spans in them (counted in the JSON bodies). */
  traces(): { requests: number; bytes: number; spans: number };
  jwksFetches(): number;
  close(): Promise<void>;
}>;

export async function startHarnessHttp(jwks: unknown): Promise<HarnessHttp> {
  let requests = 0;
  let bytes = 0;
  let fetches = 0;
  let spans = 0;
  const body = JSON.stringify(jwks);
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/jwks.json') {
      fetches += 1;
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    }
    if (req.method === 'POST' && req.url === '/v1/traces') {
      requests += 1;
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      return void req.on('end', () => {
        const text = Buffer.concat(chunks).toString('latin1');
        bytes += text.length;
        // Every span of the OTLP/JSON body has exactly one "spanId" key ("parentSpanId" does not match).
        spans += text.split('"spanId"').length - 1;
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    traces: () => ({ requests, bytes, spans }),
    jwksFetches: () => fetches,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
