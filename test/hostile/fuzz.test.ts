// Random and mutated protobuf bodies for every method of OrderService and CatalogService, sent
// over HTTP/2 with a valid admin token. Every call must end with a status (never UNKNOWN, never a
// handler failure, never internals in the details), and the server must come out intact.
import type { Client, Metadata } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FUZZ_METHODS, type FuzzMethod } from './fuzz-methods.js';
import { hex, mutations, randomInputs } from './fuzz-inputs.js';
import { expectIntactAfterAbuse, heapUsed } from './invariants.js';
import { problemWith, rawCall, rawClient, runPool, statusName } from './raw-calls.js';
import { bearer, type HostileApp, PATIENT_MS, prng, seedFor, startHostileApp } from './support.js';

const RANDOM_INPUTS = 240;
/** Long-lived streams with a valid request stay open: this is how long each is given. */
const OPEN_STREAM_DEADLINE_MS = 250;
const CONCURRENCY = 32;

let app: HostileApp;
let client: Client;
let metadata: Metadata;
let baseline: Awaited<ReturnType<typeof heapUsed>>;

beforeAll(async () => {
  app = await startHostileApp();
  client = rawClient(app.grpcAddress);
  metadata = bearer(app.adminToken);
  baseline = await heapUsed(app);
});

afterAll(async () => {
  client?.close();
  await app?.stop();
});

type Finding = { input: string; problem: string };

async function fuzz(method: FuzzMethod, inputs: Uint8Array[]): Promise<{ findings: Finding[]; codes: Map<string, number> }> {
  const codes = new Map<string, number>();
  const findings: Finding[] = [];
  const streaming = method.kind === 'client' || method.kind === 'bidi';
  await runPool(inputs, CONCURRENCY, async (input, index) => {
    // A valid request to a long-lived stream keeps it open, so it gets a short deadline; anything
    // else must end with its own status, however long a busy machine takes to send it.
    const staysOpen = method.longLived && method.decodes(input);
    const deadlineMs = staysOpen ? OPEN_STREAM_DEADLINE_MS : PATIENT_MS;
    // On request streams every other input follows a valid message: a bad one mid-stream.
    const messages = streaming && index % 2 === 1 ? [method.base, input] : [input];
    const outcome = await rawCall(client, { path: method.path, kind: method.kind, messages, metadata, deadlineMs });
    const problem = problemWith(outcome, staysOpen);
    if (problem !== undefined) findings.push({ input: hex(input), problem });
    const name = outcome.hung ? 'HUNG' : statusName(outcome.code);
    codes.set(name, (codes.get(name) ?? 0) + 1);
  });
  return { findings, codes };
}

/** What the server logged as the cause of its INTERNAL answers (never sent to the client). */
function loggedCauses(path: string): string[] {
  const lines = app.logs.filter((l) => l.method === path && String(l.msg).startsWith('call failed with an unexpected error'));
  return [...new Set(lines.map((l) => String((l.err as { message?: unknown } | undefined)?.message)))];
}

describe('hostile protobuf bodies', () => {
  for (const method of FUZZ_METHODS) {
    test(`${method.path} (${method.kind}) answers every random or mutated body with a clean status`, async () => {
      const seed = seedFor(method.path);
      const rng = prng(seed);
      const inputs = [...randomInputs(rng, RANDOM_INPUTS), ...mutations(method.base, rng)];
      const { findings, codes } = await fuzz(method, inputs);
      if (findings.length > 0) {
        console.log(
          `${method.path}: ${findings.length} of ${inputs.length} inputs misbehaved (seed ${seed}; HOSTILE_SEED=${process.env.HOSTILE_SEED ?? 0}); first ones:`,
        );
        for (const finding of findings.slice(0, 5)) console.log(`  ${finding.problem}  input=${finding.input}`);
        console.log(`  causes the server logged: ${JSON.stringify(loggedCauses(method.path))}`);
      }
      expect(Object.fromEntries(codes)).not.toHaveProperty('UNKNOWN');
      expect(findings.slice(0, 3), `seed ${seed}`).toEqual([]);
    });
  }

  test('the server is intact afterwards: health, a real order, heap, whole orders, gap-free events', async () => {
    await expectIntactAfterAbuse(app, baseline);
  });
});
