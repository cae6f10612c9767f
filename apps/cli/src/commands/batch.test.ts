/**
 * `seal batch` against a real service on loopback: seals PDFs and JSON files, reports the bad
 * one and goes on, then a second run skips everything already sealed (resumption). The sealed
 * outputs are checked by the service's public verification and the PDFs by qpdf.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '@seal/api';
import { SealClient } from '@seal/client';
import { batchCommand, runBatch } from './batch.js';

const CERTS_DEV = fileURLToPath(new URL('../../../../certs-dev/', import.meta.url));
let server: RunningServer;
let work: string;

/** A one-page PDF with a correct xref, written by hand. */
function pdf(text: string): Buffer {
  const content = `BT /F1 24 Tf 72 720 Td (${text}) Tj ET`;
  const objs = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>',
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.7\n';
  const offs: number[] = [];
  objs.forEach((b, i) => {
    offs.push(out.length);
    out += `${i + 1} 0 obj\n${b}\nendobj\n`;
  });
  const x = out.length;
  out += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n${offs.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${x}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'seal-batch-'));
  server = await startServer({ dataDir: join(work, 'data'), certsDir: CERTS_DEV, host: '127.0.0.1', port: 0, threads: 0, kdf: { N: 1 << 10 }, logger: false });
});

afterAll(async () => {
  await server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('seal batch', () => {
  it('seals a folder through the service, reports failures, and resumes', async () => {
    const agency = server.credentials!.agencies[0]!;
    const seal = agency.seals[0]!;
    const dir = join(work, 'in');
    const out = join(work, 'out');
    await promisify(execFile)('mkdir', ['-p', dir]);
    for (let i = 0; i < 5; i++) writeFileSync(join(dir, `doc-${i}.pdf`), pdf(`document ${i}`));
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
    const agency = server.credentials!.agencies[0]!;
    const dir = join(work, 'one');
    await promisify(execFile)('mkdir', ['-p', dir]);
    writeFileSync(join(dir, 'a.pdf'), pdf('x'));
    const code = await batchCommand([dir, '-o', join(work, 'one-out'), '--seal', agency.seals[0]!.id, '--server', server.url, '--api-key', `${agency.keys.operator}x`]);
    expect(code).toBe(77);
  });
});

describe('remote sealing hook (seal pdf/json sign --server)', () => {
  it('seals a PDF and a JSON file through the service and leaves nothing on failure', async () => {
    const { sealRemote } = await import('../remote.js');
    const agency = server.credentials!.agencies[1]!;
    const seal = agency.seals[1]!;
    const input = join(work, 'remote.pdf');
    writeFileSync(input, pdf('remote'));
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
    await expect(sealRemote({ kind: 'pdf', input, output: failed, server: server.url, apiKey: agency.keys.operator, sealId: server.credentials!.agencies[0]!.seals[0]!.id })).rejects.toMatchObject({ code: 'ERR_SEAL_NOT_FOUND' });
    expect(existsSync(failed)).toBe(false);
  });
});
