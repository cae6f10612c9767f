import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SealError } from '../errors/index.js';
import { loadSignerFromPem } from '../signer/load-key.js';
import type { Signer } from '../signer/signer.js';
import { createOpensslCliSigner } from '../signer/testing/openssl-cli-signer.js';
import { type LeafName, type TestPki, makeTestPki } from '../signer/testing/openssl-pki.js';
import { type CmsHash, type CmsProfile, createCmsSignature, estimateCmsSize } from './sign.js';

let pki: TestPki;
const signers = new Map<LeafName, Signer>();
beforeAll(() => {
  pki = makeTestPki();
  for (const name of ['rsa', 'p256', 'p384', 'rsa3072'] as const) {
    const l = pki.leaves[name];
    signers.set(name, loadSignerFromPem({ certPem: l.certPem, keyPem: l.keyPem, chainPems: [l.chainPem] }));
  }
});
afterAll(() => pki?.cleanup());

const NODE_HASH: Record<CmsHash, string> = { 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };
let counter = 0;

/** `openssl cms -verify` over the detached content: the verdict of an independent tool. */
function opensslVerify(cms: Uint8Array, content: Uint8Array): { ok: boolean; stderr: string } {
  const n = counter++;
  const sigPath = join(pki.dir, `sig-${n}.der`);
  const dataPath = join(pki.dir, `data-${n}.bin`);
  writeFileSync(sigPath, cms);
  writeFileSync(dataPath, content);
  const r = spawnSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', sigPath, '-content', dataPath,
    '-CAfile', pki.rootsPath, '-purpose', 'any', '-out', '/dev/null']);
  return { ok: r.status === 0, stderr: r.stderr.toString() };
}

function opensslPrint(cms: Uint8Array): string {
  const r = spawnSync('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER'], { input: Buffer.from(cms) });
  expect(r.status).toBe(0);
  return r.stdout.toString();
}

interface Case {
  leaf: LeafName;
  hash: CmsHash;
  profile: CmsProfile;
  rsaScheme?: 'RSA-PKCS1' | 'RSA-PSS';
}

const CASES: Case[] = [
  { leaf: 'rsa', hash: 'SHA-256', profile: 'cades', rsaScheme: 'RSA-PKCS1' },
  { leaf: 'rsa', hash: 'SHA-256', profile: 'cades', rsaScheme: 'RSA-PSS' },
  { leaf: 'rsa3072', hash: 'SHA-384', profile: 'cades', rsaScheme: 'RSA-PSS' },
  { leaf: 'rsa3072', hash: 'SHA-512', profile: 'pkcs7', rsaScheme: 'RSA-PKCS1' },
  { leaf: 'p256', hash: 'SHA-256', profile: 'cades' },
  { leaf: 'p256', hash: 'SHA-512', profile: 'pkcs7' },
  { leaf: 'p384', hash: 'SHA-384', profile: 'cades' },
];

describe('createCmsSignature', () => {
  it.each(CASES)('$leaf $hash $profile $rsaScheme: openssl cms -verify accepts it, and rejects other content', async (c) => {
    const signer = signers.get(c.leaf)!;
    const content = randomBytes(3000);
    const signingTime = new Date('2025-03-04T05:06:07Z');
    const setup = { hash: c.hash, signer, profile: c.profile, signingTime, ...(c.rsaScheme ? { rsaScheme: c.rsaScheme } : {}) };
    const cms = await createCmsSignature({ ...setup, contentDigest: createHash(NODE_HASH[c.hash]).update(content).digest() });

    const good = opensslVerify(cms, content);
    expect(good.stderr).toContain('Verification successful');
    expect(good.ok).toBe(true);
    const tampered = Buffer.from(content);
    tampered[17] = tampered[17]! ^ 1;
    expect(opensslVerify(cms, tampered).ok).toBe(false);

    const printed = opensslPrint(cms);
    expect(printed).toContain('contentType');
    expect(printed).toContain('messageDigest');
    if (c.profile === 'cades') {
      expect(printed).toContain('signingCertificateV2');
      expect(printed).not.toContain('signingTime');
    } else {
      expect(printed).toContain('signingTime');
      expect(printed).toMatch(/UTCTIME:Mar +4 05:06:07 2025 GMT/);
      expect(printed).not.toContain('signingCertificateV2');
    }
    if (c.rsaScheme === 'RSA-PSS') {
      expect(printed).toContain('rsassaPss');
      expect(printed).toMatch(new RegExp(`mgf1[\\s\\S]*${NODE_HASH[c.hash]}`));
    }
    // The whole chain travels: leaf, CA and root.
    expect(printed.match(/cert_info:/g)).toHaveLength(3);

    // The size estimate is an upper bound, tight enough to size /Contents with.
    const estimate = await estimateCmsSize(setup);
    expect(estimate).toBeGreaterThanOrEqual(cms.length);
    expect(estimate - cms.length).toBeLessThanOrEqual(c.leaf.startsWith('rsa') ? 0 : 8);
  });

  it('carries an ESSCertIDv2 whose hash is the hash of the signing certificate', async () => {
    const signer = signers.get('p384')!;
    for (const hash of ['SHA-256', 'SHA-384'] as const) {
      const cms = await createCmsSignature({ hash, signer, profile: 'cades', contentDigest: createHash(NODE_HASH[hash]).update('x').digest() });
      const certHash = createHash(NODE_HASH[hash]).update(signer.certificateChain[0]!).digest();
      expect(Buffer.from(cms).includes(certHash)).toBe(true);
    }
  });

  it.each(['rsa', 'p256'] as const)('signs through an independent Signer (openssl dgst as a child process) for %s', async (leaf) => {
    const l = pki.leaves[leaf];
    const chain = signers.get(leaf)!.certificateChain;
    const cliSigner = createOpensslCliSigner(l.keyPath, chain);
    const content = randomBytes(500);
    for (const rsaScheme of leaf === 'rsa' ? (['RSA-PKCS1', 'RSA-PSS'] as const) : (['RSA-PKCS1'] as const)) {
      const cms = await createCmsSignature({ hash: 'SHA-256', signer: cliSigner, rsaScheme, contentDigest: createHash('sha256').update(content).digest() });
      expect(opensslVerify(cms, content).ok).toBe(true);
      expect(opensslVerify(cms, Buffer.concat([content, Buffer.of(0)])).ok).toBe(false);
    }
  });

  it('is fast: building around the crypto call costs well under a millisecond', async () => {
    // Not a benchmark: a stand-in Signer returning a fixed value isolates the encoder, and the
    // bound is 20x looser than the target so a loaded machine cannot make it flaky.
    const real = signers.get('rsa')!;
    const fixed: Signer = { ...real, certificateChain: real.certificateChain, sign: async () => new Uint8Array(256) };
    const digest = createHash('sha256').update('x').digest();
    await createCmsSignature({ hash: 'SHA-256', signer: fixed, contentDigest: digest });
    const n = 2000;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await createCmsSignature({ hash: 'SHA-256', signer: fixed, contentDigest: digest });
    const perCall = (performance.now() - t0) / n;
    expect(perCall).toBeLessThan(2);
  });

  it('refuses bad input with typed errors', async () => {
    const signer = signers.get('p256')!;
    const wrongLength = createCmsSignature({ hash: 'SHA-384', signer, contentDigest: new Uint8Array(32) });
    await expect(wrongLength).rejects.toBeInstanceOf(SealError);
    await expect(wrongLength).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
    await expect(createCmsSignature({ hash: 'MD5' as CmsHash, signer, contentDigest: new Uint8Array(16) })).rejects.toMatchObject({ code: 'ERR_ALG_UNSUPPORTED' });
    await expect(createCmsSignature({ hash: 'SHA-256', signer, contentDigest: new Uint8Array(32), profile: 'x' as CmsProfile })).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
    await expect(createCmsSignature({ hash: 'SHA-256', signer, rsaScheme: 'RSA-PSS', contentDigest: new Uint8Array(32) })).resolves.toBeInstanceOf(Uint8Array);
    const oversized: Signer = { ...signer, certificateChain: signer.certificateChain, sign: async () => new Uint8Array(200) };
    await expect(createCmsSignature({ hash: 'SHA-256', signer: oversized, contentDigest: new Uint8Array(32) })).rejects.toMatchObject({ code: 'ERR_INTERNAL' });
    const empty: Signer = { ...signer, certificateChain: signer.certificateChain, sign: async () => new Uint8Array(0) };
    await expect(createCmsSignature({ hash: 'SHA-256', signer: empty, contentDigest: new Uint8Array(32) })).rejects.toMatchObject({ code: 'ERR_INTERNAL' });
    const broken: Signer = { ...signer, certificateChain: signer.certificateChain, sign: async () => { throw new Error('driver exploded'); } };
    await expect(createCmsSignature({ hash: 'SHA-256', signer: broken, contentDigest: new Uint8Array(32) })).rejects.toMatchObject({ code: 'ERR_INTERNAL' });
    const unavailable: Signer = { ...signer, certificateChain: signer.certificateChain, sign: async () => { throw new SealError('ERR_KEY_UNAVAILABLE', 'token removed'); } };
    await expect(createCmsSignature({ hash: 'SHA-256', signer: unavailable, contentDigest: new Uint8Array(32) })).rejects.toMatchObject({ code: 'ERR_KEY_UNAVAILABLE' });
    const noCert: Signer = { ...signer, certificateChain: [] };
    await expect(createCmsSignature({ hash: 'SHA-256', signer: noCert, contentDigest: new Uint8Array(32) })).rejects.toMatchObject({ code: 'ERR_CERT_INVALID' });
  });
});
