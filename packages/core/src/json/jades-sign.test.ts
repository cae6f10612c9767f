// signJson and its Signer: r||s asked for (SignRequest.dsaEncoding), DER accepted, ambiguous
// outputs settled by verification, and the reused signing-input buffers.
import { createECDH, createHash, createPrivateKey, createPublicKey, randomBytes, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as jose from 'jose';
import { describe, expect, it } from 'vitest';
import { certificatesFromPemOrDer } from '../pki/index.js';
import { createSoftwareSigner } from '../signer/software.js';
import type { SignRequest, Signer } from '../signer/signer.js';
import { encodeBase64url } from './base64url.js';
import { signJson } from './jades-sign.js';
import { verifyJson } from './jades-verify.js';
import { ecdsaDerToRaw, ecdsaOutputToRaw } from './jws-algs.js';
import { borrowSigningInput, releaseSigningInput } from './jws-sign.js';

const devDir = fileURLToPath(new URL('../../../../certs-dev', import.meta.url));
const dev = (f: string): Buffer => readFileSync(`${devDir}/${f}`);
const key = createPrivateKey(dev('agency-a-ec.key.pem'));
const chain = [...certificatesFromPemOrDer(dev('agency-a-ec.pem')), ...certificatesFromPemOrDer(dev('seal-ca.pem'))];
const rootCa = certificatesFromPemOrDer(dev('root-ca.pem'));
const software = createSoftwareSigner(key, chain);
const doc = '{"licence":"A-17","holder":{"name":"Zoë"},"valid":true}';

/** A Signer built on the software one that sees every request and may change what it returns. */
function wrap(sign: (tbs: Uint8Array, request: SignRequest) => Promise<Uint8Array>): Signer {
  return { keyType: software.keyType, curve: software.curve, keySizeBits: software.keySizeBits, certificateChain: chain, sign };
}

async function joseVerifies(jws: string): Promise<boolean> {
  const [h] = jws.split('.');
  const header = JSON.parse(Buffer.from(h!, 'base64url').toString()) as { x5c: string[] };
  const pub = await jose.importX509(`-----BEGIN CERTIFICATE-----\n${header.x5c[0]!}\n-----END CERTIFICATE-----`, 'ES256');
  try {
    await jose.compactVerify(jws, pub);
    return true;
  } catch {
    return false;
  }
}

// P-256 group order.
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const big = (b: Uint8Array): bigint => BigInt(`0x${Buffer.from(b).toString('hex') || '0'}`);
const bytes32 = (v: bigint): Buffer => Buffer.from(v.toString(16).padStart(64, '0'), 'hex');
function inverse(a: bigint, m: bigint): bigint {
  let [r0, r1, t0, t1] = [((a % m) + m) % m, m, 1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [t0, t1] = [t1, t0 - q * t1];
  }
  return ((t0 % m) + m) % m;
}

/**
 * A genuine ES256 signature over `tbs` whose DER form is exactly 64 bytes, the length of r||s:
 * pick the nonce k (r = x(kG) with its top bit set: 33-byte INTEGER), a 25-byte s, and solve
 * s = k^-1 (z + r d) for the private key d. Returns the DER and the public key.
 */
function shortDerSignature(tbs: Uint8Array): { der: Buffer; publicKey: KeyObject } {
  const z = big(createHash('sha256').update(tbs).digest());
  for (;;) {
    const k = big(randomBytes(32)) % N;
    if (k === 0n) continue;
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(bytes32(k));
    const r = big(ecdh.getPublicKey().subarray(1, 33)) % N;
    if (r < 1n << 255n) continue;
    const s = (1n << 192n) + (big(randomBytes(24)) % (1n << 198n));
    const d = (((s * k - z) % N) + N) % N * inverse(r, N) % N;
    if (d === 0n) continue;
    const owner = createECDH('prime256v1');
    owner.setPrivateKey(bytes32(d));
    const q = owner.getPublicKey();
    const publicKey = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: encodeBase64url(q.subarray(1, 33)), y: encodeBase64url(q.subarray(33, 65)) }, format: 'jwk' });
    const der = Buffer.concat([Buffer.from([0x30, 62, 0x02, 33, 0x00]), bytes32(r), Buffer.from([0x02, 25]), Buffer.from(s.toString(16).padStart(50, '0'), 'hex')]);
    return { der, publicKey };
  }
}

describe('ECDSA signer output: r||s asked for, DER accepted', () => {
  const tbs = new TextEncoder().encode('eyJhbGciOiJFUzI1NiJ9.e30');

  it('keeps r||s as is and converts DER of any other length', () => {
    const raw = new Uint8Array(64).fill(0x11);
    let asked = 0;
    expect(ecdsaOutputToRaw(raw, 32, () => (asked++, false))).toBe(raw);
    expect(asked).toBe(0); // not DER-shaped: no verification needed
    const der = Buffer.from('3045022100' + 'ab'.repeat(32) + '0220' + '0c'.repeat(32), 'hex');
    expect(Buffer.from(ecdsaOutputToRaw(der, 32, () => false)).toString('hex')).toBe('ab'.repeat(32) + '0c'.repeat(32));
    for (const bad of [Buffer.from('3006020101020101ff', 'hex'), new Uint8Array(63), new Uint8Array(65)]) {
      expect(() => ecdsaOutputToRaw(bad, 32, () => true)).toThrow(expect.objectContaining({ code: 'ERR_INTERNAL' }));
    }
  });

  it('settles a 64-byte value that is also strict DER by verifying both readings (a genuine short-DER signature)', () => {
    const { der, publicKey } = shortDerSignature(tbs);
    expect(der.length).toBe(64);
    expect(nodeVerify('sha256', tbs, { key: publicKey, dsaEncoding: 'der' }, der)).toBe(true);
    const tried: string[] = [];
    const verifies = (c: Uint8Array): boolean => {
      tried.push(Buffer.from(c).toString('hex'));
      return nodeVerify('sha256', tbs, { key: publicKey, dsaEncoding: 'ieee-p1363' }, c);
    };
    const raw = ecdsaOutputToRaw(der, 32, verifies);
    expect(Buffer.from(raw).toString('hex')).toBe(Buffer.from(ecdsaDerToRaw(der, 32)).toString('hex'));
    expect(nodeVerify('sha256', tbs, { key: publicKey, dsaEncoding: 'ieee-p1363' }, raw)).toBe(true);
    expect(tried).toEqual([der.toString('hex'), Buffer.from(raw).toString('hex')]);
    // The same bytes taken as r||s are kept when that reading is the one that verifies...
    expect(ecdsaOutputToRaw(der, 32, (c) => c === der)).toBe(der);
    // ...and refused when neither does (another key): never a guess.
    const other = shortDerSignature(tbs).publicKey;
    expect(() => ecdsaOutputToRaw(der, 32, (c) => nodeVerify('sha256', tbs, { key: other, dsaEncoding: 'ieee-p1363' }, c))).toThrow(
      expect.objectContaining({ code: 'ERR_INTERNAL' }),
    );
  });
});

describe('signJson with Signers that honour or ignore dsaEncoding', () => {
  it('asks ECDSA Signers for r||s; the software Signer gives it and the seal verifies (jose, verifyJson)', async () => {
    const requests: SignRequest[] = [];
    const outputs: Uint8Array[] = [];
    const signer = wrap(async (tbs, request) => {
      requests.push(request);
      const out = await software.sign(tbs, request);
      outputs.push(out);
      return out;
    });
    const { jws } = await signJson(doc, { signer });
    expect(requests).toEqual([{ scheme: 'ECDSA', hash: 'SHA-256', dsaEncoding: 'ieee-p1363' }]);
    expect(outputs[0]?.length).toBe(64);
    expect(jws.split('.')[2]).toBe(encodeBase64url(outputs[0]!));
    expect(await joseVerifies(jws)).toBe(true);
    expect((await verifyJson(jws, { trustAnchors: rootCa, revocationPolicy: 'off' })).indication).toBe('TOTAL_PASSED');
  });

  it('accepts DER from a Signer that ignores the field (PKCS#11, SM2 and proxy Signers may)', async () => {
    let der: Uint8Array | undefined;
    const signer = wrap(async (tbs, request) => (der = await software.sign(tbs, { scheme: request.scheme, hash: request.hash })));
    const { jws } = await signJson(doc, { signer });
    expect(der?.[0]).toBe(0x30);
    expect(jws.split('.')[2]).toBe(encodeBase64url(ecdsaDerToRaw(der!, 32)));
    expect(await joseVerifies(jws)).toBe(true);
    expect((await verifyJson(jws, { trustAnchors: rootCa, revocationPolicy: 'off' })).indication).toBe('TOTAL_PASSED');
  });

  it('refuses (ERR_INTERNAL, nothing produced) an output that is neither, or DER-shaped 64 bytes that do not verify', async () => {
    const shortDer = shortDerSignature(new Uint8Array([1])).der; // a real signature, but by another key over other bytes
    for (const out of [new Uint8Array(63), Buffer.from('3006020101020101ff', 'hex'), shortDer]) {
      await expect(signJson(doc, { signer: wrap(async () => out) })).rejects.toMatchObject({ code: 'ERR_INTERNAL' });
    }
  });
});

describe('signing-input buffers are reused only once the Signer is done', () => {
  it('hands a released buffer out again, never one still lent, a detached one or an oversized one', () => {
    const a = borrowSigningInput(4334);
    const b = borrowSigningInput(4334);
    expect(a.buffer).not.toBe(b.buffer);
    expect(a.length).toBe(4334);
    releaseSigningInput(a);
    const c = borrowSigningInput(4000);
    expect(c.buffer).toBe(a.buffer);
    expect(c.length).toBe(4000);
    const d = borrowSigningInput(4334);
    expect(d.buffer).not.toBe(a.buffer);
    expect(d.buffer).not.toBe(b.buffer);
    // A Signer that transferred tbs.buffer: the detached buffer is not taken back.
    structuredClone(d, { transfer: [d.buffer as ArrayBuffer] });
    releaseSigningInput(d);
    const e = borrowSigningInput(4334);
    expect(e.length).toBe(4334);
    expect(e.buffer.byteLength).toBeGreaterThanOrEqual(4334);
    const huge = borrowSigningInput(200_000);
    releaseSigningInput(huge);
    expect(borrowSigningInput(200_000).buffer).not.toBe(huge.buffer);
    for (const x of [b, c, e]) releaseSigningInput(x);
  });

  it('concurrent seals with a slow Signer: every input stays intact until signed, every seal verifies', async () => {
    let changed = 0;
    const signer = wrap(async (tbs, request) => {
      const copy = Buffer.from(tbs);
      await new Promise((r) => setTimeout(r, 1 + Math.floor(Math.random() * 5)));
      if (!copy.equals(tbs)) changed++;
      return software.sign(tbs, request);
    });
    const docs = Array.from({ length: 24 }, (_, i) => JSON.stringify({ n: i, pad: 'p'.repeat(i * 37) }));
    const seals = await Promise.all(docs.map((d) => signJson(d, { signer })));
    expect(changed).toBe(0);
    for (const [i, s] of seals.entries()) {
      expect(await joseVerifies(s.jws)).toBe(true);
      expect(Buffer.from(s.jws.split('.')[1]!, 'base64url').toString()).toBe(docs[i]);
    }
  });

  it('does not reuse the input of a Signer that rejected (it may still be reading it)', async () => {
    let kept: Uint8Array | undefined;
    let snapshot: Buffer | undefined;
    const failing = wrap(async (tbs) => {
      kept = tbs;
      snapshot = Buffer.from(tbs);
      throw new Error('token unplugged');
    });
    await expect(signJson(doc, { signer: failing })).rejects.toThrow('token unplugged');
    for (let i = 0; i < 8; i++) expect(await joseVerifies((await signJson(`{"other":${i}}`, { signer: software })).jws)).toBe(true);
    expect(Buffer.from(kept!).equals(snapshot!)).toBe(true);
  });
});
