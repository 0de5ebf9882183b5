// Files the user names on the command line (an import file, --json @FILE, a token or a PEM
// file): a file that cannot be read is an input error (exit 2) that says why in words.
import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { InputError } from './args.js';

const REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the name is too long',
};

/** An InputError naming the file; `what` says what it was for, e.g. "the import file". */
export function unreadableFile(path: string, what: string, error: unknown): InputError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason = (code === undefined ? undefined : REASONS[code]) ?? (error instanceof Error ? error.message : String(error));
  return new InputError(`cannot read ${what} ${path}: ${reason}`, { cause: error });
}

export function readInputFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw unreadableFile(path, what, error);
  }
}

/**
 * Opens `path` for streaming; a missing file or a directory fails here, before any call starts,
 * instead of as a read error halfway through the stream.
 */
export async function openInputStream(path: string, what: string): Promise<Readable> {
  let handle;
  try {
    handle = await open(path);
  } catch (error) {
    throw unreadableFile(path, what, error);
  }
  if ((await handle.stat()).isDirectory()) {
    await handle.close();
    throw unreadableFile(path, what, Object.assign(new Error('is a directory'), { code: 'EISDIR' }));
  }
  return handle.createReadStream({ encoding: 'utf8' });
}
