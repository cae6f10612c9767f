import { readFileSync } from 'node:fs';
import { strToU8, zipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { corpusManifest, corpusOrReport, corpusPath } from '../../../../test-support/corpus.js';
import { SealError } from '../errors/index.js';
import { readOfdZip, writeOfdZip } from './ofd-zip.js';
import { verifyOfd } from './ofd-verify.js';
import { signSes } from './ses-create.js';
import { parseCertificate } from './sm2-cert.js';
import { sm3 } from './sm2.js';
import { createSm2TestPki, createTestSesSeal, type Sm2TestPki } from './sm2-test-pki.js';

const HAVE = corpusOrReport('OFD corpus tests');
const read = (rel: string): Uint8Array => new Uint8Array(readFileSync(corpusPath(rel)));
const USER = HAVE ? parseCertificate(readFileSync(corpusPath('cn/certs/ofdrw-USER.cert.pem'), 'utf8')) : null;
const AT = new Date('2021-01-01T00:00:00Z');

function rezip(files: Map<string, Uint8Array>): Uint8Array {
  return zipSync(Object.fromEntries(files), { level: 6 });
}

function code(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    if (err instanceof SealError) return err.code;
    throw err;
  }
}

describe.runIf(HAVE)('corpus OFD files', () => {
  const ofds = corpusManifest().filter((e) => e.path.startsWith('cn/ofd/'));
  const valid = ofds.filter((e) => e.expected?.verdict === 'valid');

  it('the manifest lists signed OFDs, including the three tax-bureau e-invoices', () => {
    expect(valid.length).toBeGreaterThanOrEqual(7);
    expect(valid.map((e) => e.path)).toEqual(expect.arrayContaining([
      'cn/ofd/signedFile-jiangsu-tax.ofd',
      'cn/ofd/v4signed-chongqing-invoice.ofd',
      'cn/ofd/SignScaleError-zhejiang-einvoice.ofd',
    ]));
  });

  for (const e of valid) {
    it(`${e.path}: every reference digest and the signed value verify`, () => {
      const r = verifyOfd(read(e.path), { signerCertificates: [USER!], at: AT });
      expect(r.signatures.length).toBeGreaterThan(0);
      for (const s of r.signatures) {
        expect(s['valid'], JSON.stringify(s.errors)).toBe(true);
        expect(s.indication).not.toBe('TOTAL_FAILED');
        const refs = (s['references'] as { ok: boolean }[] | undefined) ?? [];
        expect(refs.every((x) => x.ok)).toBe(true);
        const check = (e.independent_check as { signatures?: { n_references: number }[] } | undefined)?.signatures?.[0];
        if (check !== undefined) expect(refs).toHaveLength(check.n_references);
      }
      // No trust anchors were given: never PASSED.
      expect(r.indication).toBe('INDETERMINATE');
    });

    it(`${e.path}: one changed byte in a signed part makes it fail`, () => {
      const files = readOfdZip(read(e.path));
      const r0 = verifyOfd(read(e.path), { signerCertificates: [USER!], at: AT });
      const s0 = r0.signatures[0]!;
      const target = s0['references'] !== undefined
        ? (s0['references'] as { path: string }[])[0]!.path
        : (s0['protectedParts'] as string[])[0]!;
      const tampered = new Map(files);
      const b = Uint8Array.from(files.get(target)!);
      // XML stays well-formed: change the first character of the first attribute value.
      const pos = b[0] === 0x3c ? b.indexOf(0x22) + 1 : Math.floor(b.length / 2);
      b[pos]! ^= 0x01;
      tampered.set(target, b);
      const r = verifyOfd(rezip(tampered), { signerCertificates: [USER!], at: AT });
      if (s0['references'] !== undefined) {
        expect(r.indication).toBe('TOTAL_FAILED');
        expect(r.signatures[0]!.subIndication).toBe('HASH_FAILURE');
      } else {
        // GM/T 0099 protects the list of parts; an added (smuggled) part must fail instead.
        tampered.set('Doc_0/smuggled.xml', strToU8('<x/>'));
        const r2 = verifyOfd(rezip(tampered), { at: AT });
        expect(r2.indication).toBe('TOTAL_FAILED');
      }
    });

    it(`${e.path}: one changed byte in Signature.xml or the signed value makes it fail`, () => {
      const files = readOfdZip(read(e.path));
      const s0 = verifyOfd(read(e.path), { signerCertificates: [USER!], at: AT }).signatures[0]!;
      const sigPath = s0['signaturePath'] as string;
      for (const path of [sigPath, sigPath.replace(/[^/]+$/, 'SignedValue.dat')].filter((p) => files.has(p))) {
        const tampered = new Map(files);
        const b = Uint8Array.from(files.get(path)!);
        const pos = path.endsWith('.xml') ? new TextDecoder().decode(b).indexOf('SignatureMethod') : b.length - 4;
        b[pos]! ^= 0x02;
        tampered.set(path, b);
        let ind: string;
        try {
          ind = verifyOfd(rezip(tampered), { signerCertificates: [USER!], at: AT }).indication;
        } catch (err) {
          ind = (err as SealError).code;
        }
        expect(['TOTAL_FAILED', 'ERR_INPUT_INVALID'], path).toContain(ind);
      }
    });
  }

  it('the bare SM2 signature needs its certificate: without it INDETERMINATE, never passed', () => {
    const r = verifyOfd(read('cn/ofd/DigitalSign.ofd'), { at: AT });
    expect(r.signatures[0]!.subIndication).toBe('NO_SIGNING_CERTIFICATE_FOUND');
  });

  it('an unsigned OFD reports NO_SIGNATURE', () => {
    expect(verifyOfd(read('cn/ofd/helloworld-unsigned.ofd')).indication).toBe('NO_SIGNATURE');
  });
});

describe('OFD signed with our own v4 seal', () => {
  let pki: Sm2TestPki;
  let ofd: Uint8Array;
  const at = new Date('2025-06-01T00:00:00Z');
  beforeAll(async () => {
    pki = await createSm2TestPki();
    const seal = await createTestSesSeal(pki, { esId: 'OFD-TEST-1', name: 'OFD test seal' });
    const files = new Map<string, Uint8Array>();
    files.set('OFD.xml', strToU8('<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016" Version="1.0" DocType="OFD"><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot><ofd:Signatures>Doc_0/Signs/Signatures.xml</ofd:Signatures></ofd:DocBody></ofd:OFD>'));
    files.set('Doc_0/Document.xml', strToU8('<ofd:Document xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Pages><ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages></ofd:Document>'));
    files.set('Doc_0/Pages/Page_0/Content.xml', strToU8('<ofd:Page xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Content/></ofd:Page>'));
    const refs = [...files.entries()]
      .map(([p, b]) => `<ofd:Reference FileRef="/${p}"><ofd:CheckValue>${Buffer.from(sm3(b)).toString('base64')}</ofd:CheckValue></ofd:Reference>`)
      .join('');
    const sigXml = strToU8(`<?xml version="1.0" encoding="UTF-8"?><ofd:Signature xmlns:ofd="http://www.ofdspec.org/2016"><ofd:SignedInfo><ofd:SignatureMethod>1.2.156.10197.1.501</ofd:SignatureMethod><ofd:References CheckMethod="1.2.156.10197.1.401">${refs}</ofd:References></ofd:SignedInfo><ofd:SignedValue>/Doc_0/Signs/Sign_0/SignedValue.dat</ofd:SignedValue></ofd:Signature>`);
    files.set('Doc_0/Signs/Sign_0/Signature.xml', sigXml);
    files.set('Doc_0/Signs/Sign_0/SignedValue.dat', await signSes({ seal, signer: pki.holder, data: sigXml, propertyInfo: '/Doc_0/Signs/Sign_0/Signature.xml', time: at }));
    files.set('Doc_0/Signs/Signatures.xml', strToU8('<ofd:Signatures xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Signature ID="1" Type="Seal" BaseLoc="Sign_0/Signature.xml"/></ofd:Signatures>'));
    ofd = rezip(files);
  });

  it('verifies TOTAL_PASSED against our root and covers the whole document', () => {
    const r = verifyOfd(ofd, { trustAnchors: [pki.rootCert], at });
    expect(r.indication).toBe('TOTAL_PASSED');
    expect(r.signatures[0]!.coversWholeDocument).toBe(true);
  });

  it('an unreferenced extra part is reported as not covered (still verified)', () => {
    const files = readOfdZip(ofd);
    files.set('Doc_0/Res/extra.png', Uint8Array.of(1, 2, 3));
    const r = verifyOfd(rezip(files), { trustAnchors: [pki.rootCert], at });
    expect(r.signatures[0]!.coversWholeDocument).toBe(false);
    expect(r.signatures[0]!['unsignedParts']).toEqual(['Doc_0/Res/extra.png']);
  });
});

describe('writeOfdZip', () => {
  it('writes packages that fflate (an independent reader) and readOfdZip read back unchanged', async () => {
    const { unzipSync } = await import('fflate');
    const files = new Map<string, Uint8Array>([
      ['OFD.xml', strToU8('<ofd:OFD xmlns:ofd="x"/>')],
      ['Doc_0/\u6587\u6863.xml', strToU8('<a>\u4e2d\u6587</a>'.repeat(100))],
      ['Doc_0/empty.bin', new Uint8Array(0)],
    ]);
    const z = writeOfdZip(files);
    const other = unzipSync(z);
    expect(Object.keys(other).sort()).toEqual([...files.keys()].sort());
    for (const [k, v] of files) expect(Buffer.from(other[k]!).equals(Buffer.from(v))).toBe(true);
    const back = readOfdZip(z);
    for (const [k, v] of files) expect(Buffer.from(back.get(k)!).equals(Buffer.from(v))).toBe(true);
  });
});

describe('hostile OFD packages fail with typed errors', () => {
  it('a zip bomb is refused before inflating', () => {
    const bomb = zipSync({ 'OFD.xml': new Uint8Array(40 * 1024 * 1024) }, { level: 9 });
    expect(code(() => verifyOfd(bomb))).toBe('ERR_INPUT_TOO_LARGE');
  });

  it('entries over the size limit and too many entries are refused', () => {
    const big = zipSync({ 'OFD.xml': new Uint8Array(2048) }, { level: 0 });
    expect(code(() => verifyOfd(big, { limits: { maxEntryBytes: 1024 } }))).toBe('ERR_INPUT_TOO_LARGE');
    const many: Record<string, Uint8Array> = {};
    for (let i = 0; i < 20; i++) many[`f${i}`] = Uint8Array.of(i);
    expect(code(() => verifyOfd(zipSync(many), { limits: { maxEntries: 10 } }))).toBe('ERR_INPUT_TOO_LARGE');
  });

  it('a size field that lies is caught', () => {
    const z = Buffer.from(zipSync({ 'OFD.xml': strToU8('x'.repeat(5000)) }, { level: 9 }));
    const cd = z.lastIndexOf(Buffer.from([0x50, 0x4b, 1, 2]));
    z.writeUInt32LE(100, cd + 24);
    expect(code(() => verifyOfd(new Uint8Array(z)))).toBe('ERR_INPUT_INVALID');
  });

  it('path tricks, non-zips, truncation and DOCTYPE are refused', () => {
    expect(code(() => verifyOfd(zipSync({ '../../etc/x': strToU8('x') })))).toBe('ERR_INPUT_INVALID');
    expect(code(() => verifyOfd(zipSync({ 'C:/x': strToU8('x') })))).toBe('ERR_INPUT_INVALID');
    expect(code(() => verifyOfd(strToU8('not a zip at all, just text')))).toBe('ERR_INPUT_INVALID');
    const ok = zipSync({ 'OFD.xml': strToU8('<ofd:OFD xmlns:ofd="x"/>') });
    expect(code(() => verifyOfd(ok.subarray(0, ok.length - 10)))).toBe('ERR_INPUT_INVALID');
    const xxe = zipSync({ 'OFD.xml': strToU8('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><ofd:OFD>&e;</ofd:OFD>') });
    expect(code(() => verifyOfd(xxe))).toBe('ERR_INPUT_INVALID');
    expect(code(() => verifyOfd(zipSync({ 'Doc_0/x.xml': strToU8('<a/>') })))).toBe('ERR_INPUT_INVALID');
  });

  it('a reference that escapes the package is a failure, not a read outside it', () => {
    const files = new Map<string, Uint8Array>();
    files.set('OFD.xml', strToU8('<ofd:OFD xmlns:ofd="x"><ofd:DocBody><ofd:Signatures>S/Signatures.xml</ofd:Signatures></ofd:DocBody></ofd:OFD>'));
    files.set('S/Signatures.xml', strToU8('<ofd:Signatures xmlns:ofd="x"><ofd:Signature ID="1" BaseLoc="Sig.xml"/></ofd:Signatures>'));
    files.set('S/Sig.xml', strToU8('<ofd:Signature xmlns:ofd="x"><ofd:SignedInfo><ofd:References><ofd:Reference FileRef="../../../etc/passwd"><ofd:CheckValue>AAAA</ofd:CheckValue></ofd:Reference></ofd:References></ofd:SignedInfo><ofd:SignedValue>v.dat</ofd:SignedValue></ofd:Signature>'));
    files.set('S/v.dat', Uint8Array.of(0x30, 0x00));
    const r = verifyOfd(rezip(files));
    expect(r.indication).toBe('TOTAL_FAILED');
  });
});
