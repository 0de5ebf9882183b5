// How a secret is written in YAML: a reference, never the value.
import { z } from 'zod';
import type { Secret } from './secret.js';

/** A secret in YAML is a reference, never a literal: `{ fromEnv: NAME }` or `{ fromFile: PATH }`. */
export const SECRET_REF_MESSAGE =
  'must be a secret reference such as { fromEnv: PGPASSWORD } or { fromFile: /run/secrets/pg-password }, never the secret itself';
export const secretRef = z.union([z.strictObject({ fromEnv: z.string().min(1) }), z.strictObject({ fromFile: z.string().min(1) })], {
  error: SECRET_REF_MESSAGE,
});
export type SecretRef = z.infer<typeof secretRef>;

/** A parsed configuration with each secret reference replaced by its resolved Secret. */
export type WithSecrets<T> = T extends SecretRef ? Secret : T extends object ? { readonly [K in keyof T]: WithSecrets<T[K]> } : T;
