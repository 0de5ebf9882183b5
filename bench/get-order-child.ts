// GetOrder load from a process of its own (`node --import tsx bench/get-order-child.ts ADDRESS
// SECONDS CONCURRENCY` with the order ids as JSON on stdin): what the fanout scenario of
// bench/events.ts measures req/s with, so that the 10,000 watch streams, which live in the
// benchmark process, do not slow the load generator's event loop and count against the server.
// Prints {"started":true} when its window begins, then {"rps","errors","cpuSeconds"} and exits.
import { text } from 'node:stream/consumers';
import { getOrderLoad, ordersClient } from './event-servers.js';

const [address, seconds, concurrency] = process.argv.slice(2);
if (address === undefined || seconds === undefined || concurrency === undefined) {
  console.error('usage: bench/get-order-child.ts ADDRESS SECONDS CONCURRENCY < ids.json');
  process.exit(2);
}
const ids = JSON.parse(await text(process.stdin)) as string[];
const client = ordersClient(address);
await getOrderLoad(client.orders, ids, 0.5, Number(concurrency)); // connect and warm up
console.log(JSON.stringify({ started: true }));
const before = process.cpuUsage();
const load = await getOrderLoad(client.orders, ids, Number(seconds), Number(concurrency));
const used = process.cpuUsage(before);
console.log(JSON.stringify({ ...load, cpuSeconds: (used.user + used.system) / 1e6 }));
client.channel.close();
