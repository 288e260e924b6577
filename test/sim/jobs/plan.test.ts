import { describe, expect, it } from 'vitest';
import { Plan } from '../../../src/sim/jobs/plan.js';

describe('Plan', () => {
  it('reads the status at any time and replans only the future', () => {
    const plan = new Plan<string>({ status: 'queued', at: 0 }, [
      { status: 'in_progress', at: 10 },
      { status: 'completed', at: 50 },
    ]);
    expect([plan.statusAt(-5), plan.statusAt(9), plan.statusAt(10), plan.statusAt(50)]).toEqual([
      'queued',
      'queued',
      'in_progress',
      'completed',
    ]);
    plan.replan(20, [
      { status: 'cancelling', at: 20 },
      { status: 'cancelled', at: 5 },
    ]);
    expect(plan.reachedBy(100)).toEqual([
      { status: 'queued', at: 0 },
      { status: 'in_progress', at: 10 },
      { status: 'cancelling', at: 20 },
      { status: 'cancelled', at: 20 },
    ]);
  });
});
