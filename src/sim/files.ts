import type { FileObject } from 'openai/resources/files';
import type { SimContext } from './context.js';
import { missingParam } from './errors.js';
import { toUnix } from './jobs/job.js';
import type { RouteDef } from './route.js';

/**
 * A minimal `files.create`, so `batches.create` can be fed an id the usual way. The upload is read for its
 * `purpose` and filename only and not stored (batches accept any `input_file_id` anyway).
 */
export function filesRoutes(ctx: SimContext): RouteDef[] {
  return [
    {
      name: 'files.create',
      method: 'POST',
      path: '/files',
      rawBody: true,
      handle: ({ raw, now }) => {
        const text = raw.toString('latin1');
        const purpose = /name="purpose"\r\n(?:[^\r\n]*\r\n)*?\r\n([^\r\n]*)/.exec(text)?.[1];
        if (!purpose) throw missingParam('purpose');
        const file: FileObject = {
          id: ctx.ids.make('file-', 22),
          object: 'file',
          bytes: raw.length,
          created_at: toUnix(now),
          filename: /filename="([^"]*)"/.exec(text)?.[1] ?? 'upload',
          purpose: purpose as FileObject['purpose'],
          status: 'processed',
        };
        return { body: file };
      },
    },
  ];
}
