/**
 * The vector seal appearance (paths only) drawn into a PDF and rendered by MuPDF (`mutool draw`)
 * must look like the resvg PNG of the same seal; qpdf must accept the file and it must use no font.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PDFDocument, PDFName } from 'pdf-lib';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_SEAL_FONT_FILES, renderSealPng } from './seal-picture.js';
import { createSealPdfAppearance } from './seal-vector.js';

const HAVE = spawnSync('mutool', ['-v']).status !== null && DEFAULT_SEAL_FONT_FILES.some((f) => existsSync(f));
if (!HAVE) process.stdout.write('\nNOTICE: mutool or fonts-noto-cjk missing: the vector seal tests were NOT run.\n');

const dir = mkdtempSync(join(tmpdir(), 'seal-vec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function inkMask(png: Buffer, ink: (r: number, g: number, b: number, a: number) => boolean): { w: number; mask: Uint8Array } {
  const img = PNG.sync.read(png);
  const mask = new Uint8Array(img.width * img.height);
  for (let i = 0; i < mask.length; i++) {
    const o = i * 4;
    mask[i] = ink(img.data[o]!, img.data[o + 1]!, img.data[o + 2]!, img.data[o + 3]!) ? 1 : 0;
  }
  return { w: img.width, mask };
}

describe.runIf(HAVE)('vector seal appearance in a PDF', () => {
  it('MuPDF renders it like the PNG seal, qpdf accepts it, and it needs no font', async () => {
    const opts = { name: '\u67d0\u67d0\u5e02\u4eba\u6c11\u653f\u5e9c', bottomText: '\u5408\u540c\u4e13\u7528\u7ae0', code: '1101000000001' };
    const ap = await createSealPdfAppearance({ ...opts, sizePt: 150 });
    expect(ap.content).not.toMatch(/\bTf\b|\bTj\b/);
    const doc = await PDFDocument.create();
    const page = doc.addPage([ap.width, ap.height]);
    page.node.set(PDFName.of('Contents'), doc.context.register(doc.context.stream(ap.content)));
    const pdf = join(dir, 'seal.pdf');
    writeFileSync(pdf, await doc.save());
    const qpdf = spawnSync('qpdf', ['--check', pdf], { encoding: 'utf8' });
    expect(qpdf.status, qpdf.stdout + qpdf.stderr).toBe(0);
    const fonts = spawnSync('pdffonts', [pdf], { encoding: 'utf8' });
    if (fonts.status === 0) expect(fonts.stdout.trim().split('\n')).toHaveLength(2); // header lines only

    execFileSync('mutool', ['draw', '-q', '-o', join(dir, 'seal.png'), '-w', '200', pdf], { stdio: 'ignore' });
    const drawn = inkMask(readFileSync(join(dir, 'seal.png')), (r, g, b) => r > 150 && g < 130 && b < 130);
    const ref = inkMask(Buffer.from(await renderSealPng({ ...opts, sizePx: 200 })), (_r, _g, _b, a) => a > 128);
    expect(drawn.w).toBe(200);
    let inter = 0;
    let union = 0;
    for (let i = 0; i < ref.mask.length; i++) {
      if (drawn.mask[i] || ref.mask[i]) union++;
      if (drawn.mask[i] && ref.mask[i]) inter++;
    }
    expect(union).toBeGreaterThan(200 * 200 * 0.1);
    expect(inter / union).toBeGreaterThan(0.85);
  }, 60_000);
});
