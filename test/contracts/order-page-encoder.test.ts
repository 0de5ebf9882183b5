// One OrderPageEncoder contract over the encoder on this event loop (exports.encodeThreads: 0)
// and the worker-thread pool (1 and 2 threads, real threads started from the TypeScript sources).
import { ThreadPageEncoder } from '../../src/adapters/export-encode-pool.js';
import { IN_LOOP_PAGE_ENCODER } from '../../src/adapters/export-encoders.js';
import { orderPageEncoderContract } from './order-page-encoder.contract.js';

orderPageEncoderContract('on the event loop', () => Promise.resolve({ encoder: IN_LOOP_PAGE_ENCODER, close: () => Promise.resolve() }));
for (const threads of [1, 2]) {
  orderPageEncoderContract(`worker-thread pool of ${threads}`, () => {
    const pool = new ThreadPageEncoder({ threads });
    return Promise.resolve({ encoder: pool, close: () => pool.close() });
  });
}
