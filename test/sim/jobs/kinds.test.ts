import { describe, expect, expectTypeOf, it } from 'vitest';
import { JOB_KINDS, type JobKind } from '../../../src/kinds/registry.js';
import type { SimJobKind } from '../../../src/sim/index.js';
import { isSimJobKind, SIM_KIND_SPECS, SIM_KINDS } from '../../../src/sim/jobs/kinds.js';

describe("the simulator's kind registry", () => {
  it('files each kind under its own name, and SimJobKind is its keys', () => {
    for (const [name, spec] of Object.entries(SIM_KINDS)) expect(spec.kind).toBe(name);
    expect(SIM_KIND_SPECS.map((s) => s.kind)).toEqual(Object.keys(SIM_KINDS));
    expectTypeOf<SimJobKind>().toEqualTypeOf<keyof typeof SIM_KINDS>();
  });

  it('serves every kind runstate watches, under the same names', () => {
    expect([...Object.keys(SIM_KINDS)].sort()).toEqual([...JOB_KINDS].sort());
    expectTypeOf<SimJobKind>().toEqualTypeOf<JobKind>();
  });

  it('knows its names and nothing else', () => {
    expect(isSimJobKind('batch')).toBe(true);
    expect(isSimJobKind('toString')).toBe(false);
    expect(isSimJobKind('fine_tuning.jobs')).toBe(false);
  });
});
