import type { Message } from 'openai/resources/beta/threads/messages';
import type { Thread } from 'openai/resources/beta/threads/threads';
import type { IdFactory } from '../../ids.js';
import { toUnix } from '../job.js';
import type { RunJob } from './run.js';

/** A thread with its messages and runs. */
export interface ThreadRecord {
  thread: Thread;
  messages: Message[];
  runs: RunJob[];
  /** Runs whose reply message was already added. */
  replied: Set<string>;
}

/** Builds a text message as the API returns it. */
export function textMessage(
  ids: IdFactory,
  init: {
    /** A message id named beforehand (a run's reply, which its message_creation step points to). */
    id?: string;
    threadId: string;
    role: 'user' | 'assistant';
    text: string;
    at: number;
    runId?: string;
    assistantId?: string;
    metadata?: Record<string, string> | null;
  },
): Message {
  return {
    id: init.id ?? ids.make('msg_'),
    object: 'thread.message',
    created_at: toUnix(init.at),
    thread_id: init.threadId,
    role: init.role,
    content: [{ type: 'text', text: { value: init.text, annotations: [] } }],
    status: 'completed',
    completed_at: init.role === 'assistant' ? toUnix(init.at) : null,
    incomplete_at: null,
    incomplete_details: null,
    assistant_id: init.assistantId ?? null,
    run_id: init.runId ?? null,
    attachments: [],
    metadata: init.metadata ?? {},
  };
}

/**
 * Threads and their messages. A completed run's reply is added lazily, the first time anything reads or
 * writes the thread after the run completed, dated when the run completed.
 */
export class ThreadStore {
  private readonly threads = new Map<string, ThreadRecord>();

  constructor(private readonly ids: IdFactory) {}

  /** Creates an empty thread at `t`. */
  create(t: number, metadata: Record<string, string> | null): ThreadRecord {
    const thread: Thread = {
      id: this.ids.make('thread_'),
      object: 'thread',
      created_at: toUnix(t),
      metadata: metadata ?? {},
      tool_resources: {},
    };
    const record: ThreadRecord = { thread, messages: [], runs: [], replied: new Set() };
    this.threads.set(thread.id, record);
    return record;
  }

  /** The thread brought up to date at `t` (replies of runs completed by then added), if it exists. */
  get(id: string, t: number): ThreadRecord | undefined {
    const record = this.threads.get(id);
    if (record) this.settle(record, t);
    return record;
  }

  /** The run holding the thread at `t`, if any. */
  activeRun(record: ThreadRecord, t: number): RunJob | undefined {
    return record.runs.find((run) => run.isActive(t));
  }

  private settle(record: ThreadRecord, t: number): void {
    for (const run of record.runs) {
      const completedAt = run.plan.reachedAt('completed', t);
      if (completedAt === undefined || record.replied.has(run.id)) continue;
      record.replied.add(run.id);
      record.messages.push(
        textMessage(this.ids, {
          id: run.replyMessageId(),
          threadId: record.thread.id,
          role: 'assistant',
          text: run.replyText(),
          at: completedAt,
          runId: run.id,
          assistantId: run.assistantId,
        }),
      );
    }
  }
}
