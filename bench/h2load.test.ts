import { describe, expect, it } from 'vitest';
import { h2loadArgs, parseChildTimes, parseH2loadLog, parseH2loadOutput } from './h2load.js';

// Output of nghttp2 1.52's h2load, as run by the benchmark (followed by bash's `times`).
const OUTPUT = `starting benchmark...
spawning thread #0: 8 total client(s). 4096 total requests
Application protocol: h2c
progress: 10% done
finished in 1.25s, 3276.80 req/s, 330.12KB/s
requests: 4096 total, 4096 started, 4096 done, 4090 succeeded, 6 failed, 0 errored, 0 timeout
status codes: 4090 2xx, 0 3xx, 6 4xx, 0 5xx
traffic: 412.63KB (422530) total, 21.10KB (21606) headers (space savings 96.24%), 275.95KB (282210) data
                     min         max         mean         sd        +/- sd
time for request:      564us     19.77ms      2.01ms      1.78ms    92.80%
time for connect:      115us       280us       198us       116us   100.00%
time to 1st byte:    12.92ms     16.49ms     14.70ms      2.52ms   100.00%
req/s           :    1949.42     1985.48     1967.45       25.50   100.00%
0m0.003s 0m0.001s
0m0.180s 0m1.020s
`;

describe('h2load results', () => {
  it('reads the summary: duration, outcomes, HTTP codes and DATA bytes', () => {
    expect(parseH2loadOutput(OUTPUT)).toEqual({
      seconds: 1.25,
      total: 4096,
      succeeded: 4090,
      failed: 6,
      errored: 0,
      timedOut: 0,
      status2xx: 4090,
      dataBytes: 282210,
    });
    expect(parseH2loadOutput(OUTPUT.replace('finished in 1.25s', 'finished in 980.5ms')).seconds).toBeCloseTo(0.9805);
  });

  it('reads the CPU h2load used from the children line of `times`', () => {
    expect(parseChildTimes(OUTPUT)).toBeCloseTo(1.2);
    expect(parseChildTimes('x\n1m2.500s 0m0.500s\n')).toBeCloseTo(63);
    expect(() => parseChildTimes('finished in 1s')).toThrow(/times/);
  });

  it('fails loudly on output it does not recognise', () => {
    expect(() => parseH2loadOutput('connect: Connection refused')).toThrow(/"finished in"/);
  });

  it('takes p50 and p99 from the per-request log and counts non-200 answers', () => {
    const lines = Array.from({ length: 100 }, (_, i) => `17961133718${i}\t${i === 7 ? 503 : 200}\t${(i + 1) * 1000}`);
    expect(parseH2loadLog(`${lines.join('\n')}\n`)).toEqual({ count: 100, non200: 1, p50Ms: 50, p99Ms: 99 });
  });

  it('passes a fixed request count or a duration, the log file and every header', () => {
    const args = h2loadArgs({
      url: 'http://127.0.0.1:1/p.S/M',
      bodyFile: '/b',
      headers: { te: 'trailers', authorization: 'Bearer x' },
      connections: 8,
      streams: 16,
      requests: 800,
      logFile: '/l',
    });
    expect(args).toEqual([
      '-c',
      '8',
      '-m',
      '16',
      '-t',
      '1',
      '-d',
      '/b',
      '-n',
      '800',
      '--log-file=/l',
      '-H',
      'te: trailers',
      '-H',
      'authorization: Bearer x',
      'http://127.0.0.1:1/p.S/M',
    ]);
    expect(h2loadArgs({ url: 'u', bodyFile: '/b', headers: {}, connections: 1, streams: 1, durationS: 2 })).toContain('-D');
  });
});
