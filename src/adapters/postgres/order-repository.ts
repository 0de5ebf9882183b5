// OrderRepository and OrderEventLog on PostgreSQL SQL (PGlite or a server, through SqlDriver).
// Every order write appends its event in the same transaction (see event_sequence in
// migrations/0001_orders.sql for why sequences are gap-free and commit-ordered).
import type { CallScope } from '../../domain/call-scope.js';
import { notFound } from '../../domain/errors.js';
import type { Order, OrderStatus } from '../../domain/order.js';
import type { OrderEvent, OrderEventType } from '../../domain/order-event.js';
import type { EventQuery, OrderEventLog, OrderQuery, OrderRepository } from '../../domain/ports.js';
import { fromOrderJson, type OrderJson, toOrderJson } from '../order-json.js';
import type { EventsCommitted } from '../store.js';
import { EVENTS_CHANNEL, type SqlDriver, type SqlExecutor } from './sql-driver.js';

type OrderRow = {
  id: string;
  customer_id: string;
  status: OrderStatus;
  currency_code: string;
  total_minor: bigint | string;
  items: { productId: string; quantity: number; unitPriceMinor: string }[];
  version: bigint | string;
  idempotency_key: string;
  create_time: Date;
  update_time: Date;
};

type EventRow = {
  head: bigint | string;
  sequence: bigint | string | null;
  type: OrderEventType | null;
  payload: OrderJson | null;
  occur_time: Date | null;
};

const COLUMNS = 'id, customer_id, status, currency_code, total_minor, items, version, idempotency_key, create_time, update_time';

function toOrder(row: OrderRow): Order {
  return {
    id: row.id,
    customerId: row.customer_id,
    items: row.items.map((i) => ({
      productId: i.productId,
      quantity: i.quantity,
      unitPrice: { currencyCode: row.currency_code, amountMinor: BigInt(i.unitPriceMinor) },
    })),
    total: { currencyCode: row.currency_code, amountMinor: BigInt(row.total_minor) },
    status: row.status,
    version: BigInt(row.version),
    idempotencyKey: row.idempotency_key,
    createTime: row.create_time,
    updateTime: row.update_time,
  };
}

function itemsJson(order: Order): string {
  return JSON.stringify(
    order.items.map((i) => ({ productId: i.productId, quantity: i.quantity, unitPriceMinor: i.unitPrice.amountMinor.toString() })),
  );
}

/**
 * Appends the event and, in the same statement, notifies EVENTS_CHANNEL with its sequence:
 * PostgreSQL delivers the notification to every listener when the transaction commits, in commit
 * order, and never for a rollback (see postgres-event-signal.ts).
 */
async function appendEvent(tx: SqlExecutor, type: OrderEventType, order: Order): Promise<bigint> {
  const rows = await tx.query<{ sequence: bigint | string }>(
    `WITH next AS (UPDATE event_sequence SET last_value = last_value + 1 RETURNING last_value),
     appended AS (
       INSERT INTO order_events (sequence, order_id, customer_id, type, payload, occur_time)
       SELECT last_value, $1, $2, $3, $4, $5 FROM next
       RETURNING sequence)
     SELECT sequence, pg_notify('${EVENTS_CHANNEL}', sequence::text)::text AS notified FROM appended`,
    [order.id, order.customerId, type, JSON.stringify(toOrderJson(order)), order.updateTime],
  );
  return BigInt((rows[0] as { sequence: bigint | string }).sequence);
}

export class PostgresOrderRepository implements OrderRepository, OrderEventLog {
  constructor(
    private readonly sql: SqlDriver,
    private readonly onCommit: EventsCommitted = () => {},
  ) {}

  async get(id: string, scope?: CallScope): Promise<Order | undefined> {
    const rows = await this.sql.query<OrderRow>(`SELECT ${COLUMNS} FROM orders WHERE id = $1`, [id], scope);
    return rows[0] && toOrder(rows[0]);
  }

  async findByIdempotencyKey(customerId: string, key: string, scope?: CallScope): Promise<Order | undefined> {
    if (key === '') return undefined;
    const rows = await this.sql.query<OrderRow>(
      `SELECT ${COLUMNS} FROM orders WHERE customer_id = $1 AND idempotency_key = $2`,
      [customerId, key],
      scope,
    );
    return rows[0] && toOrder(rows[0]);
  }

  async list(query: OrderQuery, scope?: CallScope): Promise<Order[]> {
    const rows = await this.sql.query<OrderRow>(
      `SELECT ${COLUMNS} FROM orders
       WHERE ($1::text IS NULL OR customer_id = $1) AND ($2::text IS NULL OR status = $2) AND ($3::uuid IS NULL OR id < $3)
       ORDER BY id DESC LIMIT $4`,
      [query.customerId ?? null, query.status ?? null, query.beforeId === '' ? null : query.beforeId, query.limit],
      scope,
    );
    return rows.map(toOrder);
  }

  async count(query: Pick<OrderQuery, 'customerId' | 'status'>, scope?: CallScope): Promise<number> {
    const rows = await this.sql.query<{ n: bigint | string }>(
      'SELECT count(*) AS n FROM orders WHERE ($1::text IS NULL OR customer_id = $1) AND ($2::text IS NULL OR status = $2)',
      [query.customerId ?? null, query.status ?? null],
      scope,
    );
    return Number(rows[0]?.n ?? 0);
  }

  async create(order: Order, scope?: CallScope): Promise<{ order: Order; created: boolean }> {
    const result = await this.sql.transaction(async (tx) => {
      const inserted = await tx.query(
        `INSERT INTO orders (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (customer_id, idempotency_key) WHERE idempotency_key <> '' DO NOTHING
         RETURNING id`,
        [
          order.id,
          order.customerId,
          order.status,
          order.total.currencyCode,
          order.total.amountMinor.toString(),
          itemsJson(order),
          order.version.toString(),
          order.idempotencyKey,
          order.createTime,
          order.updateTime,
        ],
      );
      if (inserted.length === 0) {
        const rows = await tx.query<OrderRow>(`SELECT ${COLUMNS} FROM orders WHERE customer_id = $1 AND idempotency_key = $2`, [
          order.customerId,
          order.idempotencyKey,
        ]);
        return { order: toOrder(rows[0] as OrderRow), created: false, sequence: 0n };
      }
      return { order, created: true, sequence: await appendEvent(tx, 'CREATED', order) };
    }, scope);
    if (result.created) this.onCommit(result.sequence);
    return { order: result.order, created: result.created };
  }

  async update(id: string, change: (current: Order) => Order, scope?: CallScope): Promise<Order> {
    const { order, sequence } = await this.sql.transaction(async (tx) => {
      const rows = await tx.query<OrderRow>(`SELECT ${COLUMNS} FROM orders WHERE id = $1 FOR UPDATE`, [id]);
      if (rows[0] === undefined) throw notFound('order', id);
      const next = change(toOrder(rows[0]));
      await tx.query('UPDATE orders SET status = $2, version = $3, update_time = $4 WHERE id = $1', [
        id,
        next.status,
        next.version.toString(),
        next.updateTime,
      ]);
      return { order: next, sequence: await appendEvent(tx, 'STATUS_CHANGED', next) };
    }, scope);
    this.onCommit(sequence);
    return order;
  }

  async read(query: EventQuery, scope?: CallScope): Promise<{ events: OrderEvent[]; head: bigint }> {
    // One statement, one snapshot: the events and the head are consistent with each other.
    const rows = await this.sql.query<EventRow>(
      `SELECT h.last_value AS head, e.sequence, e.type, e.payload, e.occur_time
       FROM event_sequence h LEFT JOIN LATERAL (
         SELECT sequence, type, payload, occur_time FROM order_events
         WHERE sequence > $1 AND ($2::text IS NULL OR customer_id = $2) AND ($3::uuid[] IS NULL OR order_id = ANY($3::uuid[]))
         ORDER BY sequence LIMIT $4
       ) e ON true
       ORDER BY e.sequence`,
      [query.afterSequence.toString(), query.customerId ?? null, query.orderIds ?? null, query.limit],
      scope,
    );
    const head = BigInt(rows[0]?.head ?? 0);
    const events = rows.flatMap((row): OrderEvent[] =>
      row.sequence === null || row.type === null || row.payload === null || row.occur_time === null
        ? []
        : [{ sequence: BigInt(row.sequence), type: row.type, order: fromOrderJson(row.payload), occurTime: row.occur_time }],
    );
    return { events, head };
  }

  async head(scope?: CallScope): Promise<bigint> {
    const rows = await this.sql.query<{ last_value: bigint | string }>('SELECT last_value FROM event_sequence', [], scope);
    return BigInt(rows[0]?.last_value ?? 0);
  }
}
