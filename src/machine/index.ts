// runstate/machine: the run machine and the words it speaks (states, status events, tool calls, what a source is
// handed), for XState users, tools that draw or test the machine, and authors of their own sources. Importing it
// loads no RxJS and no OpenAI client: everything here but the machine is a type.

// ── the machine ────────────────────────────────────────────────────────────────────────────────────────────
export {
  type RunMachineContext,
  type RunMachineEmitted,
  type RunMachineEvent,
  type RunMachineInput,
  runMachine,
} from '../../machines/run.machine.js';

// ── states and events ──────────────────────────────────────────────────────────────────────────────────────
export type {
  ActiveState,
  BatchProgress,
  JobOf,
  JobState,
  JobTypes,
  KindOfJob,
  RequestMeter,
  SnapshotOf,
  SourceContext,
  SourceName,
  StatusEvent,
  TerminalState,
  ToolCall,
  ToolOutput,
} from '../model/types.js';
