// Who may call what in orderflow: the scope each method requires, in one table that the generic
// server shell enforces (call-admission.ts), and the actor a principal acts as. Methods missing
// from the table are denied. Health (and reflection, when served) need no credentials.
import { type Actor, ANY_ACTOR } from '../../domain/actor.js';
import type { Principal } from '../../platform/auth/principal.js';
import { PUBLIC, type ScopeTable } from './call-admission.js';

/** Holders act for any customer (staff tools, trusted services); others only for their subject. */
export const ADMIN_SCOPE = 'orders:admin';

const ORDERS = '/orderflow.orders.v1.OrderService/';
const CATALOG = '/orderflow.catalog.v1.CatalogService/';
const EXPORTS = '/orderflow.exports.v1.ExportService/';

/** The scope each method needs. */
export const METHOD_SCOPES: ScopeTable = {
  [`${ORDERS}CreateOrder`]: 'orders:write',
  [`${ORDERS}GetOrder`]: 'orders:read',
  [`${ORDERS}ListOrders`]: 'orders:read',
  [`${ORDERS}UpdateOrderStatus`]: 'orders:write',
  [`${ORDERS}WatchOrders`]: 'orders:read',
  [`${ORDERS}ImportOrders`]: 'orders:write',
  [`${ORDERS}TrackOrders`]: 'orders:read',
  [`${EXPORTS}ExportOrders`]: 'orders:read',
  [`${EXPORTS}GetExportJob`]: 'orders:read',
  [`${EXPORTS}WatchExportJob`]: 'orders:read',
  [`${EXPORTS}DownloadExport`]: 'orders:read',
  [`${CATALOG}UpsertProduct`]: 'catalog:write',
  [`${CATALOG}GetProduct`]: 'catalog:read',
  [`${CATALOG}BatchGetProducts`]: 'catalog:read',
  [`${CATALOG}ListProducts`]: 'catalog:read',
  '/grpc.health.v1.Health/Check': PUBLIC,
  '/grpc.health.v1.Health/Watch': PUBLIC,
  '/grpc.reflection.v1.ServerReflection/ServerReflectionInfo': PUBLIC,
  '/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo': PUBLIC,
};

/** When authentication is off (dev only), every caller is this administrator. */
export const DEV_PRINCIPAL: Principal = { subject: 'anonymous-dev', scopes: new Set([ADMIN_SCOPE]), method: 'anonymous' };

/** On whose behalf a call acts: any customer with the admin scope, otherwise its own subject. */
export function actorOf(principal: Principal): Actor {
  return principal.scopes.has(ADMIN_SCOPE) ? ANY_ACTOR : { kind: 'customer', customerId: principal.subject };
}
