import type { FileObject } from 'openai/resources/files';
import type { SimContext } from '../context.js';
import { toUnix } from '../jobs/job.js';
import { paginate } from '../jobs/list.js';
import { asSdk } from '../jobs/wire.js';
import { badRequest, missingParam } from '../server/errors.js';
import type { RouteDef } from '../server/route.js';
import { noSuchFile } from './file-store.js';

/** The parts of a `multipart/form-data` body, by field name. The boundary is read from the first line. */
export function parseMultipart(raw: Buffer): Map<string, { filename?: string; data: Buffer }> {
  const parts = new Map<string, { filename?: string; data: Buffer }>();
  const firstLineEnd = raw.indexOf('\r\n');
  if (firstLineEnd <= 2) return parts;
  const delimiter = Buffer.from(`\r\n${raw.subarray(0, firstLineEnd).toString('latin1')}`);
  let start = firstLineEnd + 2;
  while (start < raw.length) {
    const end = raw.indexOf(delimiter, start);
    const part = raw.subarray(start, end < 0 ? raw.length : end);
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd >= 0) {
      const headers = part.subarray(0, headerEnd).toString('latin1');
      const name = /name="([^"]*)"/.exec(headers)?.[1];
      const filename = /filename="([^"]*)"/.exec(headers)?.[1];
      if (name !== undefined) parts.set(name, { filename, data: part.subarray(headerEnd + 4) });
    }
    if (end < 0) break;
    start = end + delimiter.length + 2; // past "\r\n" (or the closing "--")
  }
  return parts;
}

// The purposes no kind of job owns; each kind declares its own (`SimKindSpec.filePurposes`).
const SHARED_PURPOSES: readonly string[] = ['assistants', 'vision', 'user_data'];

/**
 * `files.create` (multipart upload, kept in memory), `files.retrieve`, `files.content`, `files.list`. Batches
 * read their input from here and write their output and error files here. `kindPurposes`: the purposes the
 * kinds declare, accepted beside the shared ones.
 */
export function filesRoutes(ctx: SimContext, kindPurposes: readonly string[]): RouteDef[] {
  const PURPOSES = [...new Set([...SHARED_PURPOSES, ...kindPurposes])];
  const find = (id: string, now: number) => {
    const stored = ctx.files.get(id, now);
    if (!stored) throw noSuchFile(id);
    return stored;
  };
  return [
    {
      name: 'files.create',
      method: 'POST',
      path: '/files',
      rawBody: true,
      handle: ({ raw, now }) => {
        const parts = parseMultipart(raw);
        const purpose = parts.get('purpose')?.data.toString('utf8').trim();
        if (!purpose) throw missingParam('purpose');
        if (!PURPOSES.includes(purpose)) {
          throw badRequest(
            `Invalid value for 'purpose': expected one of ${PURPOSES.join(', ')}, got '${purpose}'.`,
            'purpose',
          );
        }
        const upload = parts.get('file');
        if (!upload) throw missingParam('file');
        const data = Buffer.from(upload.data);
        // Every key, null where there is no value, as the API sends a file.
        const file = asSdk<FileObject>({
          id: ctx.ids.make('file-', 22),
          object: 'file',
          bytes: data.length,
          created_at: toUnix(now),
          expires_at: null,
          filename: upload.filename ?? 'upload',
          purpose: purpose as FileObject['purpose'],
          status: 'processed',
          status_details: null,
        });
        ctx.files.add({ file, content: () => [data] });
        return { body: file };
      },
    },
    {
      name: 'files.retrieve',
      method: 'GET',
      path: '/files/:file_id',
      handle: ({ params, now }) => ({ body: find(params.file_id!, now).file }),
    },
    {
      name: 'files.content',
      method: 'GET',
      path: '/files/:file_id/content',
      handle: ({ params, now }) => ({
        body: null,
        content: { type: 'application/octet-stream', chunks: find(params.file_id!, now).content },
      }),
    },
    {
      name: 'files.list',
      method: 'GET',
      path: '/files',
      handle: ({ query, now }) => {
        const purpose = query.get('purpose');
        const files = ctx.files.list(now).filter((f) => !purpose || f.purpose === purpose);
        return { body: paginate(files, query) };
      },
    },
  ];
}
