/**
 * PDF sealing judged by independent tools: qpdf --check (structure), pdfsig (poppler: signature
 * and, with the dev root in a throw-away NSS database, trust), `openssl cms -verify` over the
 * ByteRange bytes cut out with a plain byte scan, pdftoppm renders for the visible seal (pixels
 * read with pngjs, the QR decoded with jsQR). Inputs: the shared corpus and certs-dev/.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpusOrReport, corpusPath, PROJECT_ROOT } from '../test-support/corpus.js';
import { loadSignerFromP12, loadSignerFromPem } from '../packages/core/src/signer/load-key.js';
import { createOpensslCliSigner } from '../packages/core/src/signer/testing/openssl-cli-signer.js';
import { parsePemCertificates } from '../packages/core/src/signer/load-key.js';
import { signPdf } from '../packages/core/src/pdf/sign-pdf.js';
import { parsePdf } from '../packages/core/src/pdf/parser/document.js';
import { PdfDict, PdfName, isRef } from '../packages/core/src/pdf/parser/objects.js';
import { buildHybridPdf, buildPdf, onePageObjects } from '../packages/core/src/pdf/testing/build-pdf.js';
import { rgbaPng } from '../packages/core/src/pdf/testing/png.js';
import type { Signer } from '../packages/core/src/signer/signer.js';
import { toSealError } from '../packages/core/src/errors/index.js';
import { pdfCommand } from '../apps/cli/src/commands/pdf.js';
import { createTimestampAuthority } from '../packages/core/src/tsa/authority.js';
import { createTsaHttpHandler } from '../packages/core/src/tsa/http.js';

const TOOLS = ['qpdf', 'pdfsig', 'openssl', 'certutil', 'pdftoppm'];
for (const t of TOOLS) {
  const r = spawnSync(t, ['--version'], { stdio: 'ignore' });
  if (r.error) throw new Error(`interop/pdf-sign: required tool ${t} is not installed (see scripts/install-tools.sh)`);
}

const CERTS = resolve(PROJECT_ROOT, 'certs-dev');
const ROOT = join(CERTS, 'root-ca.pem');
const CHAIN = readFileSync(join(CERTS, 'chain.pem'));
const dir = mkdtempSync(join(tmpdir(), 'pdf-sign-'));
const nss = join(dir, 'nss');
let rsa: Signer;
let ec: Signer;
/** Leaves issued by the dev seal CA without OCSP/CRL URLs (see makeLeaf). */
let trustedRsa: Signer;
let trustedEc: Signer;
let seq = 0;

/**
 * A seal certificate from the dev seal CA without AIA/CRL DP: the certs-dev leaves name an OCSP
 * responder on 127.0.0.1:8080, and with nothing listening there NSS (pdfsig) reports "Unknown
 * issue with Certificate" instead of judging the path. `openssl ca` issues it (independent tool).
 */
function makeLeaf(name: string, keyArgs: string[]): Signer {
  const ca = join(dir, 'ca');
  execFileSync('mkdir', ['-p', ca]);
  if (!existsSync(join(ca, 'serial'))) {
    writeFileSync(join(ca, 'index.txt'), '');
    writeFileSync(join(ca, 'serial'), '1000\n');
    writeFileSync(
      join(ca, 'ca.cnf'),
      `[ca]\ndefault_ca=d\n[d]\ndatabase=${ca}/index.txt\nnew_certs_dir=${ca}\nserial=${ca}/serial\ndefault_md=sha256\npolicy=p\nunique_subject=no\n[p]\ncommonName=supplied\n[leaf]\nkeyUsage=critical,digitalSignature,nonRepudiation\nbasicConstraints=CA:FALSE\n`,
    );
  }
  const key = join(ca, `${name}.key.pem`);
  const csr = join(ca, `${name}.csr`);
  const cert = join(ca, `${name}.pem`);
  execFileSync('openssl', ['req', '-new', ...keyArgs, '-nodes', '-keyout', key, '-subj', `/CN=${name}`, '-out', csr], { stdio: 'ignore' });
  const dates = name.startsWith('expired') ? ['-startdate', '20200101000000Z', '-enddate', '20210101000000Z'] : ['-days', '30'];
  execFileSync('openssl', ['ca', '-batch', '-config', join(ca, 'ca.cnf'), '-extensions', 'leaf', '-cert', join(CERTS, 'seal-ca.pem'), '-keyfile', join(CERTS, 'seal-ca.key.pem'), '-in', csr, '-out', cert, '-notext', ...dates], { stdio: 'ignore' });
  leafFiles.set(name, { cert, key });
  return loadSignerFromPem({ certPem: readFileSync(cert), keyPem: readFileSync(key), chainPems: [CHAIN] });
}
const leafFiles = new Map<string, { cert: string; key: string }>();

beforeAll(() => {
  execFileSync('mkdir', ['-p', nss]);
  execFileSync('certutil', ['-N', '-d', `sql:${nss}`, '--empty-password']);
  execFileSync('certutil', ['-A', '-d', `sql:${nss}`, '-n', 'root', '-t', 'C,C,C', '-a', '-i', ROOT]);
  rsa = loadSignerFromP12(readFileSync(join(CERTS, 'agency-a-rsa.p12')), 'dev-only', { chainPems: [CHAIN] });
  ec = loadSignerFromPem({ certPem: readFileSync(join(CERTS, 'agency-b-ec.pem')), keyPem: readFileSync(join(CERTS, 'agency-b-ec.key.pem')), chainPems: [CHAIN] });
  trustedRsa = makeLeaf('Trusted RSA Seal', ['-newkey', 'rsa:2048']);
  trustedEc = makeLeaf('Trusted EC Seal', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']);
  makeLeaf('expired EC Seal', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function save(bytes: Uint8Array, name = 'out'): string {
  const f = join(dir, `${name}-${++seq}.pdf`);
  writeFileSync(f, bytes);
  return f;
}

/** qpdf --check: clean, or (for inputs qpdf already warns about) no warning the input did not have. */
function qpdfCheck(file: string, inputFile?: string): void {
  const warnings = (f: string) => {
    const r = spawnSync('qpdf', ['--check', f], { encoding: 'utf8' });
    const w = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.startsWith('WARNING')).map((l) => l.replace(`${f}: `, '').replace(/^WARNING: [^:]*: /, 'WARNING: '));
    return { status: r.status, w, text: `${r.stdout}${r.stderr}` };
  };
  const out = warnings(file);
  if (out.status === 0) {
    expect(out.text).toContain('No syntax or stream encoding errors found');
    return;
  }
  expect(inputFile, `${file}: ${out.text}`).toBeDefined();
  const inp = warnings(inputFile!);
  expect(out.status, out.text).toBe(3);
  expect(inp.status).toBe(3);
  for (const w of out.w) expect(inp.w, out.text).toContain(w);
}

/** pdfsig's report split per signature. */
function pdfsig(file: string, trusted = true): string[] {
  const args = trusted ? ['-nssdir', `sql:${nss}`, file] : [file];
  const r = spawnSync('pdfsig', args, { encoding: 'utf8' });
  return r.stdout.split(/^Signature #\d+:$/m).slice(1);
}

/** Every /ByteRange in the file (byte scan, not our parser) with the DER CMS in its gap. */
function signaturesByScan(bytes: Uint8Array): { br: number[]; cms: Buffer }[] {
  const text = Buffer.from(bytes).toString('latin1');
  const out: { br: number[]; cms: Buffer }[] = [];
  for (const m of text.matchAll(/\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/g)) {
    const br = m.slice(1, 5).map(Number);
    const hex = text.slice(br[1]! + 1, br[2]! - 1);
    const raw = Buffer.from(hex, 'hex');
    // DER length of the outer SEQUENCE: cut the zero padding.
    let len = raw[1]!;
    let hl = 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + raw[2 + i]!;
      hl = 2 + n;
    }
    out.push({ br, cms: raw.subarray(0, hl + len) });
  }
  return out;
}

function opensslVerify(bytes: Uint8Array, index: number): void {
  const sig = signaturesByScan(bytes)[index]!;
  const [a, b, c, d] = sig.br as [number, number, number, number];
  const signed = Buffer.concat([Buffer.from(bytes.subarray(a, a + b)), Buffer.from(bytes.subarray(c, c + d))]);
  const sigFile = join(dir, `sig-${++seq}.der`);
  const dataFile = join(dir, `data-${seq}.bin`);
  writeFileSync(sigFile, sig.cms);
  writeFileSync(dataFile, signed);
  const r = spawnSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', sigFile, '-content', dataFile, '-CAfile', ROOT, '-purpose', 'any', '-out', '/dev/null'], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stderr).toContain('Verification successful');
}

function expectPrefix(input: Uint8Array, output: Uint8Array): void {
  expect(output.length).toBeGreaterThan(input.length);
  expect(Buffer.compare(Buffer.from(output.subarray(0, input.length)), Buffer.from(input))).toBe(0);
}

/** The full check of a freshly sealed file whose newest signature is number `n` (0-based). */
function checkSealed(input: Uint8Array, output: Uint8Array, n: number, trusted = false): void {
  expectPrefix(input, output);
  const file = save(output);
  qpdfCheck(file);
  // pdfsig also lists empty signature fields ("not signed"): keep the signed ones.
  const reports = pdfsig(file).filter((r) => r.includes('Signed Ranges'));
  expect(reports.length).toBe(n + 1);
  const mine = reports[n]!;
  expect(mine).toContain('Signature Validation: Signature is Valid.');
  expect(mine).toContain('Total document signed');
  // pdfsig 22.12 reports "Unknown issue" for the trust of signatures after the first (INTEROP.md); openssl judges those.
  if (trusted && n === 0) expect(mine).toContain('Certificate Validation: Certificate is Trusted.');
  const sigs = signaturesByScan(output);
  expect(sigs[n]!.br[2]! + sigs[n]!.br[3]!).toBe(output.length);
  opensslVerify(output, n);
}

/** Render page 1 at 72 dpi (1 px = 1 pt) and return a pixel reader in PDF coordinates. */
function render(file: string): { px: (x: number, y: number) => [number, number, number]; png: PNG } {
  const prefix = join(dir, `render-${++seq}`);
  execFileSync('pdftoppm', ['-r', '72', '-png', '-f', '1', '-l', '1', '-singlefile', file, prefix]);
  const png = PNG.sync.read(readFileSync(`${prefix}.png`));
  return {
    png,
    px: (x, y) => {
      const row = png.height - 1 - Math.round(y);
      const i = (row * png.width + Math.round(x)) * 4;
      return [png.data[i]!, png.data[i + 1]!, png.data[i + 2]!];
    },
  };
}
const isRed = ([r, g, b]: [number, number, number]) => r > 180 && g < 90 && b < 90;
const isWhite = ([r, g, b]: [number, number, number]) => r > 240 && g > 240 && b > 240;

const present = corpusOrReport('interop pdf-sign');
const unsigned = present ? readdirSync(corpusPath('pdf/unsigned')).filter((f) => f.endsWith('.pdf')) : [];
const ENCRYPTED = new Set(['edition_protected_none.pdf', 'minimal-aes256.pdf', 'minimal-rc4.pdf', 'open_protected-aes128.pdf']);

describe('sealing the unsigned corpus', () => {
  it.runIf(present)('every plain input (RSA and ECDSA): qpdf clean, pdfsig valid + trusted (dev root in NSS) + total, openssl cms verifies, input is a prefix', async () => {
    const plain = unsigned.filter((f) => !ENCRYPTED.has(f));
    expect(plain.length).toBeGreaterThanOrEqual(12);
    for (const [i, f] of plain.entries()) {
      const input = readFileSync(corpusPath(`pdf/unsigned/${f}`));
      const out = await signPdf(input, i % 2 ? trustedEc : trustedRsa, { reason: 'Issued by agency A', location: 'Bern' });
      checkSealed(input, out, 0, true);
    }
  });

  it.runIf(present)('encrypted inputs are refused with ERR_PDF_ENCRYPTED', async () => {
    for (const f of ENCRYPTED) {
      await expect(signPdf(readFileSync(corpusPath(`pdf/unsigned/${f}`)), rsa)).rejects.toMatchObject({ code: 'ERR_PDF_ENCRYPTED' });
    }
  });

  it.runIf(present)('keeps the file style: an xref-stream file gets an xref stream, a table file a table', async () => {
    for (const [f, kind] of [['pdf-xref-streams.pdf', 'stream'], ['w3dummy-pdf14.pdf', 'table'], ['doc-linearized-objstm.pdf', 'stream']] as const) {
      const out = await signPdf(readFileSync(corpusPath(`pdf/unsigned/${f}`)), ec);
      const doc = parsePdf(out);
      expect(doc.lastRevision.kind, f).toBe(kind);
      expect(doc.repaired).toBe(false);
    }
  });
});

describe('odd inputs', () => {
  it('junk before %PDF- (classic table and xref stream with object streams): sealed, then co-sealed', async () => {
    for (const xref of ['table', 'stream'] as const) {
      const input = buildPdf({ objects: onePageObjects('Junk'), root: 1, prefix: 'JUNK BEFORE THE HEADER\n'.repeat(3), xref, compressed: [2, 3] });
      const once = await signPdf(input, trustedRsa);
      checkSealed(input, once, 0, true);
      checkSealed(once, await signPdf(once, ec), 1);
    }
  });

  it('hybrid-reference file (table + /XRefStm): sealed with a classic table whose /Prev keeps the stream reachable', async () => {
    const input = buildHybridPdf();
    const inFile = save(input, 'hybrid-in');
    qpdfCheck(inFile);
    const out = await signPdf(input, trustedRsa);
    checkSealed(input, out, 0, true);
    expect(parsePdf(out).lastRevision.kind).toBe('table');
  });

  it('a stale startxref is followed to the real section as readers do; the output needs no repair', async () => {
    const good = Buffer.from(buildPdf({ objects: onePageObjects('Stale'), root: 1 }));
    const text = good.toString('latin1');
    const at = Number(/startxref\n(\d+)/.exec(text)![1]);
    const input = Buffer.from(text.replace(/startxref\n\d+/, `startxref\n${at + 9}`), 'latin1');
    expect(parsePdf(input).lastRevision.startxrefFixed).toBe(true);
    const out = await signPdf(input, trustedEc);
    checkSealed(input, out, 0, true);
    const doc = parsePdf(out);
    expect(doc.lastRevision.startxrefFixed).toBe(false);
    expect(doc.repaired).toBe(false);
    expect(doc.lastRevision.trailer.get('Prev')).toBe(at);
  });
});

describe('co-sealing', () => {
  it('RSA then ECDSA: both signatures stay valid (pdfsig, openssl)', async () => {
    const input = buildPdf({ objects: onePageObjects('Co-sealed'), root: 1, xref: 'stream', compressed: [2, 3, 5] });
    const once = await signPdf(input, rsa, { reason: 'first' });
    checkSealed(input, once, 0);
    const twice = await signPdf(once, ec, { reason: 'second' });
    checkSealed(once, twice, 1);
    const reports = pdfsig(save(twice));
    expect(reports[0]).toContain('Signature is Valid.');
    expect(reports[0]).toContain('Not total document signed');
    opensslVerify(twice, 0);
  });

  it.runIf(present)('sealing already-signed corpus files keeps their signatures valid', async () => {
    for (const f of ['nodesignpdf/signed-once.pdf', 'nodesignpdf/signed-twice.pdf', 'pyhanko/minimal-two-fields-signed-twice.pdf', 'dss/doc-firmado-T.pdf', 'itext/sample-nistp256-sha256.pdf']) {
      const input = readFileSync(corpusPath(`pdf/valid/${f}`));
      const inFile = save(input, 'in');
      const before = pdfsig(inFile, false).map((r) => /Signature Validation: (.*)/.exec(r)?.[1]);
      const out = await signPdf(input, ec, { reason: 'co-seal' });
      expectPrefix(input, out);
      const file = save(out);
      qpdfCheck(file, inFile);
      const after = pdfsig(file, false);
      expect(after.length, f).toBe(before.length + 1);
      after.slice(0, -1).forEach((r, i) => expect(/Signature Validation: (.*)/.exec(r)?.[1], `${f} #${i + 1}`).toBe(before[i]));
      expect(after[after.length - 1]).toContain('Signature is Valid.');
      expect(after[after.length - 1]).toContain('Total document signed');
      opensslVerify(out, signaturesByScan(out).length - 1);
    }
  });
});

describe('fields and certification', () => {
  it.runIf(present)('--field signs into an existing empty signature field', async () => {
    const input = readFileSync(corpusPath('pdf/unsigned/minimal-two-fields.pdf'));
    const out = await signPdf(input, rsa, { field: 'Sig2' });
    checkSealed(input, out, 0);
    const text = spawnSync('pdfsig', [save(out)], { encoding: 'utf8' }).stdout;
    expect(text).toContain('Signature Field Name: Sig2');
    const doc = parsePdf(out);
    const af = doc.resolveDict(doc.catalog().get('AcroForm'))!;
    expect((doc.resolve(af.get('Fields')) as unknown[]).length).toBe(2);
    await expect(signPdf(out, rsa, { field: 'Sig2' })).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
  });

  it('certification P=2 writes /Perms /DocMDP; a later co-seal is allowed, P=1 forbids it; certify only first', async () => {
    const input = buildPdf({ objects: onePageObjects('Certified'), root: 1 });
    const cert2 = await signPdf(input, rsa, { certify: 2 });
    checkSealed(input, cert2, 0);
    const doc = parsePdf(cert2);
    const perms = doc.resolveDict(doc.catalog().get('Perms'))!;
    const sigRef = perms.get('DocMDP');
    expect(isRef(sigRef)).toBe(true);
    const sig = doc.resolveDict(sigRef)!;
    const ref0 = (doc.resolve(sig.get('Reference')) as unknown[])[0] as PdfDict;
    expect(ref0.get('TransformMethod')).toBe(PdfName.of('DocMDP'));
    expect((ref0.get('TransformParams') as PdfDict).get('P')).toBe(2);
    const co = await signPdf(cert2, ec);
    checkSealed(cert2, co, 1);
    await expect(signPdf(cert2, ec, { certify: 3 })).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
    const cert1 = await signPdf(input, rsa, { certify: 1 });
    await expect(signPdf(cert1, ec)).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
  });

  it('adbe.pkcs7.detached on request', async () => {
    const input = buildPdf({ objects: onePageObjects(), root: 1 });
    const out = await signPdf(input, ec, { subFilter: 'adbe.pkcs7.detached' });
    checkSealed(input, out, 0);
    expect(pdfsig(save(out))[0]).toContain('Signature Type: adbe.pkcs7.detached');
  });

  it('seals through a second, independent Signer (openssl CLI, key never in this process)', async () => {
    const chain = [...parsePemCertificates(readFileSync(join(CERTS, 'agency-a-ec.pem'))), ...parsePemCertificates(CHAIN)];
    const signer = createOpensslCliSigner(join(CERTS, 'agency-a-ec.key.pem'), chain);
    const input = buildPdf({ objects: onePageObjects(), root: 1 });
    checkSealed(input, await signPdf(input, signer), 0);
  });
});

describe('visible seal', () => {
  const red = rgbaPng(64, 64, (x, y) => ((x - 31.5) ** 2 + (y - 31.5) ** 2 < 30 ** 2 ? [220, 20, 20, 255] : [0, 0, 0, 0]));

  it('PNG with transparency renders red inside the circle and leaves the corners white', async () => {
    const input = buildPdf({ objects: onePageObjects('Visible'), root: 1 });
    const out = await signPdf(input, rsa, { visible: { page: 1, rect: [100, 100, 120, 120], image: red } });
    checkSealed(input, out, 0);
    const { px } = render(save(out));
    expect(isRed(px(160, 160))).toBe(true);
    expect(isRed(px(130, 160))).toBe(true);
    expect(isWhite(px(103, 103))).toBe(true); // transparent corner of the picture
    expect(isWhite(px(300, 400))).toBe(true); // elsewhere on the page
  });

  it('JPEG (made by pdftoppm) renders, and a QR beside it decodes to the URL', async () => {
    const fill = '1 0 0 rg 0 0 612 792 re f';
    const redPage = save(buildPdf({ objects: { ...onePageObjects(), 4: `<< /Length ${fill.length} >>\nstream\n${fill}\nendstream` }, root: 1 }));
    const jpgPrefix = join(dir, 'red');
    execFileSync('pdftoppm', ['-jpeg', '-r', '10', '-singlefile', redPage, jpgPrefix]);
    const jpeg = readFileSync(`${jpgPrefix}.jpg`);
    const url = 'https://seal.example.test/v/42#sha256=abc';
    const input = buildPdf({ objects: onePageObjects('QR'), root: 1, xref: 'stream' });
    const out = await signPdf(input, ec, { visible: { page: 1, rect: [50, 400, 300, 150], image: jpeg, qr: url } });
    checkSealed(input, out, 0);
    const { px, png } = render(save(out));
    expect(isRed(px(100, 475))).toBe(true);
    // The QR occupies the right-hand 150x150 square of the rectangle.
    const crop = new Uint8ClampedArray(150 * 150 * 4);
    for (let y = 0; y < 150; y++) {
      const row = png.height - 550 + y;
      crop.set(png.data.subarray((row * png.width + 200) * 4, (row * png.width + 350) * 4), y * 150 * 4);
    }
    const jsQR = jsQRModule as unknown as (d: Uint8ClampedArray, w: number, h: number) => { data: string } | null;
    expect(jsQR(crop, 150, 150)?.data).toBe(url);
  });

  it('on a page with /Rotate 90 (inherited) the seal reads upright: red left, blue right as displayed', async () => {
    const png = rgbaPng(40, 20, (x) => (x < 20 ? [230, 0, 0, 255] : [0, 0, 230, 255]));
    const objs = { ...onePageObjects('Rotated'), 2: '<< /Type /Pages /Kids [3 0 R] /Count 1 /Rotate 90 >>' };
    const input = buildPdf({ objects: objs, root: 1 });
    const out = await signPdf(input, rsa, { visible: { page: 1, rect: [100, 100, 200, 100], image: png } });
    checkSealed(input, out, 0);
    const prefix = join(dir, `rot-${++seq}`);
    execFileSync('pdftoppm', ['-r', '72', '-png', '-singlefile', save(out), prefix]);
    const img = PNG.sync.read(readFileSync(`${prefix}.png`));
    expect([img.width, img.height]).toEqual([792, 612]); // displayed landscape
    // Displayed (clockwise 90): X = y, Y (from top) = x. The seal box is X 100..200, Y 100..300.
    const at = (X: number, Y: number): [number, number, number] => {
      const i = (Y * img.width + X) * 4;
      return [img.data[i]!, img.data[i + 1]!, img.data[i + 2]!];
    };
    expect(isRed(at(120, 200))).toBe(true);
    // The picture (2:1) is fitted upright into the 100 x 200 displayed box: white above and below it.
    expect(isWhite(at(120, 140))).toBe(true);
    expect(isWhite(at(180, 260))).toBe(true);
    const [r, g, b] = at(180, 200);
    expect(b > 180 && r < 90 && g < 90).toBe(true);
  });

  it('refuses a page that does not exist and a non-image file', async () => {
    const input = buildPdf({ objects: onePageObjects(), root: 1 });
    await expect(signPdf(input, rsa, { visible: { page: 2, rect: [0, 0, 10, 10] } })).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
    await expect(signPdf(input, rsa, { visible: { page: 1, rect: [0, 0, 10, 10], image: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]) } })).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
  });
});

/** Rows of `openssl asn1parse` (an independent DER reader). */
function asn1Rows(file: string): { off: number; depth: number; hl: number; len: number; what: string }[] {
  const out = execFileSync('openssl', ['asn1parse', '-inform', 'DER', '-in', file], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const rows: { off: number; depth: number; hl: number; len: number; what: string }[] = [];
  for (const line of out.split('\n')) {
    const m = /^\s*(\d+):d=(\d+)\s+hl=(\d+)\s+l=\s*(\d+)\s+(?:cons|prim):\s+(.*)$/.exec(line);
    if (m) rows.push({ off: Number(m[1]), depth: Number(m[2]), hl: Number(m[3]), len: Number(m[4]), what: m[5]!.trim() });
  }
  return rows;
}

describe('PAdES B-T (RFC 3161 signature time-stamp from a loopback TSA)', () => {
  let server: Server | undefined;
  let url = '';
  beforeAll(async () => {
    const tsaSigner = loadSignerFromPem({ certPem: readFileSync(join(CERTS, 'tsa.pem')), keyPem: readFileSync(join(CERTS, 'tsa.key.pem')), chainPems: [readFileSync(ROOT)] });
    const tsa = createTimestampAuthority({ signer: tsaSigner, policyOid: '1.3.6.1.4.1.99999.1.1' });
    server = createServer(createTsaHttpHandler(tsa));
    await new Promise<void>((done) => server!.listen(0, '127.0.0.1', done));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tsa`;
  });
  afterAll(() => new Promise<void>((done) => (server ? server.close(() => done()) : done())));

  it('seal pdf sign --level B-T --tsa URL: pdfsig and openssl cms verify; openssl ts verifies the token over the signature value', async () => {
    const inFile = save(buildPdf({ objects: onePageObjects('Time-stamped'), root: 1 }), 'in');
    const outFile = join(dir, 'bt.pdf');
    const code = await pdfCommand(['sign', inFile, '-o', outFile, '--p12', join(CERTS, 'agency-a-rsa.p12'), '--password', 'dev-only', '--chain', join(CERTS, 'chain.pem'), '--level', 'B-T', '--tsa', url]);
    expect(code).toBe(0);
    const out = readFileSync(outFile);
    checkSealed(readFileSync(inFile), out, 0);
    // Cut the token and the signature value out of the CMS with openssl asn1parse.
    const cmsFile = join(dir, 'bt-cms.der');
    writeFileSync(cmsFile, signaturesByScan(out)[0]!.cms);
    const rows = asn1Rows(cmsFile);
    const oidIdx = rows.findIndex((r) => r.what.includes('id-smime-aa-timeStampToken') || r.what.includes('1.2.840.113549.1.9.16.2.14'));
    expect(oidIdx).toBeGreaterThan(0);
    const tokenRow = rows.slice(oidIdx + 1).find((r) => r.what.startsWith('SEQUENCE'))!;
    const unsignedIdx = rows.slice(0, oidIdx).map((r) => r.what).lastIndexOf('cont [ 1 ]');
    const sigRow = rows[unsignedIdx - 1]!;
    expect(sigRow.what).toContain('OCTET STRING');
    const der = readFileSync(cmsFile);
    const tokenFile = join(dir, 'bt-token.der');
    const sigFile = join(dir, 'bt-sigvalue.bin');
    writeFileSync(tokenFile, der.subarray(tokenRow.off, tokenRow.off + tokenRow.hl + tokenRow.len));
    writeFileSync(sigFile, der.subarray(sigRow.off + sigRow.hl, sigRow.off + sigRow.hl + sigRow.len));
    const r = spawnSync('openssl', ['ts', '-verify', '-data', sigFile, '-in', tokenFile, '-token_in', '-CAfile', ROOT, '-untrusted', join(CERTS, 'tsa.pem')], { encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`).toContain('Verification: OK');
    // A wrong TSA URL fails (no output), B-T without a TSA is a usage error.
    const bad = join(dir, 'bt-bad.pdf');
    let failed: unknown;
    try {
      await pdfCommand(['sign', inFile, '-o', bad, '--p12', join(CERTS, 'agency-a-rsa.p12'), '--password', 'dev-only', '--level', 'B-T', '--tsa', 'http://127.0.0.1:9/tsa']);
    } catch (err) {
      failed = err;
    }
    expect(toSealError(failed).exitCode).not.toBe(0);
    expect(existsSync(bad)).toBe(false);
  });
});

describe('seal pdf sign (CLI)', () => {
  const cli = (args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'apps/cli/src/main.ts'), 'pdf', 'sign', ...args], { cwd: PROJECT_ROOT, encoding: 'utf8' });
  /** The same command in-process, exit code mapped as main.ts does (subprocess start-up is slow here). */
  const inProcess = async (args: string[]): Promise<number> => {
    try {
      return await pdfCommand(['sign', ...args]);
    } catch (err) {
      return toSealError(err).exitCode;
    }
  };

  it('seals visibly with --p12, co-seals with --cert/--key; --certify on a signed file exits 65', async () => {
    const inFile = save(buildPdf({ objects: onePageObjects(), root: 1 }), 'in');
    const png = join(dir, 'seal.png');
    writeFileSync(png, rgbaPng(8, 8, () => [200, 0, 0, 255]));
    const out1 = join(dir, 'cli-1.pdf');
    const r = cli([inFile, '-o', out1, '--p12', join(CERTS, 'agency-a-rsa.p12'), '--password', 'dev-only', '--chain', join(CERTS, 'chain.pem'), '--visible', '--page', '1', '--rect', '10,10,50,50', '--image', png, '--reason', 'R', '--location', 'L']);
    expect(r.status, r.stderr).toBe(0);
    checkSealed(readFileSync(inFile), readFileSync(out1), 0);
    expect(isRed(render(out1).px(35, 35))).toBe(true);
    const out2 = join(dir, 'cli-2.pdf');
    const ecKey = ['--cert', join(CERTS, 'agency-b-ec.pem'), '--key', join(CERTS, 'agency-b-ec.key.pem'), '--chain', join(CERTS, 'chain.pem')];
    expect(await inProcess([out1, '-o', out2, ...ecKey, '--certify', '2'])).toBe(65);
    expect(existsSync(out2)).toBe(false);
    expect(await inProcess([out1, '-o', out2, ...ecKey])).toBe(0);
    checkSealed(readFileSync(out1), readFileSync(out2), 1);
    expect(await inProcess([out1, '-o', join(dir, 'x.pdf'), ...ecKey, '--level', 'B-LT'])).toBe(64);
    expect(await inProcess([out1, '-o', join(dir, 'x.pdf'), ...ecKey, '--hash', 'MD5'])).toBe(64);
    // RSA-PSS with SHA-384 on request.
    const out3 = join(dir, 'cli-3.pdf');
    expect(await inProcess([out2, '-o', out3, '--p12', join(CERTS, 'agency-b-rsa.p12'), '--password', 'dev-only', '--chain', join(CERTS, 'chain.pem'), '--rsa-pss', '--hash', 'SHA-384'])).toBe(0);
    checkSealed(readFileSync(out2), readFileSync(out3), 2);
    expect(pdfsig(out3)[2]).toContain('Signing Hash Algorithm: SHA-384');
    const cms = join(dir, 'pss.der');
    writeFileSync(cms, signaturesByScan(readFileSync(out3))[2]!.cms);
    expect(execFileSync('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', cms], { encoding: 'utf8' })).toContain('rsassaPss');
    expect(await inProcess([out1, '-o', join(dir, 'x.pdf'), ...ecKey, '--rect', '1,2,3,4'])).toBe(64);
  });

  it('bad inputs exit 65 with one line on stderr and no output file', async () => {
    const good = buildPdf({ objects: onePageObjects(), root: 1 });
    const notPdf = join(dir, 'not.pdf');
    writeFileSync(notPdf, 'hello, not a pdf\n');
    const truncated = save(good.subarray(0, good.length - 40), 'trunc');
    const goodFile = save(good, 'good');
    const p12 = ['--p12', join(CERTS, 'agency-a-rsa.p12')];
    const expired = leafFiles.get('expired EC Seal')!;
    const cases: [string, string[]][] = [
      ['not a PDF', [notPdf, ...p12, '--password', 'dev-only']],
      ['truncated', [truncated, ...p12, '--password', 'dev-only']],
      ['wrong password', [goodFile, ...p12, '--password', 'nope']],
      ['key mismatch', [goodFile, '--cert', join(CERTS, 'agency-a-rsa.pem'), '--key', join(CERTS, 'agency-b-ec.key.pem')]],
      ['expired certificate', [goodFile, '--cert', expired.cert, '--key', expired.key, '--chain', join(CERTS, 'chain.pem')]],
      ['missing input', [join(dir, 'does-not-exist.pdf'), ...p12, '--password', 'dev-only']],
    ];
    if (present) cases.push(['encrypted', [corpusPath('pdf/unsigned/minimal-rc4.pdf'), ...p12, '--password', 'dev-only']]);
    for (const [what, args] of cases) {
      const out = join(dir, `bad-${++seq}.pdf`);
      expect(await inProcess([args[0]!, '-o', out, ...args.slice(1)]), what).toBe(65);
      expect(existsSync(out), what).toBe(false);
    }
    // One real process: the message is one line, no stack trace, no file.
    const out = join(dir, 'bad-process.pdf');
    const r = cli([truncated, '-o', out, ...p12, '--password', 'dev-only']);
    expect(r.status).toBe(65);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\bat .*\.ts:\d+/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

