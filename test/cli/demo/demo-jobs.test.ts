import { describe, expect, it } from 'vitest';
import { FATES } from '../../../src/cli/demo/demo-fates.js';
import { DEMO_SOURCES } from '../../../src/cli/demo/demo-job.js';
import { sourceFor } from '../../../src/cli/demo/demo-jobs.js';

describe('sourceFor', () => {
  it('spreads the dozen evenly over the sources', () => {
    const dozen = Array.from({ length: 12 }, (_, i) => sourceFor(i));
    for (const source of DEMO_SOURCES) expect(dozen.filter((s) => s === source)).toHaveLength(4);
  });

  it('watches each fate through another source on its next turn', () => {
    for (let i = 0; i < FATES.length; i++) expect(sourceFor(i + FATES.length)).not.toBe(sourceFor(i));
  });
});
