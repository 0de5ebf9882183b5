// A download in progress when retention deletes its job (exports.retentionHours) ends NOT_FOUND,
// saying why, instead of an internal error: the download use case over the memory store, with a
// file of more chunks than one read returns, so the deletion falls between two reads.
import { expect, test } from 'vitest';
import { openMemoryStore } from '../../src/adapters/memory/memory-store.js';
import { ANY_ACTOR } from '../../src/domain/actor.js';
import { DomainError } from '../../src/domain/errors.js';
import { downloadExport } from '../../src/domain/exports/download-export.js';
import { EXPORT_CHUNK_BYTES } from '../../src/domain/exports/export-job.js';
import { UNBOUNDED } from '../../src/domain/call-scope.js';
import { anExportJob } from '../contracts/export-job-store.contract.js';

const ID = '01900000-0000-7000-8000-00000000d0d0';
const CHUNKS = 40;

test('a download whose job retention deletes between two reads ends NOT_FOUND', async () => {
  const { exports: jobs } = openMemoryStore();
  const time = new Date('2026-01-01T00:00:00Z');
  await jobs.create(anExportJob({ id: ID, createTime: time, updateTime: time }));
  const attempt = (await jobs.startAttempt(ID, 1, time))!.attempts;
  for (let seq = 0; seq < CHUNKS; seq++)
    await jobs.writeChunk(ID, attempt, seq, { offset: seq * EXPORT_CHUNK_BYTES, data: new Uint8Array(EXPORT_CHUNK_BYTES) });
  await jobs.succeed(ID, attempt, { ordersDone: 1, sizeBytes: CHUNKS * EXPORT_CHUNK_BYTES, sha256: '00' }, time);

  const chunks = await downloadExport({ jobs })(ID, 0, ANY_ACTOR, UNBOUNDED);
  expect((await chunks.next()).done).toBe(false);
  expect(await jobs.deleteFinished(new Date('2027-01-01T00:00:00Z'), 10)).toBe(1);
  const failure = await (async () => {
    for (;;) if ((await chunks.next()).done === true) return undefined;
  })().catch((error: unknown) => error);
  expect(failure).toBeInstanceOf(DomainError);
  expect(failure).toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/was deleted .* during the download/) });
});
