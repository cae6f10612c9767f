/**
 * Independent checks of our Chinese seals with OpenSSL 3's command line: the SM2 signatures of
 * our v4 seals and signatures verify with `openssl pkeyutl -verify -rawin -digest sm3
 * -pkeyopt distid:1234567812345678` over the bytes we say are signed (located with
 * `openssl asn1parse`, not with our decoder), and our SM2 certificates with `openssl verify`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpusOrReport, corpusPath } from '../test-support/corpus.js';
import { signSes } from '../packages/core/src/cn/ses-create.js';
import { certificateToPem } from '../packages/core/src/cn/sm2-cert.js';
import { createSm2TestPki, createTestSesSeal, type Sm2TestPki } from '../packages/core/src/cn/sm2-test-pki.js';

const HAVE_OPENSSL = spawnSync('openssl', ['version']).status === 0;
if (!HAVE_OPENSSL) process.stdout.write('\nNOTICE: openssl not found: the SM2 interop tests were NOT run.\n');

const dir = mkdtempSync(join(tmpdir(), 'cn-openssl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Top-level (depth 1) elements of a DER file as [offset, headerLength, length, tag text]. */
function topElements(file: string): { off: number; hl: number; len: number; what: string }[] {
  const out = execFileSync('openssl', ['asn1parse', '-inform', 'DER', '-in', file], { encoding: 'utf8' });
  const rows: { off: number; hl: number; len: number; what: string }[] = [];
  for (const line of out.split('\n')) {
    const m = /^\s*(\d+):d=1\s+hl=(\d+)\s+l=\s*(\d+)\s+(?:cons|prim):\s+(.*)$/.exec(line);
    if (m) rows.push({ off: Number(m[1]), hl: Number(m[2]), len: Number(m[3]), what: m[4]!.trim() });
  }
  return rows;
}

function pkeyVerify(pubPem: string, data: Uint8Array, sig: Uint8Array): boolean {
  const d = join(dir, `d${Math.random().toString(36).slice(2)}`);
  writeFileSync(`${d}.bin`, data);
  writeFileSync(`${d}.sig`, sig);
  const r = spawnSync('openssl', ['pkeyutl', '-verify', '-rawin', '-digest', 'sm3', '-pubin', '-inkey', pubPem, '-pkeyopt', 'distid:1234567812345678', '-in', `${d}.bin`, '-sigfile', `${d}.sig`], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('Signature Verified Successfully');
}

function pubOf(certDer: Uint8Array, name: string): string {
  const pem = join(dir, `${name}.pem`);
  writeFileSync(pem, certificateToPem(certDer));
  const pub = join(dir, `${name}.pub.pem`);
  execFileSync('openssl', ['x509', '-in', pem, '-pubkey', '-noout', '-out', pub]);
  return pub;
}

/** The BIT STRING content (without the unused-bits octet) of a top-level element. */
function bitStringValue(bytes: Uint8Array, el: { off: number; hl: number; len: number }): Uint8Array {
  return bytes.subarray(el.off + el.hl + 1, el.off + el.hl + el.len);
}

describe.runIf(HAVE_OPENSSL)('our GB/T 38540 v4 objects verify with the OpenSSL SM2 command line', () => {
  let pki: Sm2TestPki;
  let seal: Uint8Array;
  let signature: Uint8Array;
  beforeAll(async () => {
    pki = await createSm2TestPki();
    seal = await createTestSesSeal(pki, { esId: 'INTEROP-1', name: '\u4e92\u64cd\u4f5c\u6d4b\u8bd5\u7ae0', validEnd: new Date('2030-01-01T00:00:00Z') });
    signature = await signSes({ seal, signer: pki.holder, data: new TextEncoder().encode('document'), propertyInfo: 'doc', time: new Date('2026-01-01T00:00:00Z') });
  });

  it('SES_Seal: the maker signature verifies over DER(SES_SealInfo); a changed byte does not', () => {
    const f = join(dir, 'seal.der');
    writeFileSync(f, seal);
    const els = topElements(f);
    expect(els.map((e) => e.what.split(/\s+/)[0])).toEqual(['SEQUENCE', 'OCTET', 'OBJECT', 'BIT']);
    expect(els[2]!.what).toContain('SM2-with-SM3');
    const sealInfo = seal.subarray(els[0]!.off, els[0]!.off + els[0]!.hl + els[0]!.len);
    const sig = bitStringValue(seal, els[3]!);
    const pub = pubOf(pki.makerCert, 'maker');
    expect(pkeyVerify(pub, sealInfo, sig)).toBe(true);
    const bad = Uint8Array.from(sealInfo);
    bad[20]! ^= 1;
    expect(pkeyVerify(pub, bad, sig)).toBe(false);
  });

  it('SES_Signature: the signer signature verifies over DER(TBS_Sign)', () => {
    const f = join(dir, 'sig.der');
    writeFileSync(f, signature);
    const els = topElements(f);
    expect(els.map((e) => e.what.split(/\s+/)[0])).toEqual(['SEQUENCE', 'OCTET', 'OBJECT', 'BIT']);
    const tbs = signature.subarray(els[0]!.off, els[0]!.off + els[0]!.hl + els[0]!.len);
    const sig = bitStringValue(signature, els[3]!);
    const pub = pubOf(pki.holderCert, 'holder');
    expect(pkeyVerify(pub, tbs, sig)).toBe(true);
    expect(pkeyVerify(pubOf(pki.makerCert, 'maker2'), tbs, sig)).toBe(false);
  });

  it('our SM2 certificates verify with openssl verify (distid set), a tampered one does not', () => {
    const root = join(dir, 'root.pem');
    const leaf = join(dir, 'leaf.pem');
    writeFileSync(root, certificateToPem(pki.rootCert));
    writeFileSync(leaf, certificateToPem(pki.holderCert));
    const ok = spawnSync('openssl', ['verify', '-vfyopt', 'distid:1234567812345678', '-CAfile', root, leaf], { encoding: 'utf8' });
    expect(ok.stdout).toContain(': OK');
    const t = Uint8Array.from(pki.holderCert);
    t[t.length - 80]! ^= 1; // inside the TBS extensions, after the key
    const bad = join(dir, 'bad.pem');
    writeFileSync(bad, certificateToPem(t));
    const nok = spawnSync('openssl', ['verify', '-vfyopt', 'distid:1234567812345678', '-CAfile', root, bad], { encoding: 'utf8' });
    expect(nok.status).not.toBe(0);
  });
});

describe.runIf(HAVE_OPENSSL && corpusOrReport('SM2 corpus interop'))('corpus seals: OpenSSL agrees on what the maker signed', () => {
  it('UserV4.esl verifies over DER(sealInfo), UserV1.esl over SEQUENCE{sealInfo, cert, alg}', () => {
    const v4 = new Uint8Array(readFileSync(corpusPath('cn/seal/UserV4.esl')));
    const e4 = topElements(corpusPath('cn/seal/UserV4.esl'));
    const cert4 = v4.subarray(e4[1]!.off + e4[1]!.hl, e4[1]!.off + e4[1]!.hl + e4[1]!.len);
    const pub = pubOf(cert4, 'ofdrw-maker');
    expect(pkeyVerify(pub, v4.subarray(e4[0]!.off, e4[0]!.off + e4[0]!.hl + e4[0]!.len), bitStringValue(v4, e4[3]!))).toBe(true);

    const v1 = new Uint8Array(readFileSync(corpusPath('cn/seal/UserV1.esl')));
    const e1 = topElements(corpusPath('cn/seal/UserV1.esl'));
    expect(e1).toHaveLength(2);
    const signInfo = v1.subarray(e1[1]!.off + e1[1]!.hl, e1[1]!.off + e1[1]!.hl + e1[1]!.len);
    // signInfo = cert OCTET STRING, algorithm OID, signData BIT STRING: split with openssl too.
    const sf = join(dir, 'signinfo.der');
    writeFileSync(sf, v1.subarray(e1[1]!.off, e1[1]!.off + e1[1]!.hl + e1[1]!.len));
    const parts = topElements(sf);
    expect(parts).toHaveLength(3);
    const base = e1[1]!.off;
    const certEl = v1.subarray(base + parts[0]!.off, base + parts[0]!.off + parts[0]!.hl + parts[0]!.len);
    const algEl = v1.subarray(base + parts[1]!.off, base + parts[1]!.off + parts[1]!.hl + parts[1]!.len);
    const sealInfo = v1.subarray(e1[0]!.off, e1[0]!.off + e1[0]!.hl + e1[0]!.len);
    const body = new Uint8Array([...sealInfo, ...certEl, ...algEl]);
    const len = body.length;
    const tbs = new Uint8Array([0x30, 0x82, len >> 8, len & 0xff, ...body]);
    const sig = v1.subarray(base + parts[2]!.off + parts[2]!.hl + 1, base + parts[2]!.off + parts[2]!.hl + parts[2]!.len);
    const pub1 = pubOf(certEl.subarray(parts[0]!.hl), 'ofdrw-maker-v1');
    expect(signInfo.length).toBeGreaterThan(0);
    expect(pkeyVerify(pub1, tbs, sig)).toBe(true);
    expect(pkeyVerify(pub1, sealInfo, sig)).toBe(false);
  });
});
