import type { StatelyInspectionEvent } from '@statelyai/inspect';
import { createWebSocketReceiver } from '@statelyai/inspect';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { DemoSummary } from '../../../src/cli/demo/demo-summary.js';
import {
  freePort,
  hasMachine,
  snapshotStatus,
  startInspectorBridge,
  until,
} from '../../helpers/inspector.js';
import { killLeftovers, runCli, startCli } from '../run-cli.js';

const FAST = ['--speed', '40'];

afterAll(killLeftovers);
const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

/** The run actors that reached the UI, and which of them it saw end. */
function runs(received: readonly StatelyInspectionEvent[]) {
  const actors = received.filter((e) => e.type === '@xstate.actor' && hasMachine(e, 'run'));
  const ended = actors.filter((a) =>
    received.some(
      (e) => e.type === '@xstate.snapshot' && e.sessionId === a.sessionId && snapshotStatus(e) === 'done',
    ),
  );
  return { actors, ended };
}

describe('runstate demo --inspect', () => {
  it('sends every watch, to its terminal snapshot, to an inspector bridge already listening (--inspect-url)', async () => {
    const bridge = await startInspectorBridge();
    closers.push(() => bridge.close());
    const { code, stdout, stderr } = await runCli([
      'demo',
      '--json',
      '--jobs',
      '3',
      ...FAST,
      '--inspect-url',
      bridge.url,
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const summary = JSON.parse(stdout) as DemoSummary;
    expect(summary.asScripted).toBe(3);
    // The process exited, so the inspector had let go of its socket; the relay may still be on the wire.
    await until(() => runs(bridge.received).ended.length >= 3, 'three ended run actors at the UI');
    const { actors, ended } = runs(bridge.received);
    expect(actors).toHaveLength(3);
    expect(ended).toHaveLength(3);
    const states = bridge.received
      .filter((e) => e.type === '@xstate.snapshot' && snapshotStatus(e) === 'done')
      .map((e) => (e as { snapshot: { value: unknown } }).snapshot.value);
    expect(states).toEqual(expect.arrayContaining(summary.jobs.map((j) => j.state)));
  }, 60_000);

  it('starts the bridge itself with --inspect, serves the page, and keeps it up until Ctrl-C', async () => {
    const port = await freePort();
    const cli = startCli(['demo', '--jobs', '1', ...FAST, '--inspect', '--inspect-port', String(port)]);
    await cli.waitFor('stdout', new RegExp(`inspector: http://localhost:${port}\\n`), 50_000);
    const page = await fetch(`http://127.0.0.1:${port}/`);
    expect(await page.text()).toContain('stately.ai/inspect');
    // A page that connects late gets the bridge's replay of what the demo sent.
    const received: StatelyInspectionEvent[] = [];
    const subscription = createWebSocketReceiver({ server: `ws://127.0.0.1:${port}` }).subscribe((e) =>
      received.push(e),
    );
    closers.push(() => subscription.unsubscribe());
    await cli.waitFor('stdout', /still serving .*Ctrl-C to quit/, 50_000);
    await until(() => runs(received).ended.length >= 1, 'the ended run actor at the UI');
    expect(runs(received).actors).toHaveLength(1);
    cli.child.kill('SIGINT');
    const exit = await cli.exit;
    expect(exit.code).toBe(0);
    expect(exit.stdout).toMatch(/1\/1 jobs? ended as scripted\./);
  }, 60_000);

  it('refuses an inspector URL where nothing listens, in one line, exit 2 (no endless reconnect)', async () => {
    const port = await freePort();
    const { code, stderr } = await runCli(['demo', '--jobs', '1', '--inspect-url', `ws://127.0.0.1:${port}`]);
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toEqual([
      `runstate demo: nothing listens at ws://127.0.0.1:${port}: start the inspector bridge first, or use --inspect`,
    ]);
  }, 60_000);
});
