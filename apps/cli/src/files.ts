/**
 * Reading inputs and writing outputs, shared by every command: unreadable or oversized inputs are
 * input errors (exit 65); an output is written to a temporary file next to it, synced and renamed,
 * so a failure never leaves a partial or empty output behind.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writevSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InputInvalidError } from '@seal/core';

/** Largest file a command reads unless it sets its own limit (PDFs and the files beside them). */
export const MAX_INPUT_BYTES = 512 * 1024 * 1024;

/** Read a file the user named; `what` names it in the one-line error (e.g. 'input PDF', 'CRL'). */
export function readInputFile(path: string, what: string, maxBytes = MAX_INPUT_BYTES): Uint8Array {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch {
    throw new InputInvalidError(`cannot read the ${what} ${path}`);
  }
  if (data.length > maxBytes) throw new InputInvalidError(`the ${what} ${path} is larger than ${maxBytes} bytes`);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Write `parts` one after the other as `output`, all or nothing. The parts are never joined in memory. */
export function writeFileAtomically(output: string, parts: string | Uint8Array | readonly Uint8Array[]): void {
  const list = typeof parts === 'string' ? [Buffer.from(parts, 'utf8')] : parts instanceof Uint8Array ? [parts] : parts;
  const tmp = join(dirname(output), `.${basename(output)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const fd = openSync(tmp, 'wx');
    try {
      let rest = list.filter((p) => p.length > 0);
      while (rest.length > 0) {
        let n = writevSync(fd, rest);
        const next: Uint8Array[] = [];
        for (const p of rest) {
          if (n >= p.length) n -= p.length;
          else {
            next.push(p.subarray(n));
            n = 0;
          }
        }
        rest = next;
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, output);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new InputInvalidError(`cannot write ${output}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}
