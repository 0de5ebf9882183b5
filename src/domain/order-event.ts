import type { Order } from './order.js';

export type OrderEventType = 'CREATED' | 'STATUS_CHANGED';

/** One entry of the order event log; `order` is the order right after the change. */
export type OrderEvent = Readonly<{
  /** Starts at 1 and grows by exactly 1 per event, in commit order. */
  sequence: bigint;
  type: OrderEventType;
  order: Order;
  occurTime: Date;
}>;
