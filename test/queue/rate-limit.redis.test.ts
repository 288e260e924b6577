import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobRef } from '../../src/index.js';
import { createFineTune } from '../helpers/more-kinds.js';
import { type QueueFixture, queueFixture } from './fixture.js';

// One clock minute is one wall second: the limiter's windows and the simulator's bucket run on the same time.
const SPEED = 60;

let f: QueueFixture;
afterEach(async () => {
  await f?.close();
});

interface Sent {
  at: number;
  status: number;
}

/** A client that records when each request left (simulator clock) and how it was answered. */
function recordingClient(fixture: QueueFixture, sent: Sent[]): OpenAI {
  return new OpenAI({
    baseURL: fixture.sim.baseURL,
    apiKey: 'sim',
    maxRetries: 0,
    fetch: async (url, init) => {
      const at = fixture.sim.clock.now();
      const response = await fetch(url, init);
      sent.push({ at, status: response.status });
      return response;
    },
  });
}

function busiestMinute(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    while (sorted[hi]! - sorted[lo]! >= 60_000) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

async function responses(n: number, inProgressMs: number): Promise<JobRef[]> {
  const jobs: JobRef[] = [];
  for (let i = 0; i < n; i++) {
    jobs.push(
      await f.createResponse({ phases: { queued: 100, in_progress: inProgressMs }, outcome: 'completed' }),
    );
  }
  return jobs;
}

describe('runstate/queue: one rate budget for the whole fleet', () => {
  it('keeps three workers under the simulator’s 60 rpm: no 429, no minute over 60 requests', async () => {
    const RPM = 60;
    f = await queueFixture('rpm', { speed: SPEED, sim: { faults: { rpm: RPM } } });
    const sent: Sent[] = [];
    const client = recordingClient(f, sent);
    for (let i = 0; i < 3; i++) await f.addWorker({ client, rpm: RPM, concurrency: 5 });
    const jobs = await responses(8, 90_000);
    await Promise.all(jobs.map((j) => f.runs.watch(j)));
    const ends = await Promise.all(jobs.map((j) => f.runs.result(j)));
    expect(ends.map((s) => s.state)).toEqual(jobs.map(() => 'completed'));
    expect(f.sim.stats().rateLimited).toBe(0);
    expect(sent.every((s) => s.status === 200)).toBe(true);
    expect(busiestMinute(sent.map((s) => s.at))).toBeLessThanOrEqual(RPM);
    // The limiter did bind: unlimited, eight watches of 90 s on the default schedule read about 8 × 22 times.
    expect(sent.length).toBeLessThan(8 * 16);
  });

  it('counts the requests of a step beyond its first: fine-tunes read with their events stay under 60 rpm', async () => {
    const RPM = 60;
    f = await queueFixture('rpm-events', { speed: SPEED, sim: { faults: { rpm: RPM } } });
    const fixture = f;
    const sent: Sent[] = [];
    const client = recordingClient(fixture, sent);
    // Every step of a training fine-tune sends two requests (retrieve, then listEvents): a limiter that counted
    // steps let ~100 requests a minute through to a server that takes 60, and drew 429s.
    for (let i = 0; i < 3; i++) await fixture.addWorker({ client, rpm: RPM, concurrency: 5 });
    const jobs: JobRef[] = [];
    for (let i = 0; i < 6; i++) {
      const { id } = await createFineTune(fixture.client, {
        phases: { validating: 100, queued: 100, in_progress: 180_000 },
        requests: 20,
      });
      jobs.push({ kind: 'fine_tuning.job', id, progressFrom: 'events' });
    }
    await Promise.all(jobs.map((j) => fixture.runs.watch(j)));
    const ends = await Promise.all(jobs.map((j) => fixture.runs.result(j)));
    expect(ends.map((s) => s.state)).toEqual(jobs.map(() => 'completed'));
    const events = fixture.sim.stats().requests.byRoute['fine_tuning.jobs.events']?.total ?? 0;
    // The events were read (the case under test), and every request is in `calls`.
    expect(events).toBeGreaterThan(jobs.length);
    expect(ends.reduce((n, s) => n + s.calls, 0)).toBe(sent.length);
    expect(fixture.sim.stats().rateLimited).toBe(0);
    expect(sent.every((s) => s.status === 200)).toBe(true);
    expect(busiestMinute(sent.map((s) => s.at))).toBeLessThanOrEqual(RPM);
  });

  it('backs every worker off for the retry-after of one 429', async () => {
    f = await queueFixture('429', {
      speed: SPEED,
      sim: { faults: { rateLimit: { next: 1, retryAfterMs: 20_000, routes: ['responses.retrieve'] } } },
    });
    const sent: Sent[] = [];
    const client = recordingClient(f, sent);
    for (let i = 0; i < 3; i++) await f.addWorker({ client, concurrency: 1 });
    const jobs = await responses(6, 30_000);
    await Promise.all(jobs.map((j) => f.runs.watch(j)));
    const ends = await Promise.all(jobs.map((j) => f.runs.result(j)));
    expect(ends.map((s) => s.state)).toEqual(jobs.map(() => 'completed'));
    const limited = sent.find((s) => s.status === 429)!;
    expect(limited).toBeDefined();
    // The two other workers may each be inside a step already and send its request; no step starts after that
    // until the retry-after expires (without the shared limit, the others went on polling: 11 requests here).
    const quiet = sent.filter((s) => s.at > limited.at && s.at < limited.at + 19_000);
    expect(quiet.length).toBeLessThanOrEqual(2);
    expect(sent.filter((s) => s.at >= limited.at + 19_000).length).toBeGreaterThan(0);
  });
});
