/**
 * `seal pdf sign --server` and `seal json sign --server` against a real service on loopback:
 * the sealed PDF is checked by pdfsig (poppler) and its QR code (`--qr auto`) rendered with
 * pdftoppm and decoded with jsQR; the JWS is checked by the jose library with the x5c leaf key.
 * Local-only options, missing remote options and a wrong API key fail without an output file.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as jose from 'jose';
import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '@seal/api';
import { certificatesFromPemOrDer, verifyPdf } from '@seal/core';
import { startHarness, type Harness } from '@seal/api/testing/harness';
import { onePagePdf } from '@seal/api/testing/pdf';
import { pdfSignCommand } from './pdf-sign.js';
import { jsonCommand } from './json.js';

type JsQr = (data: Uint8ClampedArray, width: number, height: number) => { data: string } | null;
const jsQR: JsQr = ((jsQRModule as unknown as { default?: JsQr }).default ?? jsQRModule) as JsQr;
const exec = promisify(execFile);
const PUBLIC_BASE = 'https://seal.agency.test';
let h: Harness;
let server: RunningServer;
/** Inputs and outputs of the test, inside the harness's temporary folder (removed by close()). */
let work: string;

beforeAll(async () => {
  h = await startHarness({ baseUrl: PUBLIC_BASE });
  server = h.server;
  work = join(h.dataDir, 'files');
  mkdirSync(work);
});

afterAll(async () => {
  await h?.close();
});

describe('seal pdf sign --server', () => {
  it('seals through the service (pdfsig: valid), with the service QR link naming the logged entry', async () => {
    const agency = h.creds.agencies[0]!;
    const seal = agency.seals[0]!;
    const input = join(work, 'in.pdf');
    const bytes = Buffer.from(onePagePdf('Remote licence 7'));
    writeFileSync(input, bytes);
    const output = join(work, 'out.pdf');
    const code = await pdfSignCommand([input, '-o', output, '--server', server.url, '--api-key', agency.keys.operator, '--seal', seal.id,
      '--visible', '--rect', '380,40,200,90', '--qr', 'auto', '--reason', 'remote seal']);
    expect(code).toBe(0);
    const sealed = readFileSync(output);
    const sig = await exec('pdfsig', [output], { encoding: 'utf8' }).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
    expect(sig.stdout).toContain('Signature Validation: Signature is Valid.');
    expect(sig.stdout).toContain('Total document signed');

    await exec('pdftoppm', ['-r', '150', '-f', '1', '-l', '1', '-singlefile', '-png', output, join(work, 'out')]);
    const png = PNG.sync.read(readFileSync(join(work, 'out.png')));
    const text = jsQR(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length), png.width, png.height)?.data ?? '';
    const digest = createHash('sha256').update(bytes).digest('hex');
    const m = /^https:\/\/seal\.agency\.test\/v\/([0-9a-f]{32})#sha256=([0-9a-f]{64})$/.exec(text);
    expect(m?.[2]).toBe(digest);
    const entry = server.registry.usageLog.getEntryById(m?.[1] ?? '');
    expect(entry).toMatchObject({ sealId: seal.id, documentSha256: digest, documentKind: 'pdf' });
    expect(sealed.subarray(0, bytes.length).equals(bytes)).toBe(true);
  });

  it('seals at B-LT through the service: the DSS comes from its registry, and our verifier finds B-LT offline', async () => {
    const agency = h.creds.agencies[0]!;
    const seal = agency.seals.find((s) => s.algorithm.startsWith('EC'))!;
    const input = join(work, 'in-lt.pdf');
    writeFileSync(input, onePagePdf('Remote long-term licence'));
    const output = join(work, 'out-lt.pdf');
    expect(await pdfSignCommand([input, '-o', output, '--server', server.url, '--api-key', agency.keys.operator, '--seal', seal.id, '--level', 'B-LT'])).toBe(0);
    const sig = await exec('pdfsig', [output], { encoding: 'utf8' }).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
    expect(sig.stdout).toContain('Signature Validation: Signature is Valid.');
    const root = certificatesFromPemOrDer(new Uint8Array(readFileSync(new URL('../../../../certs-dev/root-ca.pem', import.meta.url))));
    const report = await verifyPdf(new Uint8Array(readFileSync(output)), { trustAnchors: root });
    expect(report.signatures.map((s) => [s.level, s.indication])).toEqual([['B-LT', 'TOTAL_PASSED']]);
  });

  it('refuses local-only and incomplete options with a usage error and writes nothing', async () => {
    const agency = h.creds.agencies[0]!;
    const seal = agency.seals[0]!;
    const input = join(work, 'in2.pdf');
    writeFileSync(input, onePagePdf('x'));
    const output = join(work, 'never.pdf');
    const remote = ['--server', server.url, '--api-key', agency.keys.operator, '--seal', seal.id];
    for (const extra of [['--p12', 'x.p12'], ['--tsa', 'http://127.0.0.1:1'], ['--level', 'B-XL'], ['--visible', '--rect', '1,1,100,50', '--qr', 'https://elsewhere.test/']]) {
      await expect(pdfSignCommand([input, '-o', output, ...remote, ...extra])).rejects.toMatchObject({ code: 'ERR_USAGE' });
    }
    await expect(pdfSignCommand([input, '-o', output, '--server', server.url, '--api-key', agency.keys.operator])).rejects.toMatchObject({ code: 'ERR_USAGE' });
    await expect(pdfSignCommand([input, '-o', output, '--seal', seal.id, '--p12', 'x.p12', '--password', 'p'])).rejects.toMatchObject({ code: 'ERR_USAGE' });
    await expect(pdfSignCommand([input, '-o', output, '--server', 'ftp://127.0.0.1/', '--api-key', 'k', '--seal', seal.id])).rejects.toMatchObject({ code: 'ERR_USAGE' });
    // A wrong key is refused by the service; nothing is written.
    await expect(pdfSignCommand([input, '-o', output, '--server', server.url, '--api-key', `${agency.keys.operator}x`, '--seal', seal.id])).rejects.toMatchObject({ code: 'ERR_UNAUTHENTICATED' });
    expect(existsSync(output)).toBe(false);
  });
});

describe('seal json sign --server', () => {
  it('seals through the service; jose verifies the JWS with the certificate in x5c', async () => {
    const agency = h.creds.agencies[1]!;
    const seal = agency.seals[0]!;
    const input = join(work, 'in.json');
    writeFileSync(input, '{"licence": "2026-7", "holder": {"name": "Zhang San"}}');
    const output = join(work, 'out.jws');
    expect(await jsonCommand(['sign', input, '-o', output, '--server', server.url, '--api-key', agency.keys.operator, '--seal', seal.id])).toBe(0);
    const jws = readFileSync(output, 'utf8').trim();
    const header = jose.decodeProtectedHeader(jws);
    const x5c = header.x5c?.[0];
    expect(typeof x5c).toBe('string');
    const pem = `-----BEGIN CERTIFICATE-----\n${x5c}\n-----END CERTIFICATE-----`;
    const key = await jose.importX509(pem, header.alg!);
    const { payload } = await jose.compactVerify(jws, key, { crit: { sigT: true } } as jose.VerifyOptions);
    expect(JSON.parse(Buffer.from(payload).toString('utf8'))).toEqual({ licence: '2026-7', holder: { name: 'Zhang San' } });

    const bad = join(work, 'bad.json');
    writeFileSync(bad, '{"a": 1, "a": 2}');
    await expect(jsonCommand(['sign', bad, '-o', join(work, 'bad.jws'), '--server', server.url, '--api-key', agency.keys.operator, '--seal', seal.id])).rejects.toMatchObject({ code: 'ERR_JSON_INVALID' });
    await expect(jsonCommand(['sign', input, '-o', join(work, 'bad.jws'), '--server', server.url, '--api-key', agency.keys.operator, '--seal', seal.id, '--alg', 'ES256'])).rejects.toMatchObject({ code: 'ERR_USAGE' });
    expect(existsSync(join(work, 'bad.jws'))).toBe(false);
  });
});
