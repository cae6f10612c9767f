/**
 * verifyPdf judged by independent tools on PDFs sealed here: pdfsig (poppler, with the test root
 * in a throw-away NSS database) and `openssl cms -verify` over the ByteRange bytes must agree that
 * a sealed file is valid; incremental changes that pdfsig still calls "Signature is Valid" must be
 * TOTAL_FAILED here. Property tests (fast-check) mutate sealed files: the verifier never crashes
 * and never passes a changed signed byte. Hostile inputs end in a clear error within 2 s.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTestPki, type TestPki } from '../packages/core/src/pki/test-pki.js';
import { createSoftwareSigner } from '../packages/core/src/signer/software.js';
import { signPdf } from '../packages/core/src/pdf/sign-pdf.js';
import { buildPdf, onePageObjects } from '../packages/core/src/pdf/testing/build-pdf.js';
import { parsePdf } from '../packages/core/src/pdf/parser/document.js';
import { PdfName, PdfRef, PdfStream, PdfDict } from '../packages/core/src/pdf/parser/objects.js';
import { IncrementalUpdate, concatOutput } from '../packages/core/src/pdf/writer/incremental.js';
import { verifyPdf, type VerifyPdfOptions, type PdfSignatureReport } from '../packages/core/src/pdf/verify.js';
import { SealError } from '../packages/core/src/errors/index.js';
import type { Signer } from '../packages/core/src/signer/signer.js';

for (const t of ['pdfsig', 'openssl', 'certutil']) {
  if (spawnSync(t, ['-v'], { stdio: 'ignore' }).error) throw new Error(`interop/pdf-verify: required tool ${t} is not installed`);
}

let pki: TestPki;
let signer: Signer;
let revokedSigner: Signer;
let sealed: Uint8Array;
let opts: VerifyPdfOptions;
const dir = mkdtempSync(join(tmpdir(), 'pdf-verify-'));
const nss = join(dir, 'nss');
const base = buildPdf({ objects: onePageObjects('Signed text'), root: 1 });

beforeAll(async () => {
  pki = buildTestPki();
  const key = (n: string) => createPrivateKey(pki.pem(n));
  signer = createSoftwareSigner(key('leaf.key'), [pki.der('leaf.pem'), pki.der('ca.pem')]);
  revokedSigner = createSoftwareSigner(key('leaf2.key'), [pki.der('leaf2.pem'), pki.der('ca.pem')]);
  sealed = new Uint8Array(await signPdf(base, signer, { reason: 'test' })); // a plain copy: Buffer#slice would not copy
  opts = { trustAnchors: [pki.der('root.pem')], crls: [pki.der('ca-empty.crl'), pki.der('root.crl')] };
  execFileSync('mkdir', ['-p', nss]);
  execFileSync('certutil', ['-N', '-d', `sql:${nss}`, '--empty-password']);
  execFileSync('certutil', ['-A', '-d', `sql:${nss}`, '-n', 'root', '-t', 'C,C,C', '-a', '-i', pki.file('root.pem')]);
});

function pdfsig(bytes: Uint8Array): string {
  const f = join(dir, `f${Math.random().toString(36).slice(2)}.pdf`);
  writeFileSync(f, bytes);
  const r = spawnSync('pdfsig', ['-nssdir', `sql:${nss}`, f], { encoding: 'latin1' });
  return `${r.stdout}${r.stderr}`;
}

/** The CMS and signed bytes cut out with a plain byte scan (not our parser), checked by openssl. */
function opensslVerify(bytes: Uint8Array): boolean {
  const s = Buffer.from(bytes).toString('latin1');
  const m = /\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/.exec(s)!;
  const [a, b, c, d] = m.slice(1).map(Number) as [number, number, number, number];
  const hex = s.slice(a + b + 1, c - 1).replace(/0+$/, '');
  writeFileSync(join(dir, 'sig.der'), Buffer.from(hex.length % 2 ? `${hex}0` : hex, 'hex'));
  writeFileSync(join(dir, 'signed.bin'), Buffer.concat([bytes.subarray(a, a + b), bytes.subarray(c, c + d)]));
  const r = spawnSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', join(dir, 'sig.der'), '-content', join(dir, 'signed.bin'), '-purpose', 'any', '-CAfile', pki.file('root.pem'), '-certfile', pki.file('ca.pem'), '-out', '/dev/null']);
  return r.status === 0;
}

/** An incremental update that replaces the page's content stream (an incremental saving attack). */
function appendContentChange(bytes: Uint8Array, text: string): Uint8Array {
  const doc = parsePdf(bytes);
  const up = new IncrementalUpdate(doc);
  const content = new TextEncoder().encode(`BT /F1 24 Tf 72 720 Td (${text}) Tj ET`);
  up.set(new PdfRef(4, 0), new PdfStream(new PdfDict([['Length', content.length]]), content));
  const r = up.write();
  return concatOutput(r.input, r.update);
}

describe('verifyPdf against pdfsig and openssl', () => {
  it('a sealed file: pdfsig and openssl say valid and trusted; we say TOTAL_PASSED, whole document', async () => {
    const out = pdfsig(sealed);
    expect(out).toContain('Signature is Valid');
    expect(out).toContain('Total document signed');
    expect(opensslVerify(sealed)).toBe(true);
    const r = await verifyPdf(sealed, opts);
    const s = r.signatures[0] as PdfSignatureReport;
    expect(s.errors).toEqual([]);
    expect(r.indication).toBe('TOTAL_PASSED');
    expect(s).toMatchObject({ intact: true, valid: true, trusted: true, coversWholeDocument: true, level: 'B-B' });
    expect(s.revocation.status).toBe('good');
    expect(s.signer?.subject).toBe('CN=Agency Test Seal');
  });

  it('without trust anchors a good seal is INDETERMINATE; without revocation data TRY_LATER', async () => {
    expect((await verifyPdf(sealed)).indication).toBe('INDETERMINATE');
    const r = await verifyPdf(sealed, { trustAnchors: opts.trustAnchors! });
    expect(r.signatures[0]!.subIndication).toBe('TRY_LATER');
  });

  it('incremental saving attack: pdfsig still says "Signature is Valid", we say TOTAL_FAILED', async () => {
    const attacked = appendContentChange(sealed, 'Forged text');
    const out = pdfsig(attacked);
    expect(out).toContain('Signature is Valid');
    expect(out).toContain('Not total document signed');
    const r = await verifyPdf(attacked, opts);
    expect(r.indication).toBe('TOTAL_FAILED');
    const s = r.signatures[0] as PdfSignatureReport;
    expect(s.coversWholeDocument).toBe(false);
    expect(s.modifications.some((m) => !m.allowed && m.object === '4 0 R')).toBe(true);
  });

  it('a second seal after the first is an allowed change; both pass (pdfsig agrees on both)', async () => {
    const twice = await signPdf(sealed, signer, { reason: 'second' });
    const out = pdfsig(twice);
    expect(out.match(/Signature is Valid/g)?.length).toBe(2);
    const r = await verifyPdf(twice, opts);
    expect(r.signatures.map((s) => s.indication)).toEqual(['TOTAL_PASSED', 'TOTAL_PASSED']);
    expect((r.signatures[0] as PdfSignatureReport).modifications.every((m) => m.allowed)).toBe(true);
  });

  it('certified P=2: a later seal is allowed, a content change is not', async () => {
    const certified = await signPdf(base, signer, { certify: 2 });
    const first = await verifyPdf(certified, opts);
    expect(first.indication).toBe('TOTAL_PASSED');
    expect((first.signatures[0] as PdfSignatureReport).certification).toEqual({ permissions: 2 });
    const then = await signPdf(certified, signer, { reason: 'after' });
    expect((await verifyPdf(then, opts)).signatures.map((x) => x.indication)).toEqual(['TOTAL_PASSED', 'TOTAL_PASSED']);
    const changed = appendContentChange(then, 'Forged');
    expect((await verifyPdf(changed, opts)).signatures.map((x) => x.indication)).toEqual(['TOTAL_FAILED', 'TOTAL_FAILED']);
  });

  it('revoked seal certificate: openssl -crl_check rejects it; we never pass it', async () => {
    const bad = await signPdf(base, revokedSigner, {});
    expect(() => pki.openssl(['verify', '-crl_check', '-CAfile', 'root.pem', '-untrusted', 'ca.pem', '-CRLfile', 'ca-revoked.crl', 'leaf2.pem'])).toThrow();
    const r = await verifyPdf(bad, { trustAnchors: opts.trustAnchors!, crls: [pki.der('ca-revoked.crl'), pki.der('root.crl')] });
    expect(r.indication).toBe('INDETERMINATE');
    expect(r.signatures[0]!.subIndication).toBe('REVOKED_NO_POE');
    expect(r.signatures[0]!.revocation).toMatchObject({ status: 'revoked', reason: 'keyCompromise' });
  });
});

describe('property: mutations of a sealed file', () => {
  it('any changed byte inside the signed ranges is never TOTAL_PASSED, and nothing crashes', async () => {
    const s = Buffer.from(sealed).toString('latin1');
    const m = /\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/.exec(s)!;
    const [, b, c] = m.slice(1).map(Number) as [number, number, number, number];
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: sealed.length - 1 }), fc.integer({ min: 1, max: 255 }), async (pos, x) => {
        if (pos >= b && pos < c) return; // the /Contents hex string itself is checked by the next property
        const mutated = sealed.slice();
        mutated[pos] = mutated[pos]! ^ x;
        try {
          const r = await verifyPdf(mutated, opts);
          expect(r.indication).not.toBe('TOTAL_PASSED');
        } catch (err) {
          expect(err).toBeInstanceOf(SealError);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('changes to the CMS bytes, truncation and appended junk never pass and never crash', async () => {
    const s = Buffer.from(sealed).toString('latin1');
    const m = /\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/.exec(s)!;
    const [, b, c] = m.slice(1).map(Number) as [number, number, number, number];
    // the SignerInfo (digest and signature algorithms, signed attributes, signature value) is the
    // tail of the DER; certificates and the outer digestAlgorithms set are unsigned by CMS design
    const hex = s.slice(b + 1, c - 1).replace(/(00)+$/, '');
    const der = new Uint8Array(Buffer.from(hex, 'hex'));
    // ContentInfo SEQ { OID, [0] { SignedData SEQ { ..., signerInfos SET } } }: walk the TLVs
    const tlv = (off: number): { content: number; end: number } => {
      let len = der[off + 1]!;
      let hdr = 2;
      if (len & 0x80) {
        const n = len & 0x7f;
        len = 0;
        for (let i = 0; i < n; i++) len = len * 256 + der[off + 2 + i]!;
        hdr = 2 + n;
      }
      return { content: off + hdr, end: off + hdr + len };
    };
    const ci = tlv(0);
    const oid = tlv(ci.content);
    const explicit = tlv(oid.end);
    const sdSeq = tlv(explicit.content);
    let p = sdSeq.content;
    let last = p;
    while (p < sdSeq.end) {
      last = p;
      p = tlv(p).end;
    }
    const siStart = b + 1 + 2 * last;
    const siEnd = b + 1 + 2 * sdSeq.end;
    // The sid (issuer and serial) of the SignerInfo is not signed: the certificate is bound by
    // the signed ESS signing-certificate-v2 attribute, and names match as RFC 5280 7.1 says,
    // ignoring case. So a letter of the issuer name changed to its other case still names the
    // same signer; any other change to it must fail.
    const si = tlv(tlv(last).content);
    const sidStart = tlv(si.content).end;
    const sidEnd = tlv(sidStart).end;
    const sameNameIgnoringCase = (pos: number, digit: string): boolean => {
      const i = Math.floor((pos - b - 1) / 2);
      if (i < sidStart || i >= sidEnd) return false;
      const pair = s.slice(b + 1 + 2 * i, b + 3 + 2 * i);
      const changed = (pos - b - 1) % 2 === 0 ? digit + pair[1] : pair[0] + digit;
      const [x, y] = [String.fromCharCode(parseInt(pair, 16)), String.fromCharCode(parseInt(changed, 16))];
      return /[A-Za-z]/.test(x) && x !== y && x.toLowerCase() === y.toLowerCase();
    };
    expect(siStart).toBeGreaterThan(b + 1);
    expect(siEnd).toBeGreaterThan(siStart);
    const hexDigits = '0123456789abcdef';
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({ kind: fc.constant('cms' as const), pos: fc.integer({ min: siStart, max: siEnd - 1 }), d: fc.integer({ min: 0, max: 15 }) }),
          // the zero padding after the DER (if the signature came out shorter than the placeholder)
          fc.record({ kind: fc.constant('cms' as const), pos: fc.integer({ min: Math.min(siEnd, c - 2), max: c - 2 }), d: fc.integer({ min: 1, max: 15 }) }),
          fc.record({ kind: fc.constant('truncate' as const), pos: fc.integer({ min: 0, max: sealed.length - 1 }), d: fc.constant(0) }),
          fc.record({ kind: fc.constant('append' as const), pos: fc.integer({ min: 1, max: 64 }), d: fc.integer({ min: 0, max: 255 }) }),
        ),
        async ({ kind, pos, d }) => {
          let mutated: Uint8Array;
          if (kind === 'cms') {
            mutated = sealed.slice();
            const ch = hexDigits.charCodeAt(d);
            if (mutated[pos] === ch) return;
            mutated[pos] = ch;
          } else if (kind === 'truncate') mutated = sealed.slice(0, pos);
          else mutated = new Uint8Array([...sealed, ...new Array<number>(pos).fill(d)]);
          try {
            const r = await verifyPdf(mutated, opts);
            // zero padding after the CMS may be changed to other zeros only; anything else fails
            if (kind === 'append') expect(r.signatures.every((x) => !x.coversWholeDocument)).toBe(true);
            else if (r.indication === 'TOTAL_PASSED' && !(kind === 'cms' && sameNameIgnoringCase(pos, hexDigits[d]!))) {
              // a changed hex digit inside the zero padding after the DER is refused as well
              throw new Error(`mutation ${kind}@${pos} passed`);
            }
          } catch (err) {
            if (!(err instanceof SealError)) throw err;
          }
        },
      ),
      { numRuns: 120 },
    );
  });
});

describe('hostile input ends in a clear error (or report) within 2 s', () => {
  const cases: [string, () => Uint8Array][] = [
    ['empty', () => new Uint8Array(0)],
    ['not a PDF', () => new TextEncoder().encode('hello world')],
    ['truncated header', () => new TextEncoder().encode('%PDF-1.7\n')],
    ['10,000-deep nesting', () => buildPdf({ objects: { ...onePageObjects(), 6: `${'['.repeat(10_000)}${']'.repeat(10_000)}` }, root: 1 })],
    ['reference cycle', () => buildPdf({ objects: { 1: '<< /Type /Catalog /Pages 2 0 R /AcroForm 6 0 R >>', 2: '<< /Type /Pages /Kids [3 0 R] /Count 1 >>', 3: '<< /Type /Page /Parent 2 0 R >>', 6: '7 0 R', 7: '6 0 R' }, root: 1 })],
    ['field tree cycle', () => buildPdf({ objects: { 1: '<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [6 0 R] >> >>', 2: '<< /Type /Pages /Kids [3 0 R] /Count 1 >>', 3: '<< /Type /Page /Parent 2 0 R >>', 6: '<< /T (a) /Kids [7 0 R] >>', 7: '<< /T (b) /Kids [6 0 R] /Parent 6 0 R >>' }, root: 1 })],
    ['absurd /Length', () => buildPdf({ objects: { ...onePageObjects(), 4: '<< /Length 99999999999 >>\nstream\nBT ET\nendstream' }, root: 1 })],
    [
      'decompression bomb in a DSS',
      () => {
        const bomb = deflateSync(Buffer.alloc(80 * 1024 * 1024), { level: 9 });
        const objs: Record<number, string | Uint8Array> = { ...onePageObjects(), 1: '<< /Type /Catalog /Pages 2 0 R /DSS << /Certs [6 0 R] >> >>' };
        objs[6] = new Uint8Array([...new TextEncoder().encode(`<< /Length ${bomb.length} /Filter /FlateDecode >>\nstream\n`), ...bomb, ...new TextEncoder().encode('\nendstream')]);
        return buildPdf({ objects: objs, root: 1 });
      },
    ],
    ['many objects', () => new TextEncoder().encode(`%PDF-1.7\n${'1 0 obj null endobj\n'.repeat(200_000)}trailer << /Root 1 0 R >>\n%%EOF\n`)],
  ];
  for (const [name, make] of cases) {
    it(name, async () => {
      const input = make();
      const t0 = performance.now();
      let outcome: string;
      try {
        const r = await verifyPdf(input, opts);
        outcome = r.indication;
      } catch (err) {
        expect(err).toBeInstanceOf(SealError);
        outcome = (err as SealError).code;
      }
      expect(performance.now() - t0).toBeLessThan(2000);
      expect(['NO_SIGNATURE', 'ERR_PDF_MALFORMED', 'ERR_INPUT_INVALID', 'TOTAL_FAILED', 'INDETERMINATE']).toContain(outcome);
    });
  }
});
