/**
 * A Next.js route handler serving a background response's snapshots as Server-Sent Events: save it as
 * `app/runs/[id]/events/route.ts`. A route handler takes a Web `Request` and returns a `Response`, which is what
 * `toEventStream` makes. The watch is shared by every tab that follows the same response through this server
 * instance (shareByJob, at module scope); a tab that reconnects gets only what it missed. The OpenAI client reads
 * OPENAI_API_KEY (and OPENAI_BASE_URL, if set) from the environment, as usual in a Next.js app.
 */
import OpenAI from 'openai';
import { shareByJob, toEventStream } from '../src/http/index.js';
import { stream, watchRun } from '../src/index.js';

// An event stream is never cached or prerendered.
export const dynamic = 'force-dynamic';

const client = new OpenAI();
const follow = shareByJob((job) => watchRun({ client, job, source: stream() }));

export async function GET(
  request: Request,
  { params }: { params: Promise<{ id: string }> },
): Promise<Response> {
  const { id } = await params;
  return toEventStream(follow({ kind: 'response', id }), { request });
}
