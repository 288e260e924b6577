import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../../src/sim/index.js';
import { SIM_KIND_SPECS } from '../../../src/sim/jobs/kinds.js';
import { manualSim } from '../../helpers/sim.js';

let sim: Simulator;
let client: OpenAI;

beforeAll(async () => {
  ({ sim, client } = await manualSim());
});
afterAll(() => sim.close());

const upload = (purpose: string) =>
  client.files.create({ file: new File(['{}\n'], 'in.jsonl'), purpose: purpose as OpenAI.FilePurpose });

describe('files.create purposes', () => {
  it('accepts the purposes the kinds declare and those no kind owns', async () => {
    const declared = SIM_KIND_SPECS.flatMap((spec) => spec.filePurposes ?? []);
    // The kinds of issue 18 and batches read input files; a purpose list that lost one would refuse their demos.
    expect(declared).toEqual(expect.arrayContaining(['batch', 'fine-tune', 'evals']));
    for (const purpose of [...declared, 'assistants', 'vision', 'user_data']) {
      expect((await upload(purpose)).purpose).toBe(purpose);
    }
  });

  it('refuses any other purpose with a 400 that lists the accepted ones', async () => {
    const error = await upload('homework').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as Error).message).toMatch(
      /expected one of assistants, vision, user_data, batch, fine-tune, evals, got 'homework'/,
    );
  });
});
