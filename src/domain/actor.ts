import { DomainError, invalidField } from './errors.js';
import { describeCustomerIdRule, isCustomerId } from './order.js';

/**
 * On whose behalf a use case runs. An administrator (or a trusted service) acts for any
 * customer; a customer acts only on its own orders. Which callers are administrators is decided
 * by the transport (a scope); the ownership rule itself lives here.
 */
export type Actor = Readonly<{ kind: 'any' }> | Readonly<{ kind: 'customer'; customerId: string }>;

export const ANY_ACTOR: Actor = { kind: 'any' };

export function assertActsFor(actor: Actor, customerId: string): void {
  if (actor.kind === 'customer' && actor.customerId !== customerId) {
    throw new DomainError('FORBIDDEN', `caller ${JSON.stringify(actor.customerId)} may act only on its own orders`);
  }
}

/**
 * The customer filter a caller may use: '' means "mine" for a customer, "everyone" for an admin.
 * A malformed filter is INVALID (named `field`).
 */
export function customerScope(actor: Actor, requested: string, field = 'customer_id'): string {
  if (requested !== '' && !isCustomerId(requested)) throw invalidField(field, describeCustomerIdRule());
  if (actor.kind === 'any') return requested;
  if (requested === '') return actor.customerId;
  assertActsFor(actor, requested);
  return requested;
}
