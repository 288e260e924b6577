// CPU to apply one poll answer that changes nothing but its time (the steady state of a watch on a running job):
// the machine's transition for a same-state status event, and with \`snap\`, the user's snapshot and its change key
// as watchRun makes them. In-process, no network. Run bundled (bench/lib/overhead-bundle.ts) as
// \`node overhead-apply-cpu.mjs [snap]\`; prints one JSON line (µs per event, \`process.cpuUsage\`).

import { NEVER } from 'rxjs';
import { createActor } from 'xstate';
import { adapters } from '../../src/kinds/index.js';
import { toStatusEvent } from '../../src/kinds/to-status-event.js';
import { changeKey, toSnapshot } from '../../src/watch/snapshot.js';
import { attachWatch, watchMachine } from '../../src/watch/watch-actors.js';

const input = {
  job: { kind: 'response', id: 'resp_1' } as const,
  kind: 'response' as const,
  jobId: 'resp_1',
  startedAt: Date.now(),
  maxWaitMs: 3600_000,
  toolNames: [],
};
const actor = createActor(watchMachine, { input });
attachWatch(actor.system, {
  client: {} as never,
  source: { name: 'x', watch: () => NEVER },
  context: { adapter: adapters.response } as never,
  tools: {},
  onToolError: 'report',
} as never);
const withSnap = process.argv[2] === 'snap';
let n = 0;
actor.subscribe((s) => {
  if (withSnap) changeKey(toSnapshot(s.context, 'watching', 1));
  n++;
});
actor.start();
const job = {
  id: 'resp_1',
  object: 'response',
  status: 'in_progress',
  created_at: 1,
  output: [],
  usage: null,
};
const ev = () => toStatusEvent(adapters.response, { ...job } as never, Date.now(), 'poll');
const N = 20000;
for (let i = 0; i < 3000; i++) actor.send(ev());
let t = process.cpuUsage();
for (let i = 0; i < N; i++) ev();
let d = process.cpuUsage(t);
const evUs = (d.user + d.system) / N;
t = process.cpuUsage();
for (let i = 0; i < N; i++) actor.send(ev());
d = process.cpuUsage(t);
console.log(
  JSON.stringify({
    withSnap,
    eventUs: evUs,
    sendUs: (d.user + d.system) / N - evUs,
    n,
    state: actor.getSnapshot().value,
  }),
);
process.exit(0);
