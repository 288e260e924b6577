import { describe, expect, it } from 'vitest';
import { adapters } from '../../../src/kinds/index.js';
import { appliedStatus, decodeInbox, encodeInboxEvent } from '../../../src/queue/webhooks/webhook-inbox.js';

const event = (type: string) => ({ type, at: 1_000, webhookId: 'wh_1' });

describe('webhook inbox: which events a step applies without a read', () => {
  it("applies terminal events only with 'when-needed', like webhookSource", () => {
    const run = adapters['assistants.run'];
    expect(appliedStatus(adapters.response, event('response.completed'), 'when-needed')).toBe('completed');
    expect(appliedStatus(adapters.batch, event('batch.failed'), 'when-needed')).toBe('failed');
    expect(appliedStatus(run, event('thread.run.cancelled'), 'when-needed')).toBe('cancelled');
    // States that carry data are read: the tool calls of requires_action, expires_at of an active state.
    expect(appliedStatus(run, event('thread.run.requires_action'), 'when-needed')).toBeUndefined();
    expect(appliedStatus(run, event('thread.run.in_progress'), 'when-needed')).toBeUndefined();
    // Another kind's event, and the default policy, apply nothing.
    expect(appliedStatus(adapters.response, event('batch.completed'), 'when-needed')).toBeUndefined();
    expect(appliedStatus(adapters.response, event('response.completed'), 'always')).toBeUndefined();
  });

  it('round-trips an event through its list entry and skips entries that are not one', () => {
    const entry = encodeInboxEvent({
      id: 'evt_1',
      type: 'response.completed',
      created_at: 1_700_000_000,
      data: { id: 'resp_1' },
      webhookId: 'wh_9',
    });
    expect(decodeInbox([entry, 'not json', '{"type":1}'])).toEqual([
      { type: 'response.completed', at: 1_700_000_000_000, webhookId: 'wh_9' },
    ]);
  });
});
