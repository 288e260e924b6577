import type { KindCommandLine } from '../command-line.js';

/** `runstate watch --agent-session ID`. */
export const agentSessionCommandLine: KindCommandLine<{ kind: 'agent.session'; sessionId: string }> = {
  flags: [{ name: 'agent-session', value: 'ID' }],
  help: [
    'a Managed Agents session: follows its current turn to idle (completed) or failed;',
    'the function calls and approvals it waits for are shown, never answered',
  ],
  toRef: (values) => ({ kind: 'agent.session', sessionId: values['agent-session'] ?? '' }),
};
