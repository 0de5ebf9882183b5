import { PassThrough } from 'node:stream';
import { expect, test } from 'vitest';
import { formatBytes, progressBar, renderBar } from './progress-bar.js';

test('the bar shows the share done, and an unknown total as ?', () => {
  expect(renderBar(0, 10, 'x')).toBe(`[${'-'.repeat(30)}]   0% x`);
  expect(renderBar(27, 100, '27/100 orders')).toBe(`[${'#'.repeat(8)}${'-'.repeat(22)}]  27% 27/100 orders`);
  expect(renderBar(5, 5, 'done')).toBe(`[${'#'.repeat(30)}] 100% done`);
  expect(renderBar(7, 0, 'starting')).toBe(`[${' '.repeat(30)}]   ?% starting`);
});

test('bytes in binary units', () => {
  expect([formatBytes(0), formatBytes(1023), formatBytes(1536), formatBytes(5 * 1024 * 1024)]).toEqual([
    '0 B',
    '1023 B',
    '1.5 KiB',
    '5.0 MiB',
  ]);
});

test('nothing is drawn when the stream is not a terminal; on one, redraws are throttled but the end is drawn', () => {
  const plain = new PassThrough() as unknown as NodeJS.WriteStream;
  let written = '';
  (plain as unknown as PassThrough).on('data', (chunk: Buffer) => (written += chunk.toString()));
  const silent = progressBar(plain);
  silent.update(1, 2, 'a');
  silent.finish();
  expect(written).toBe('');

  const tty = Object.assign(new PassThrough(), { isTTY: true }) as unknown as NodeJS.WriteStream;
  const frames: string[] = [];
  (tty as unknown as PassThrough).on('data', (chunk: Buffer) => frames.push(chunk.toString()));
  let now = 1000;
  const bar = progressBar(tty, () => now);
  bar.update(1, 4, 'one');
  bar.update(2, 4, 'two'); // within 100 ms: not drawn
  now += 150;
  bar.update(3, 4, 'three');
  bar.update(4, 4, 'four'); // the end is always drawn
  bar.finish();
  const text = frames.join('');
  expect(text).toContain('one');
  expect(text).not.toContain('two');
  expect(text).toContain('three');
  expect(text.trimEnd().endsWith('four\u001b[K')).toBe(true);
});
