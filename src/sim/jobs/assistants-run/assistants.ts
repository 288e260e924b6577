import type { Assistant, AssistantTool } from 'openai/resources/beta/assistants';
import type { Message } from 'openai/resources/beta/threads/messages';
import type { Run } from 'openai/resources/beta/threads/runs/runs';
import type { SimContext } from '../../context.js';
import { optionalArray, optionalMetadata, optionalString, requireString } from '../../server/body.js';
import { badRequest, notFound } from '../../server/errors.js';
import type { RouteDef, SimRequest } from '../../server/route.js';
import { toUnix } from '../job.js';
import { paginate } from '../list.js';
import { RunJob, type ToolOutput } from './run.js';
import { type ThreadRecord, ThreadStore, textMessage } from './threads.js';

/**
 * The Assistants endpoints the SDK's `beta.assistants`, `beta.threads`, `beta.threads.messages` and
 * `beta.threads.runs` call: enough to create a run, watch it, answer its tool calls and read its reply.
 */
export function assistantsRoutes(ctx: SimContext): RouteDef[] {
  const assistants = new Map<string, Assistant>();
  const threads = new ThreadStore(ctx.ids);

  const thread = (req: SimRequest): ThreadRecord => {
    const id = req.params.thread_id!;
    const record = threads.get(id, req.now);
    if (!record) throw notFound('thread', id);
    return record;
  };
  const run = (req: SimRequest): RunJob => {
    const record = thread(req);
    const id = req.params.run_id!;
    const found = record.runs.find((r) => r.id === id);
    if (!found) throw notFound('run', id);
    return found;
  };
  const addMessages = (record: ThreadRecord, list: unknown[] | null, t: number, param: string) => {
    list?.forEach((m, i) => {
      record.messages.push(messageFrom(ctx, record.thread.id, asBody(m, `${param}[${i}]`), t));
    });
  };
  const startRun = (req: SimRequest, record: ThreadRecord): Run => {
    const { body, now } = req;
    const assistantId = requireString(body, 'assistant_id');
    const assistant = assistants.get(assistantId);
    if (!assistant) throw notFound('assistant', assistantId, 'assistant_id');
    if (body.stream === true) throw streamingUnsupported();
    const active = threads.activeRun(record, now);
    if (active) throw badRequest(`Thread ${record.thread.id} already has an active run ${active.id}.`);
    addMessages(record, optionalArray(body, 'additional_messages'), now, 'additional_messages');
    const metadata = optionalMetadata(body);
    const job = new RunJob({
      id: ctx.ids.make('run_'),
      threadId: record.thread.id,
      assistant,
      metadata,
      instructions: optionalString(body, 'instructions'),
      model: optionalString(body, 'model'),
      scenario: ctx.scenarioFor('assistants.run', metadata),
      random: ctx.jobRandom(),
      ids: ctx.ids,
      now,
    });
    record.runs.push(job);
    ctx.jobs.add(job);
    return job.toRun(now);
  };

  return [
    {
      name: 'assistants.create',
      method: 'POST',
      path: '/assistants',
      handle: ({ body, now }) => {
        const assistant: Assistant = {
          id: ctx.ids.make('asst_'),
          object: 'assistant',
          created_at: toUnix(now),
          model: requireString(body, 'model'),
          name: optionalString(body, 'name'),
          description: optionalString(body, 'description'),
          instructions: optionalString(body, 'instructions'),
          tools: (optionalArray(body, 'tools') ?? []) as AssistantTool[],
          metadata: optionalMetadata(body) ?? {},
          response_format: 'auto',
          temperature: 1,
          top_p: 1,
          tool_resources: {},
        };
        assistants.set(assistant.id, assistant);
        return { body: assistant };
      },
    },
    {
      name: 'assistants.retrieve',
      method: 'GET',
      path: '/assistants/:assistant_id',
      handle: ({ params }) => {
        const assistant = assistants.get(params.assistant_id!);
        if (!assistant) throw notFound('assistant', params.assistant_id!);
        return { body: assistant };
      },
    },
    {
      name: 'threads.create',
      method: 'POST',
      path: '/threads',
      handle: ({ body, now }) => {
        const record = threads.create(now, optionalMetadata(body));
        addMessages(record, optionalArray(body, 'messages'), now, 'messages');
        return { body: record.thread };
      },
    },
    {
      name: 'threads.retrieve',
      method: 'GET',
      path: '/threads/:thread_id',
      handle: (req) => ({ body: thread(req).thread }),
    },
    {
      name: 'threads.createAndRun',
      method: 'POST',
      path: '/threads/runs',
      handle: (req) => {
        const spec = req.body.thread === undefined ? {} : asBody(req.body.thread, 'thread');
        // Validate the run first, so a bad request leaves no orphan thread behind.
        requireString(req.body, 'assistant_id');
        const record = threads.create(req.now, optionalMetadata(spec));
        addMessages(record, optionalArray(spec, 'messages'), req.now, 'thread.messages');
        return { body: startRun(req, record) };
      },
    },
    {
      name: 'messages.create',
      method: 'POST',
      path: '/threads/:thread_id/messages',
      handle: (req) => {
        const record = thread(req);
        const active = threads.activeRun(record, req.now);
        if (active) {
          throw badRequest(`Can't add messages to ${record.thread.id} while a run ${active.id} is active.`);
        }
        const message = messageFrom(ctx, record.thread.id, req.body, req.now);
        record.messages.push(message);
        return { body: message };
      },
    },
    {
      name: 'messages.list',
      method: 'GET',
      path: '/threads/:thread_id/messages',
      handle: (req) => {
        const runId = req.query.get('run_id');
        const messages = thread(req).messages.filter((m) => !runId || m.run_id === runId);
        return { body: paginate(messages, req.query) };
      },
    },
    {
      name: 'runs.create',
      method: 'POST',
      path: '/threads/:thread_id/runs',
      handle: (req) => ({ body: startRun(req, thread(req)) }),
    },
    {
      name: 'runs.list',
      method: 'GET',
      path: '/threads/:thread_id/runs',
      handle: (req) => ({
        body: paginate(
          thread(req).runs.map((r) => r.toRun(req.now)),
          req.query,
        ),
      }),
    },
    {
      name: 'runs.retrieve',
      method: 'GET',
      path: '/threads/:thread_id/runs/:run_id',
      jobParam: 'run_id',
      handle: (req) => ({ body: run(req).toRun(req.now) }),
    },
    {
      name: 'runs.cancel',
      method: 'POST',
      path: '/threads/:thread_id/runs/:run_id/cancel',
      jobParam: 'run_id',
      handle: (req) => {
        const job = run(req);
        job.cancel(req.now);
        ctx.jobs.replanned(job);
        return { body: job.toRun(req.now) };
      },
    },
    {
      name: 'runs.steps.list',
      method: 'GET',
      path: '/threads/:thread_id/runs/:run_id/steps',
      jobParam: 'run_id',
      handle: (req) => ({ body: paginate(run(req).steps(req.now), req.query) }),
    },
    {
      name: 'runs.steps.retrieve',
      method: 'GET',
      path: '/threads/:thread_id/runs/:run_id/steps/:step_id',
      jobParam: 'run_id',
      handle: (req) => {
        const id = req.params.step_id!;
        const step = run(req)
          .steps(req.now)
          .find((s) => s.id === id);
        if (!step) throw notFound('run step', id);
        return { body: step };
      },
    },
    {
      name: 'runs.submitToolOutputs',
      method: 'POST',
      path: '/threads/:thread_id/runs/:run_id/submit_tool_outputs',
      jobParam: 'run_id',
      handle: (req) => {
        const job = run(req);
        if (req.body.stream === true) throw streamingUnsupported();
        const outputs = optionalArray(req.body, 'tool_outputs');
        if (!outputs) throw badRequest(`Missing required parameter: 'tool_outputs'.`, 'tool_outputs');
        job.submitToolOutputs(req.now, outputs.map(toolOutput));
        ctx.jobs.replanned(job);
        return { body: job.toRun(req.now) };
      },
    },
  ];
}

function asBody(value: unknown, param: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badRequest(`Invalid type for '${param}': expected an object.`, param, 'invalid_type');
  }
  return value as Record<string, unknown>;
}

function messageFrom(ctx: SimContext, threadId: string, body: Record<string, unknown>, now: number): Message {
  const role = requireString(body, 'role');
  if (role !== 'user' && role !== 'assistant') {
    throw badRequest(`Invalid value: '${role}'. Supported values are: 'user' and 'assistant'.`, 'role');
  }
  const content = body.content;
  let text: string;
  if (typeof content === 'string') text = content;
  else if (Array.isArray(content)) {
    text = content
      .map((part) => (part && typeof part === 'object' && 'text' in part ? String(part.text) : ''))
      .join('');
  } else throw badRequest(`Missing required parameter: 'content'.`, 'content', 'missing_required_parameter');
  return textMessage(ctx.ids, { threadId, role, text, at: now, metadata: optionalMetadata(body) });
}

function toolOutput(value: unknown, i: number): ToolOutput {
  const o = asBody(value, `tool_outputs[${i}]`);
  const id = o.tool_call_id;
  if (typeof id !== 'string' || id === '') {
    throw badRequest(
      `Missing required parameter: 'tool_outputs[${i}].tool_call_id'.`,
      `tool_outputs[${i}].tool_call_id`,
    );
  }
  return { tool_call_id: id, output: typeof o.output === 'string' ? o.output : '' };
}

function streamingUnsupported() {
  return badRequest('The runstate simulator does not stream (stream: true); poll or use webhooks.', 'stream');
}
