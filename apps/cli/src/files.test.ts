/** readInputFile / writeFileAtomically: typed input errors (exit 65), all-or-nothing outputs. */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readInputFile, writeFileAtomically } from './files.js';

const dir = mkdtempSync(join(tmpdir(), 'cli-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readInputFile', () => {
  it('reads a file whole, refuses a missing or oversized one as ERR_INPUT_INVALID (exit 65)', () => {
    const p = join(dir, 'in.bin');
    writeFileSync(p, Buffer.from([1, 2, 3, 4, 5]));
    expect(Array.from(readInputFile(p, 'input'))).toEqual([1, 2, 3, 4, 5]);
    expect(Array.from(readInputFile(p, 'input', 5))).toEqual([1, 2, 3, 4, 5]);
    expect(() => readInputFile(p, 'input', 4)).toThrow(expect.objectContaining({ code: 'ERR_INPUT_INVALID', exitCode: 65 }));
    expect(() => readInputFile(join(dir, 'missing.bin'), 'CRL')).toThrow(expect.objectContaining({ code: 'ERR_INPUT_INVALID', exitCode: 65 }));
  });
});

describe('writeFileAtomically', () => {
  it('writes a string, bytes, or parts one after the other, and replaces an existing file', () => {
    const out = join(dir, 'out.txt');
    writeFileAtomically(out, 'héllo\n');
    expect(readFileSync(out, 'utf8')).toBe('héllo\n');
    writeFileAtomically(out, new Uint8Array([0x61, 0x62]));
    expect(readFileSync(out, 'latin1')).toBe('ab');
    const big = new Uint8Array(3 * 1024 * 1024).fill(0x78);
    writeFileAtomically(out, [new Uint8Array([0x25]), new Uint8Array(0), big, new Uint8Array([0x0a])]);
    const back = readFileSync(out);
    expect(back.length).toBe(big.length + 2);
    expect(back[0]).toBe(0x25);
    expect(back[1]).toBe(0x78);
    expect(back[back.length - 1]).toBe(0x0a);
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('fails with ERR_INPUT_INVALID and leaves nothing behind when the output cannot be written', () => {
    const out = join(dir, 'no-such-dir', 'out.pdf');
    expect(() => writeFileAtomically(out, 'x')).toThrow(expect.objectContaining({ code: 'ERR_INPUT_INVALID' }));
    // The temporary file is written, but renaming it onto a non-empty directory fails: it is removed.
    const sub = join(dir, 'sub');
    mkdirSync(sub);
    writeFileSync(join(sub, 'keep.txt'), 'keep');
    expect(() => writeFileAtomically(sub, 'x')).toThrow(expect.objectContaining({ code: 'ERR_INPUT_INVALID' }));
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(readFileSync(join(sub, 'keep.txt'), 'utf8')).toBe('keep');
  });
});
