import type { FileObject } from 'openai/resources/files';
import { SimHttpError } from '../server/errors.js';

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
