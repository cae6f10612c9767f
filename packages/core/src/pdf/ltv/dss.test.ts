/**
 * DSS writer and extendPdf, in-process: merging keeps every old entry (direct and indirect arrays,
 * old VRI keys), the same bytes are stored once, VRI entries for one key are united; extendPdf
 * fails closed (only SealError, never a crash or a partial result) on mutated sealed files.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../../../test-support/corpus.js';
import { SealError } from '../../errors/index.js';
import { loadSignerFromPem } from '../../signer/load-key.js';
import type { Signer } from '../../signer/signer.js';
import { createTimestampAuthority } from '../../tsa/authority.js';
import type { Timestamper } from '../../tsa/timestamper.js';
import { parsePdf } from '../parser/document.js';
import { PdfStream, isArray, isRef } from '../parser/objects.js';
import { signPdf } from '../sign-pdf.js';
import { buildPdf, onePageObjects } from '../testing/build-pdf.js';
import { concatOutput } from '../writer/incremental.js';
import { addDss, vriKey } from './dss.js';
import { extendPdf } from './extend.js';

const CERTS = resolve(PROJECT_ROOT, 'certs-dev');
const read = (n: string) => readFileSync(join(CERTS, n));
const der = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));
const blob = (n: number, fill: number) => new Uint8Array(64).fill(fill).map((x, i) => (x + i * n) & 0xff);

function dssOf(bytes: Uint8Array): { Certs: string[]; CRLs: string[]; OCSPs: string[]; vri: Map<string, Record<string, string[]>>; certsIndirect: boolean } {
  const doc = parsePdf(bytes);
  const dss = doc.resolveDict(doc.catalog().get('DSS'))!;
  const hexes = (o: unknown): string[] => {
    const a = doc.resolve(o as never);
    return isArray(a) ? a.map((r) => doc.resolve(r)).filter((s): s is PdfStream => s instanceof PdfStream).map((s) => Buffer.from(doc.decode(s)).toString('hex')) : [];
  };
  const vri = new Map<string, Record<string, string[]>>();
  const v = doc.resolveDict(dss.get('VRI'));
  for (const [k, e] of v?.entries() ?? []) {
    const d = doc.resolveDict(e)!;
    vri.set(k, { Cert: hexes(d.get('Cert')), CRL: hexes(d.get('CRL')), OCSP: hexes(d.get('OCSP')) });
  }
  return { Certs: hexes(dss.get('Certs')), CRLs: hexes(dss.get('CRLs')), OCSPs: hexes(dss.get('OCSPs')), vri, certsIndirect: isRef(dss.get('Certs')) };
}

describe('addDss', () => {
  it('writes a new DSS, then merges a second one without dropping or duplicating entries', () => {
    const pdf = buildPdf({ objects: onePageObjects(), root: 1 });
    const k1 = vriKey(blob(1, 1));
    const k2 = vriKey(blob(2, 2));
    const first = addDss(parsePdf(pdf), { certs: [blob(3, 3)], crls: [blob(4, 4)], ocsps: [], vri: new Map([[k1, { certs: [blob(3, 3)], crls: [blob(4, 4)], ocsps: [] }]]) });
    expect(first.added).toBe(2);
    const one = concatOutput(first.input, first.update);
    expect(Buffer.compare(Buffer.from(one.subarray(0, pdf.length)), Buffer.from(pdf))).toBe(0);
    const second = addDss(parsePdf(one), {
      certs: [blob(3, 3), blob(5, 5)],
      crls: [blob(4, 4)],
      ocsps: [blob(6, 6)],
      vri: new Map([
        [k1, { certs: [blob(5, 5)], crls: [], ocsps: [blob(6, 6)] }],
        [k2, { certs: [blob(3, 3)], crls: [], ocsps: [] }],
      ]),
    });
    expect(second.added).toBe(2); // blob 5 and 6; 3 and 4 are already stored
    const two = concatOutput(second.input, second.update);
    const d = dssOf(two);
    const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
    expect(d.Certs).toEqual([hex(blob(3, 3)), hex(blob(5, 5))]);
    expect(d.CRLs).toEqual([hex(blob(4, 4))]);
    expect(d.OCSPs).toEqual([hex(blob(6, 6))]);
    expect(d.vri.get(k1)).toEqual({ Cert: [hex(blob(3, 3)), hex(blob(5, 5))], CRL: [hex(blob(4, 4))], OCSP: [hex(blob(6, 6))] });
    expect(d.vri.get(k2)?.Cert).toEqual([hex(blob(3, 3))]);
    // nothing new: an update that adds no stream
    const third = addDss(parsePdf(two), { certs: [blob(5, 5)], crls: [], ocsps: [] });
    expect(third.added).toBe(0);
    expect(dssOf(concatOutput(third.input, third.update)).Certs).toHaveLength(2);
  });

  it('keeps a DSS with indirect arrays and a direct DSS dictionary in the catalog', () => {
    const objs = onePageObjects();
    const c1 = Buffer.from(blob(7, 7)).toString('latin1');
    const pdf = buildPdf({
      objects: {
        ...objs,
        1: '<< /Type /Catalog /Pages 2 0 R /DSS << /Certs 10 0 R /Foo /Bar >> >>',
        10: '[11 0 R]',
        11: Buffer.concat([Buffer.from(`<< /Length 64 >>\nstream\n`), Buffer.from(c1, 'latin1'), Buffer.from('\nendstream')]),
      },
      root: 1,
    });
    const res = addDss(parsePdf(pdf), { certs: [blob(7, 7), blob(8, 8)], crls: [], ocsps: [] });
    expect(res.added).toBe(1);
    const out = concatOutput(res.input, res.update);
    const d = dssOf(out);
    expect(d.Certs).toEqual([Buffer.from(blob(7, 7)).toString('hex'), Buffer.from(blob(8, 8)).toString('hex')]);
    const doc = parsePdf(out);
    expect(doc.resolveDict(doc.catalog().get('DSS'))?.getName('Foo')).toBe('Bar');
  });

  it('refuses a malformed VRI key', () => {
    const pdf = buildPdf({ objects: onePageObjects(), root: 1 });
    expect(() => addDss(parsePdf(pdf), { certs: [], crls: [], ocsps: [], vri: new Map([['not-hex', { certs: [], crls: [], ocsps: [] }]]) })).toThrow(SealError);
  });
});

describe('extendPdf fails closed', () => {
  let signer: Signer;
  let timestamper: Timestamper;
  let sealed: Uint8Array;
  let crls: Uint8Array[];
  let dir = '';
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const rootDer = () => der(read('root-ca.pem').toString('latin1').replace(/-----[^-]+-----|\s/g, ''));

  beforeAll(async () => {
    signer = loadSignerFromPem({ certPem: read('agency-b-ec.pem'), keyPem: read('agency-b-ec.key.pem'), chainPems: [read('chain.pem')] });
    const tsaSigner = loadSignerFromPem({ certPem: read('tsa.pem'), keyPem: read('tsa.key.pem'), chainPems: [read('root-ca.pem')] });
    timestamper = createTimestampAuthority({ signer: tsaSigner, policyOid: '1.3.6.1.4.1.99999.2' }).timestamper;
    sealed = await signPdf(buildPdf({ objects: onePageObjects(), root: 1 }), signer, { level: 'B-T', timestamper });
    // empty CRLs of the dev seal CA and root, made by openssl (an independent implementation)
    dir = mkdtempSync(join(tmpdir(), 'ltv-crl-'));
    writeFileSync(join(dir, 'index.txt'), '');
    writeFileSync(join(dir, 'ca.cnf'), `[ca]\ndefault_ca=d\n[d]\ndatabase=${dir}/index.txt\ndefault_md=sha256\ndefault_crl_days=3650\n`);
    crls = ['seal-ca', 'root-ca'].map((ca) => {
      const out = join(dir, `${ca}.crl`);
      execFileSync('openssl', ['ca', '-gencrl', '-config', join(dir, 'ca.cnf'), '-cert', join(CERTS, `${ca}.pem`), '-keyfile', join(CERTS, `${ca}.key.pem`), '-out', out], { stdio: 'ignore' });
      return new Uint8Array(readFileSync(out));
    });
  });

  it('with CRLs for the chains the sealed file becomes B-LTA', async () => {
    const out = await extendPdf(sealed, { level: 'B-LTA', tsa: timestamper, crls, trustAnchors: [rootDer()] });
    expect(Buffer.compare(Buffer.from(out.subarray(0, sealed.length)), Buffer.from(sealed))).toBe(0);
    const d = dssOf(out);
    expect(d.CRLs).toHaveLength(2);
    expect(d.Certs.length).toBeGreaterThanOrEqual(4);
  });

  it('B-LTA without a TSA and unknown levels are input errors', async () => {
    await expect(extendPdf(sealed, { level: 'B-LTA' })).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
    await expect(extendPdf(sealed, { level: 'B-X' as never })).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
    // a trust anchor the chain does not reach
    const other = new Uint8Array(signer.certificateChain[0]!);
    await expect(extendPdf(sealed, { level: 'B-LT', trustAnchors: [other] })).rejects.toBeInstanceOf(SealError);
    // the dev chain is complete, but offline there is no revocation data for the seal
    await expect(extendPdf(sealed, { level: 'B-LT', trustAnchors: [rootDer()] })).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
  });

  it('mutated sealed files: only SealError, and any output keeps the input as a prefix', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: sealed.length - 1 }), fc.integer({ min: 1, max: 255 }), fc.constantFrom('flip', 'truncate', 'append'), async (pos, x, how) => {
        // copies (a Buffer's slice() is a view: flipping a byte there would change `sealed` itself)
        const bad = how === 'truncate' ? Uint8Array.from(sealed.subarray(0, pos)) : how === 'append' ? new Uint8Array(Buffer.concat([sealed, Buffer.from('\n'.repeat(1 + (x % 3)))])) : Uint8Array.from(sealed);
        if (how === 'flip') bad[pos] = bad[pos]! ^ x;
        try {
          const out = await extendPdf(bad, { level: 'B-LT', crls, trustAnchors: [rootDer()] });
          expect(Buffer.compare(Buffer.from(out.subarray(0, bad.length)), Buffer.from(bad))).toBe(0);
        } catch (err) {
          expect(err).toBeInstanceOf(SealError);
        }
      }),
      { numRuns: 50 },
    );
  }, 60_000);
});
