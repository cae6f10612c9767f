/**
 * The QR verification link end to end: seal a PDF through the API with option `qr` (worker pool),
 * render the sealed page with pdftoppm (poppler), decode the QR code with jsQR, and check that the
 * link names the usage-log entry this sealing wrote (its random entry id) and the SHA-256 of the
 * submitted document; the landing page and its record route then answer with the registry record.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './testing/harness.js';
import { onePagePdf } from './testing/pdf.js';
import { parseVerificationUrl } from './web/verification-url.js';

type JsQr = (data: Uint8ClampedArray, width: number, height: number) => { data: string } | null;
const jsQR: JsQr = ((jsQRModule as unknown as { default?: JsQr }).default ?? jsQRModule) as JsQr;
const exec = promisify(execFile);

// The public address the service is known by (behind a proxy, say); the QR code must name it.
const PUBLIC_BASE = 'http://seal.agency.test:8080';
let h: Harness;
let work: string;

async function decodeQr(pdf: Uint8Array, name: string): Promise<string | null> {
  const file = join(work, `${name}.pdf`);
  writeFileSync(file, pdf);
  await exec('pdftoppm', ['-r', '150', '-f', '1', '-l', '1', '-singlefile', '-png', file, join(work, name)]);
  const png = PNG.sync.read(readFileSync(join(work, `${name}.png`)));
  return jsQR(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length), png.width, png.height)?.data ?? null;
}

beforeAll(async () => {
  h = await startHarness({ threads: 1, baseUrl: PUBLIC_BASE });
  work = mkdtempSync(join(tmpdir(), 'seal-api-qr-'));
});

afterAll(async () => {
  await h?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('QR verification link through the API', () => {
  it('names the logged entry and the document digest; the record route answers with agency, seal, time and status', async () => {
    const A = h.creds.agencies[0]!;
    const seal = A.seals.find((s) => s.algorithm.startsWith('EC'))!;
    const input = onePagePdf('Business licence 2026-0042');
    const digest = createHash('sha256').update(input).digest('hex');

    const sealed = await h.client(0, 'operator').sealPdf(seal.id, input, { qr: true, page: 1, rect: [380, 40, 200, 90] });
    const entryId = sealed.logEntry.entryId;
    expect(entryId).toMatch(/^[0-9a-f]{32}$/);

    const text = await decodeQr(sealed.pdf, 'sealed');
    expect(text).toBe(`${PUBLIC_BASE}/v/${entryId}#sha256=${digest}`);
    const link = parseVerificationUrl(text ?? '');
    expect(link).toEqual({ baseUrl: PUBLIC_BASE, entryId, sha256Hex: digest });

    // The usage log holds that very entry, with the same digest, covered by the leaf hash.
    const logged = h.server.registry.usageLog.getEntryById(link.entryId);
    expect(logged).toMatchObject({ index: sealed.logEntry.index, entryId, documentSha256: digest, sealId: seal.id, documentKind: 'pdf' });
    // ...and the hash of the signature value: the CMS in /Contents, cut out by a plain byte scan
    // and read back by openssl (which stops at the DER's end, so the zero padding is not hashed)
    const text1 = Buffer.from(sealed.pdf).toString('latin1');
    const br = /\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/.exec(text1)!;
    writeFileSync(join(work, 'contents.der'), Buffer.from(text1.slice(Number(br[2]) + 1, Number(br[3]) - 1), 'hex'));
    await exec('openssl', ['cms', '-cmsout', '-inform', 'DER', '-in', join(work, 'contents.der'), '-outform', 'DER', '-out', join(work, 'cms.der')]);
    expect(logged?.signatureSha256).toBe(createHash('sha256').update(readFileSync(join(work, 'cms.der'))).digest('hex'));
    expect(h.server.registry.verifyLog()).toMatchObject({ ok: true });

    // The landing page and its record route (digest-gated), on the running server.
    const page = await fetch(`${h.server.url}/v/${link.entryId}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const res = await fetch(`${h.server.url}/v/${link.entryId}/record?sha256=${link.sha256Hex}`);
    expect(res.status).toBe(200);
    const rec = (await res.json()) as { entryId: string; sealedAt: string; agency: { name: string }; seal: { id: string; name: string; image: string | null }; status: { state: string } };
    expect(rec.entryId).toBe(entryId);
    expect(rec.agency.name).toBe(h.server.registry.getAgency(logged!.agencyId)!.name);
    expect(rec.seal).toMatchObject({ id: seal.id, name: h.server.registry.getSeal(seal.id).name });
    expect(rec.sealedAt).toBe(logged!.at);
    expect(Math.abs(Date.parse(rec.sealedAt) - Date.now())).toBeLessThan(120_000);
    expect(rec.status.state).toBe('active');
    expect(JSON.stringify(rec)).not.toContain(digest);

    // Wrong digest, unknown id: the same 404 (entries cannot be probed without the document).
    const wrong = createHash('sha256').update('another document').digest('hex');
    expect((await fetch(`${h.server.url}/v/${link.entryId}/record?sha256=${wrong}`)).status).toBe(404);
    expect((await fetch(`${h.server.url}/v/${'0'.repeat(32)}/record?sha256=${digest}`)).status).toBe(404);
  });

  it('without qr no code is drawn; the answer still names a fresh entry id', async () => {
    const seal = h.creds.agencies[0]!.seals[0]!;
    const input = onePagePdf('No QR here');
    const a = await h.client(0, 'operator').sealPdf(seal.id, input, { visible: true, page: 1, rect: [380, 40, 200, 90] });
    const b = await h.client(0, 'operator').sealPdf(seal.id, input);
    // (jsQR may read noise in the seal appearance as an empty code; it must not find a link.)
    expect((await decodeQr(a.pdf, 'plain')) ?? '').not.toContain('/v/');
    expect(a.logEntry.entryId).toMatch(/^[0-9a-f]{32}$/);
    expect(b.logEntry.entryId).toMatch(/^[0-9a-f]{32}$/);
    expect(a.logEntry.entryId).not.toBe(b.logEntry.entryId);
    expect(h.server.registry.usageLog.getEntryById(b.logEntry.entryId!)?.index).toBe(b.logEntry.index);
  });
});
