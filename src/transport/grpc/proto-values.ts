// google.protobuf.Timestamp and orderflow.common.v1.Money to and from domain values.
import type { Money } from '../../domain/money.js';
import type { Money as ProtoMoney } from '../../gen/orderflow/common/v1/money.js';
import type { Timestamp } from '../../gen/google/protobuf/timestamp.js';

export function toTimestamp(date: Date): Timestamp {
  const ms = date.getTime();
  const seconds = Math.floor(ms / 1000);
  return { seconds: BigInt(seconds), nanos: (ms - seconds * 1000) * 1_000_000 };
}

export function toProtoMoney(money: Money): ProtoMoney {
  return { currencyCode: money.currencyCode, amountMinor: money.amountMinor };
}

export function fromProtoMoney(money: ProtoMoney | undefined): Money | undefined {
  return money === undefined ? undefined : { currencyCode: money.currencyCode, amountMinor: money.amountMinor };
}
