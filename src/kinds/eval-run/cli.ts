import { type CommandLineFlag, idPair, type KindCommandLine } from '../command-line.js';

const FLAG: CommandLineFlag = { name: 'eval-run', value: 'EVAL_ID/RUN_ID' };

/** `runstate watch --eval-run EVAL_ID/RUN_ID`. */
export const evalRunCommandLine: KindCommandLine<{ kind: 'eval.run'; evalId: string; runId: string }> = {
  flags: [FLAG],
  help: ['an eval run'],
  examples: ['runstate watch --eval-run eval_67ab.../evalrun_67ab... --max-wait 2h'],
  toRef(values) {
    const ids = idPair(values[FLAG.name], FLAG);
    return typeof ids === 'string' ? ids : { kind: 'eval.run', evalId: ids[0], runId: ids[1] };
  },
};
