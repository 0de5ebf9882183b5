// A TCP proxy the test controls, in front of a real server (PostgreSQL): pause() stops moving
// bytes in both directions (they wait in the kernel's buffers, as behind a stalled network or a
// SIGSTOPped proxy) and resume() delivers them; refuse() closes the listener and every
// connection (connections refused). The shared server itself is never touched.
import { createServer, type Server, type Socket, connect } from 'node:net';

export type TcpProxy = Readonly<{
  port: number;
  /** Connections open through the proxy (each closes once both sides have). */
  connections(): number;
  pause(): void;
  resume(): void;
  /** Drops every connection and stops listening: new connections are refused. */
  refuse(): Promise<void>;
  /** Listens again on the same port after refuse(). */
  accept(): Promise<void>;
  close(): Promise<void>;
}>;

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let paused = false;
  const onConnection = (client: Socket) => {
    const upstream = connect(target.port, target.host);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    if (paused) for (const s of pair) s.pause();
    const forward = (from: Socket, to: Socket) => {
      from.on('data', (chunk) => to.write(chunk));
      from.on('end', () => to.end());
      from.on('error', () => to.destroy());
      from.on('close', () => {
        to.destroy();
        pairs.delete(pair);
      });
    };
    forward(client, upstream);
    forward(upstream, client);
  };
  let server: Server = createServer(onConnection);
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
    });
  const port = await listen(0);
  const closeServer = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return {
    port,
    connections: () => pairs.size,
    pause() {
      paused = true;
      for (const pair of pairs) for (const s of pair) s.pause();
    },
    resume() {
      paused = false;
      for (const pair of pairs) for (const s of pair) s.resume();
    },
    async refuse() {
      for (const pair of pairs) for (const s of pair) s.destroy();
      await closeServer();
    },
    async accept() {
      server = createServer(onConnection);
      await listen(port);
    },
    async close() {
      for (const pair of pairs) for (const s of pair) s.destroy();
      if (server.listening) await closeServer();
    },
  };
}
