import type { FileObject } from 'openai/resources/files';
import type { SimContext } from '../context.js';
import { toUnix } from '../jobs/job.js';
import { paginate } from '../jobs/list.js';
import { badRequest, missingParam, SimHttpError } from '../server/errors.js';
import type { RouteDef } from '../server/route.js';

/** A file's content, produced on demand so a 50,000-line result file is never held whole in memory. */
export type FileContent = () => Iterable<string | Buffer>;

/** One stored file: its metadata and its content. */
export interface StoredFile {
  file: FileObject;
  content: FileContent;
}

/**
 * A file that may not exist yet: batches register their output and error files at creation, and the file
 * appears (to `files.retrieve`, `files.content`, `files.list`) once the batch has ended.
 */
export type FileSource = (now: number) => StoredFile | undefined;

/** 404 as OpenAI words it for a file id it does not know. */
export function noSuchFile(id: string, param: string | null = 'file_id'): SimHttpError {
  return new SimHttpError(404, `No such File object: ${id}`, 'invalid_request_error', param, null);
}

/** The simulator's files: uploads (kept in memory, they are small) and files the simulator writes itself. */
export class FileStore {
  private readonly sources = new Map<string, FileSource>();

  /** Adds an uploaded or ready-made file. */
  add(stored: StoredFile): void {
    this.sources.set(stored.file.id, () => stored);
  }

  /** Adds a file that exists from the time `source` first returns it. */
  addLater(id: string, source: FileSource): void {
    this.sources.set(id, source);
  }

  /** The file at `now`, if it exists by then. */
  get(id: string, now: number): StoredFile | undefined {
    return this.sources.get(id)?.(now);
  }

  /** Every file that exists at `now`, oldest first. */
  list(now: number): FileObject[] {
    const files: FileObject[] = [];
    for (const source of this.sources.values()) {
      const stored = source(now);
      if (stored) files.push(stored.file);
    }
    return files.sort((a, b) => a.created_at - b.created_at);
  }
}

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

// not a kind: file purposes (a batch's input file has purpose 'batch').
const PURPOSES: readonly string[] = ['assistants', 'batch', 'fine-tune', 'vision', 'user_data', 'evals'];

/**
 * `files.create` (multipart upload, kept in memory), `files.retrieve`, `files.content`, `files.list`. Batches
 * read their input from here and write their output and error files here.
 */
export function filesRoutes(ctx: SimContext): RouteDef[] {
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
        const file: FileObject = {
          id: ctx.ids.make('file-', 22),
          object: 'file',
          bytes: data.length,
          created_at: toUnix(now),
          filename: upload.filename ?? 'upload',
          purpose: purpose as FileObject['purpose'],
          status: 'processed',
        };
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
