/**
 * `seal batch` against a real service on loopback: seals PDFs and JSON files, reports the bad
 * one and goes on, then a second run skips everything already sealed (resumption). The sealed
 * outputs are checked by the service's public verification and the PDFs by qpdf.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '@seal/api';
import { startHarness, type Harness } from '@seal/api/testing/harness';
import { onePagePdf } from '@seal/api/testing/pdf';
import { SealClient } from '@seal/client';
import { batchCommand, runBatch } from './batch.js';

let h: Harness;
let server: RunningServer;
/** Inputs and outputs of the test, inside the harness's temporary folder (removed by close()). */
let work: string;

beforeAll(async () => {
  h = await startHarness();
  server = h.server;
  work = join(h.dataDir, 'files');
  mkdirSync(work);
});

afterAll(async () => {
  await h?.close();
});

describe('seal batch', () => {
  it('seals a folder through the service, reports failures, and resumes', async () => {
    const agency = h.creds.agencies[0]!;
    const seal = agency.seals[0]!;
    const dir = join(work, 'in');
    const out = join(work, 'out');
    await promisify(execFile)('mkdir', ['-p', dir]);
    for (let i = 0; i < 5; i++) writeFileSync(join(dir, `doc-${i}.pdf`), onePagePdf(`document ${i}`));
    writeFileSync(join(dir, 'order.json'), JSON.stringify({ order: 7, items: ['a', 'b'] }));
    writeFileSync(join(dir, 'broken.pdf'), 'this is not a PDF');
    writeFileSync(join(dir, 'notes.txt'), 'ignored');

    const argv = [dir, '-o', out, '--seal', seal.id, '--server', server.url, '--api-key', agency.keys.operator, '--concurrency', '3'];
    const code = await batchCommand(argv);
    expect(code).toBe(65); // broken.pdf: malformed input; the others went on
    expect(readdirSync(out).sort()).toEqual(['doc-0.pdf', 'doc-1.pdf', 'doc-2.pdf', 'doc-3.pdf', 'doc-4.pdf', 'order.jws.json']);

    const anon = new SealClient({ baseUrl: server.url });
    for (let i = 0; i < 5; i++) {
      const sealed = readFileSync(join(out, `doc-${i}.pdf`));
      await promisify(execFile)('qpdf', ['--check', join(out, `doc-${i}.pdf`)]);
      const v = await anon.verifyPdf(sealed);
      expect(v.report.signatures).toHaveLength(1);
      expect(v.registry[0]!.seal?.id).toBe(seal.id);
    }
    const jws = JSON.parse(readFileSync(join(out, 'order.jws.json'), 'utf8')) as unknown;
    expect((await anon.verifyJson(jws)).report.indication).toBe('TOTAL_PASSED');

    // Second run: everything sealed is skipped; only the broken file is tried (and fails) again.
    const before = (await anon.checkpoint()).treeSize;
    const again = await runBatch({ dir, outDir: out, sealId: seal.id, client: new SealClient({ baseUrl: server.url, apiKey: agency.keys.operator }), concurrency: 2 });
    expect(again.skipped.sort()).toEqual(['doc-0.pdf', 'doc-1.pdf', 'doc-2.pdf', 'doc-3.pdf', 'doc-4.pdf', 'order.json']);
    expect(again.sealed).toEqual([]);
    expect(again.failed.map((f) => [f.file, f.code])).toEqual([['broken.pdf', 'ERR_PDF_MALFORMED']]);
    expect((await anon.checkpoint()).treeSize).toBe(before);
    expect(existsSync(join(out, 'broken.pdf'))).toBe(false);
  });

  it('fails with a usage error without the required options, and 77 for a wrong key', async () => {
    await expect(batchCommand([work])).rejects.toMatchObject({ code: 'ERR_USAGE' });
    const agency = h.creds.agencies[0]!;
    const dir = join(work, 'one');
    await promisify(execFile)('mkdir', ['-p', dir]);
    writeFileSync(join(dir, 'a.pdf'), onePagePdf('x'));
    const code = await batchCommand([dir, '-o', join(work, 'one-out'), '--seal', agency.seals[0]!.id, '--server', server.url, '--api-key', `${agency.keys.operator}x`]);
    expect(code).toBe(77);
  });
});

describe('remote sealing hook (seal pdf/json sign --server)', () => {
  it('seals a PDF and a JSON file through the service and leaves nothing on failure', async () => {
    const { sealRemote } = await import('../remote.js');
    const agency = h.creds.agencies[1]!;
    const seal = agency.seals[1]!;
    const input = join(work, 'remote.pdf');
    writeFileSync(input, onePagePdf('remote'));
    const output = join(work, 'remote-sealed.pdf');
    const index = await sealRemote({ kind: 'pdf', input, output, server: server.url, apiKey: agency.keys.operator, sealId: seal.id, pdfOptions: { reason: 'remote' } });
    const v = await new SealClient({ baseUrl: server.url }).verifyPdf(readFileSync(output));
    expect(v.registry[0]!.seal?.id).toBe(seal.id);
    expect(index).toBeGreaterThanOrEqual(0);

    const jin = join(work, 'remote.json');
    writeFileSync(jin, '{"x": [1, 2]}');
    const jout = join(work, 'remote.jws');
    await sealRemote({ kind: 'json', input: jin, output: jout, server: server.url, apiKey: agency.keys.operator, sealId: seal.id });
    expect((await new SealClient({ baseUrl: server.url }).verifyJson(readFileSync(jout, 'utf8'))).report.indication).toBe('TOTAL_PASSED');

    const failed = join(work, 'never.pdf');
    await expect(sealRemote({ kind: 'pdf', input, output: failed, server: server.url, apiKey: agency.keys.operator, sealId: h.creds.agencies[0]!.seals[0]!.id })).rejects.toMatchObject({ code: 'ERR_SEAL_NOT_FOUND' });
    expect(existsSync(failed)).toBe(false);
  });
});
