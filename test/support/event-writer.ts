// A writer in another process (run with `node --import tsx`): commits orders to a PostgreSQL
// database so that tests can check what a process that did not write hears. Reads one number a
// line on stdin, creates orders until the event log's head reaches it, and answers `head <n>`.
// Connection settings come as argv: host port user database.
import { createInterface } from 'node:readline';
import { openPgDriver } from '../../src/adapters/postgres/pg-driver.js';
import { PostgresOrderRepository } from '../../src/adapters/postgres/order-repository.js';
import { createUuidV7Generator } from '../../src/adapters/system.js';
import { anOrder } from './builders.js';

const [host = '127.0.0.1', port = '5432', user = 'postgres', database = 'postgres'] = process.argv.slice(2);
const driver = openPgDriver({
  host,
  port: Number(port),
  user,
  database,
  password: undefined,
  poolMax: 2,
  connectTimeoutMs: 5000,
  onIdleError: () => {},
});
const orders = new PostgresOrderRepository(driver);
const newId = createUuidV7Generator();

for await (const line of createInterface({ input: process.stdin })) {
  const target = BigInt(line.trim());
  let head = await orders.head();
  while (head < target) {
    await orders.create(anOrder({ id: newId() }));
    head = await orders.head();
  }
  process.stdout.write(`head ${head}\n`);
}
await driver.close();
