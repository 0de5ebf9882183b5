// The admin HTTP listener: /metrics, /health/live, /health/ready and /health (every check, and
// `degraded`: the informational ones failing), on its own bind address so that operational
// endpoints never share the public port.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { MetricsRegistry } from './metrics.js';
import type { Health } from './health.js';
import { exposition } from './metrics.js';

export type AdminServer = {
  listen(host: string, port: number): Promise<number>;
  close(): Promise<void>;
};

/** Extra routes (e.g. debug endpoints): resolves true when it handled the request. */
export type AdminRoutes = (req: IncomingMessage, res: ServerResponse, path: string) => Promise<boolean>;

export function createAdminServer(deps: { health: Health; registry: MetricsRegistry; log: Logger; routes?: AdminRoutes }): AdminServer {
  const { health, registry, log, routes } = deps;

  function send(res: ServerResponse, status: number, contentType: string, body: string): void {
    res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
    res.end(body);
  }

  function sendJson(res: ServerResponse, status: number, body: unknown): void {
    send(res, status, 'application/json', `${JSON.stringify(body)}\n`);
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://admin').pathname;
    if (routes !== undefined && (await routes(req, res, path))) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: 'method not allowed' });
    switch (path) {
      case '/metrics': {
        const { contentType, body } = await exposition(registry, req.headers.accept);
        return send(res, 200, contentType, body);
      }
      case '/health/live':
        return sendJson(res, 200, { status: 'ok' });
      case '/health/ready':
      case '/health': {
        const report = await health.report();
        const status = report.ready ? 'SERVING' : 'NOT_SERVING';
        // Informational checks that failed: still SERVING, but slower or with less (e.g. no cache).
        const degraded = Object.entries(report.checks).flatMap(([name, check]) =>
          check.ok ? [] : check.informational === true ? [name] : [],
        );
        const body = path === '/health' ? { status, serving: report.serving, degraded, checks: report.checks } : { status };
        return sendJson(res, report.ready ? 200 : 503, body);
      }
      default:
        return sendJson(res, 404, { error: 'not found', endpoints: ['/metrics', '/health', '/health/live', '/health/ready'] });
    }
  }

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      log.error({ err: error, path: req.url }, 'admin request failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5000;

  return {
    listen(host, port) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve((server.address() as AddressInfo).port);
        });
      });
    },
    close() {
      return new Promise((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
