// SHA-256 from node:crypto, for export files hashed as they are written.
import { createHash } from 'node:crypto';
import type { Sha256 } from '../domain/ports.js';

export const nodeSha256: Sha256 = () => {
  const hash = createHash('sha256');
  return {
    update: (data) => void hash.update(data),
    hex: () => hash.digest('hex'),
  };
};
