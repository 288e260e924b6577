import { describe, expect, it } from 'vitest';
import type { Streamed } from '../../../src/cli/demo/demo-jobs.js';
import {
  headerLines,
  liveHeader,
  reportJson,
  reportLines,
  summarizeStreamed,
} from '../../../src/cli/demo/demo-render.js';
import type { DemoSummary } from '../../../src/cli/demo/demo-summary.js';
import { createStyle } from '../../../src/cli/format.js';
import type { RunSnapshot } from '../../../src/model/types.js';

const plain = createStyle({ isTTY: false } as NodeJS.WriteStream, {});

const summary: DemoSummary = {
  seed: 1,
  speed: 20,
  wallMs: 5_000,
  simulatedMs: 100_000,
  asScripted: 1,
  sources: [
    {
      source: 'poll',
      jobs: 1,
      retrieves: 4,
      calls: 4,
      detectionDelayMs: { jobs: 1, mean: 800, max: 800 },
      outcomes: { completed: 1 },
    },
  ],
  jobs: [
    {
      n: 1,
      id: 'resp_1',
      kind: 'response',
      fate: 'completes',
      source: 'poll',
      expected: 'completed',
      state: 'completed',
      status: 'completed',
      retrieves: 4,
      calls: 4,
      endedAt: 10_000,
      detectedAt: 10_800,
      detectionDelayMs: 800,
      problem: null,
      progress: null,
    },
  ],
};

const streamed: Streamed = {
  id: 'resp_s',
  textSnapshots: 3,
  last: { state: 'completed', source: 'stream', calls: 2, text: 'Autumn moonlight' } as RunSnapshot,
};

describe('demo rendering', () => {
  it('opens with what runs where', () => {
    expect(
      headerLines(plain, {
        count: 1,
        seed: 7,
        speed: 20,
        baseURL: 'http://127.0.0.1:1/v1',
        webhooksUrl: 'http://127.0.0.1:2/webhooks',
      }),
    ).toEqual([
      'runstate demo: 1 job on the simulator at http://127.0.0.1:1/v1 (seed 7, clock ×20)',
      'webhooks: signed deliveries to http://127.0.0.1:2/webhooks, verified by a hub',
      '',
    ]);
    expect(liveHeader(plain, 12_345)).toBe('simulated time +12.3 s');
  });

  it('reports the streamed response by its last snapshot, or the error that ended its watch', () => {
    expect(summarizeStreamed(streamed)).toEqual({
      id: 'resp_s',
      state: 'completed',
      source: 'stream',
      calls: 2,
      textSnapshots: 3,
      text: 'Autumn moonlight',
    });
    expect(summarizeStreamed({ id: '', textSnapshots: 0, error: 'not_found: gone' })).toMatchObject({
      state: undefined,
      error: 'not_found: gone',
    });
  });

  it('closes with the job table (when no live view showed the jobs), the summary and the streamed text', () => {
    const lines = reportLines(summary, summarizeStreamed(streamed), plain, false);
    expect(lines[0]).toBe('');
    expect(lines.some((l) => /^\s*#\s+fate\s+kind\s+source\s+job\s+state\s+delay\s+calls$/.test(l))).toBe(
      true,
    );
    expect(lines).toContain('1/1 job ended as scripted.');
    expect(lines.at(-2)).toBe(
      'Streamed response resp_s (stream(): completed via stream, 2 request(s), text in 3 snapshots)',
    );
    expect(lines.at(-1)).toBe('  Autumn moonlight');
    const live = reportLines(summary, summarizeStreamed(streamed), plain, true);
    expect(live.some((l) => /^\s*#\s+fate/.test(l))).toBe(false);
    expect(live.length).toBe(lines.length - 3);
  });

  it('prints the JSON summary with the streamed response beside it', () => {
    const parsed = JSON.parse(reportJson(summary, summarizeStreamed(streamed)));
    expect(parsed).toEqual({ ...summary, streamed: summarizeStreamed(streamed) });
  });
});
