/**
 * The QR verification link drawn next to a visible seal: seal a PDF with `visible.qr` set to
 * verificationUrl(...), render the page with pdftoppm (poppler), decode the picture with jsQR and
 * check that the URL comes back exactly, and that it parses into the same entry and digest.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSignerFromPem, signPdf } from '../packages/core/src/index.js';
import { buildPdf, onePageObjects } from '../packages/core/src/pdf/testing/build-pdf.js';
import { parseVerificationUrl, verificationUrl } from '../apps/api/src/web/verification-url.js';
import { PROJECT_ROOT } from '../test-support/corpus.js';

// jsqr is CommonJS with an ES-style `export default` in its types: take the function either way.
type JsQr = (data: Uint8ClampedArray, width: number, height: number) => { data: string } | null;
const jsQR: JsQr = ((jsQRModule as unknown as { default?: JsQr }).default ?? jsQRModule) as JsQr;

const dir = mkdtempSync(join(tmpdir(), 'seal-qr-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const certs = join(PROJECT_ROOT, 'certs-dev');
const signer = loadSignerFromPem({
  certPem: readFileSync(join(certs, 'agency-a-ec.pem')),
  keyPem: readFileSync(join(certs, 'agency-a-ec.key.pem')),
  chainPems: [readFileSync(join(certs, 'chain.pem'))],
});

/** Render page 1 at `dpi` with pdftoppm and decode the first QR code found. */
function decodeQr(pdf: Uint8Array, name: string, dpi: number): string | null {
  const file = join(dir, `${name}.pdf`);
  writeFileSync(file, pdf);
  execFileSync('pdftoppm', ['-r', String(dpi), '-f', '1', '-l', '1', '-singlefile', '-png', file, join(dir, name)]);
  const png = PNG.sync.read(readFileSync(join(dir, `${name}.png`)));
  const code = jsQR(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length), png.width, png.height);
  return code === null ? null : code.data;
}

describe('QR verification link in a sealed PDF', () => {
  const original = buildPdf({ objects: onePageObjects('Business licence 2026-0001'), root: 1 });
  const digest = createHash('sha256').update(original).digest('hex');

  it.each([
    ['a LAN address', 'http://192.168.10.20:8080', '0'],
    ['a public name with a path prefix', 'https://seal.example.gov.cn/verify', '123456789'],
  ])('decodes to the exact URL (%s)', async (_what, base, entryId) => {
    const url = verificationUrl(base, entryId, digest);
    const sealed = await signPdf(original, signer, { visible: { page: 1, rect: [380, 40, 200, 90], qr: url, text: 'Demo Agency A' } });
    // The sealed file keeps the submitted document as a byte prefix (what the landing page hashes).
    expect(Buffer.from(sealed.subarray(0, original.length)).equals(Buffer.from(original))).toBe(true);
    const text = decodeQr(sealed, `qr-${entryId}`, 150);
    expect(text).toBe(url);
    expect(parseVerificationUrl(text ?? '')).toEqual({ baseUrl: base, entryId, sha256Hex: digest });
  });

  it('the unsealed document has no QR code (the decoder does not invent one)', () => {
    expect(decodeQr(original, 'plain', 150)).toBeNull();
  });
});
