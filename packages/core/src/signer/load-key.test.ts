import { X509Certificate, verify as cryptoVerify } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TAG, children, concat, contentOf, encodedOf, parseDer, tlv } from '../asn1/der.js';
import { SealError } from '../errors/index.js';
import { checkCertificateUsable, loadSignerFromKeyFiles, loadSignerFromP12, loadSignerFromPem, parsePemCertificates } from './load-key.js';
import type { Signer } from './signer.js';
import { type LeafName, type TestPki, makeTestPki, openssl, opensslText } from './testing/openssl-pki.js';

let pki: TestPki;
beforeAll(() => {
  pki = makeTestPki();
});
afterAll(() => pki?.cleanup());

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof SealError) return err.code;
    throw err;
  }
  return 'no error';
}

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  return '';
}

function pemDer(pem: string): Uint8Array {
  return parsePemCertificates(pem)[0]!;
}

/** The signer signs and the leaf certificate's public key (read by node) verifies it. */
async function expectWorkingSigner(signer: Signer, leaf: LeafName): Promise<void> {
  const cert = new X509Certificate(readFileSync(pki.leaves[leaf].certPath));
  const data = Buffer.from('to be signed');
  const scheme = signer.keyType === 'RSA' ? 'RSA-PKCS1' : 'ECDSA';
  const sig = await signer.sign(data, { scheme, hash: 'SHA-256' });
  expect(cryptoVerify('sha256', data, { key: cert.publicKey, dsaEncoding: 'der' }, sig)).toBe(true);
  // chain: leaf, its CA, the root, in that order
  const chain = signer.certificateChain.map((d) => new X509Certificate(d));
  expect(chain).toHaveLength(3);
  expect(chain[0]!.raw.equals(cert.raw)).toBe(true);
  expect(chain[0]!.checkIssued(chain[1]!)).toBe(true);
  expect(chain[1]!.checkIssued(chain[2]!)).toBe(true);
  expect(chain[2]!.checkIssued(chain[2]!)).toBe(true);
}

const LEAVES: readonly LeafName[] = ['rsa', 'p256', 'p384', 'rsa3072'];

describe('loadSignerFromPem', () => {
  it.each(LEAVES)('loads a PKCS#8 %s key with its chain given root-first (CA of the other key type)', async (leaf) => {
    const l = pki.leaves[leaf];
    const signer = loadSignerFromPem({ certPem: l.certPem, keyPem: l.keyPem, chainPems: [l.rootPem, l.chainPem] });
    expect(signer.keyType).toBe(leaf.startsWith('rsa') ? 'RSA' : 'EC');
    if (leaf === 'p256') expect(signer.curve).toBe('P-256');
    if (leaf === 'p384') expect(signer.curve).toBe('P-384');
    if (leaf === 'rsa3072') expect(signer.keySizeBits).toBe(3072);
    await expectWorkingSigner(signer, leaf);
  });

  it('takes the chain from the certificate PEM itself', async () => {
    const l = pki.leaves.p384;
    const signer = loadSignerFromPem({ certPem: l.certPem + l.chainPem, keyPem: l.keyPem });
    await expectWorkingSigner(signer, 'p384');
  });

  it('reads PKCS#1 (RSA PRIVATE KEY) and SEC1 (EC PRIVATE KEY, with an EC PARAMETERS block) keys', async () => {
    const pkcs1 = openssl(['pkey', '-in', pki.leaves.rsa.keyPath, '-traditional']).toString();
    expect(pkcs1).toContain('BEGIN RSA PRIVATE KEY');
    await expectWorkingSigner(loadSignerFromPem({ certPem: pki.leaves.rsa.certPem, keyPem: pkcs1, chainPems: [pki.leaves.rsa.chainPem] }), 'rsa');

    const sec1 = openssl(['pkey', '-in', pki.leaves.p256.keyPath, '-traditional']).toString();
    expect(sec1).toContain('BEGIN EC PRIVATE KEY');
    const params = openssl(['ecparam', '-name', 'prime256v1']).toString();
    const signer = loadSignerFromPem({ certPem: pki.leaves.p256.certPem, keyPem: params + sec1, chainPems: [pki.leaves.p256.chainPem] });
    await expectWorkingSigner(signer, 'p256');
  });

  it('reads encrypted PKCS#8 (PBES2 AES-256) and legacy encrypted PKCS#1 with the right password only', async () => {
    const enc = openssl(['pkcs8', '-topk8', '-in', pki.leaves.rsa.keyPath, '-v2', 'aes-256-cbc', '-passout', 'pass:s3cret pw']).toString();
    expect(enc).toContain('BEGIN ENCRYPTED PRIVATE KEY');
    const base = { certPem: pki.leaves.rsa.certPem, chainPems: [pki.leaves.rsa.chainPem] };
    await expectWorkingSigner(loadSignerFromPem({ ...base, keyPem: enc, keyPassword: 's3cret pw' }), 'rsa');
    expect(codeOf(() => loadSignerFromPem({ ...base, keyPem: enc, keyPassword: 'wrong' }))).toBe('ERR_KEY_PASSWORD');
    expect(codeOf(() => loadSignerFromPem({ ...base, keyPem: enc }))).toBe('ERR_KEY_PASSWORD');
    expect(messageOf(() => loadSignerFromPem({ ...base, keyPem: enc, keyPassword: 'wrong-Pa55' }))).not.toContain('wrong-Pa55');

    const legacy = openssl(['rsa', '-in', pki.leaves.rsa.keyPath, '-aes256', '-traditional', '-passout', 'pass:pw2']).toString();
    expect(legacy).toContain('Proc-Type: 4,ENCRYPTED');
    await expectWorkingSigner(loadSignerFromPem({ ...base, keyPem: legacy, keyPassword: 'pw2' }), 'rsa');
    expect(codeOf(() => loadSignerFromPem({ ...base, keyPem: legacy, keyPassword: 'nope' }))).toBe('ERR_KEY_PASSWORD');

    const ecEnc = openssl(['pkcs8', '-topk8', '-in', pki.leaves.p384.keyPath, '-v2', 'aes-128-cbc', '-passout', 'pass:ec']).toString();
    await expectWorkingSigner(loadSignerFromPem({ certPem: pki.leaves.p384.certPem, keyPem: ecEnc, keyPassword: 'ec', chainPems: [pki.leaves.p384.chainPem] }), 'p384');
  });

  it('also reads DER key and certificate files (PKCS#8, encrypted PKCS#8, PKCS#1, SEC1)', async () => {
    const rsa = pki.leaves.rsa;
    const certDer = openssl(['x509', '-in', rsa.certPath, '-outform', 'DER']);
    const base = { certPem: certDer, chainPems: [rsa.chainPem] };
    await expectWorkingSigner(loadSignerFromPem({ ...base, keyPem: openssl(['pkey', '-in', rsa.keyPath, '-outform', 'DER']) }), 'rsa');
    await expectWorkingSigner(loadSignerFromPem({ ...base, keyPem: openssl(['rsa', '-in', rsa.keyPath, '-outform', 'DER', '-traditional']) }), 'rsa');
    const encDer = openssl(['pkcs8', '-topk8', '-in', rsa.keyPath, '-outform', 'DER', '-v2', 'aes-256-cbc', '-passout', 'pass:pw']);
    await expectWorkingSigner(loadSignerFromPem({ ...base, keyPem: encDer, keyPassword: 'pw' }), 'rsa');
    expect(codeOf(() => loadSignerFromPem({ ...base, keyPem: encDer, keyPassword: 'nope' }))).toBe('ERR_KEY_PASSWORD');
    const ec = pki.leaves.p384;
    const sec1Der = openssl(['ec', '-in', ec.keyPath, '-outform', 'DER']);
    await expectWorkingSigner(loadSignerFromPem({ certPem: ec.certPem, keyPem: sec1Der, chainPems: [ec.chainPem] }), 'p384');
    const p256 = pki.leaves.p256;
    const small = openssl(['ec', '-in', p256.keyPath, '-outform', 'DER']);
    expect(small.length).toBeLessThan(128);
    await expectWorkingSigner(loadSignerFromPem({ certPem: p256.certPem, keyPem: small, chainPems: [p256.chainPem] }), 'p256');
    expect(codeOf(() => loadSignerFromPem({ ...base, keyPem: Uint8Array.of(0x30, 0x82, 0x01, 0x00, 0x02) }))).toBe('ERR_KEY_INVALID');
  });

  it('refuses a key that does not belong to the certificate with ERR_KEY_MISMATCH', () => {
    expect(codeOf(() => loadSignerFromPem({ certPem: pki.leaves.rsa.certPem, keyPem: pki.leaves.p256.keyPem }))).toBe('ERR_KEY_MISMATCH');
    expect(codeOf(() => loadSignerFromPem({ certPem: pki.leaves.rsa.certPem, keyPem: pki.leaves.rsa3072.keyPem }))).toBe('ERR_KEY_MISMATCH');
    expect(codeOf(() => loadSignerFromPem({ certPem: pki.leaves.p256.certPem, keyPem: pki.leaves.p384.keyPem }))).toBe('ERR_KEY_MISMATCH');
  });

  it('refuses unreadable keys and certificates with typed errors, never echoing key material', () => {
    const l = pki.leaves.rsa;
    expect(codeOf(() => loadSignerFromPem({ certPem: l.certPem, keyPem: 'not a key' }))).toBe('ERR_KEY_INVALID');
    const truncated = l.keyPem.replace(/\n[A-Za-z0-9+/]{64}\n/, '\n');
    expect(codeOf(() => loadSignerFromPem({ certPem: l.certPem, keyPem: truncated }))).toBe('ERR_KEY_INVALID');
    expect(messageOf(() => loadSignerFromPem({ certPem: l.certPem, keyPem: truncated }))).not.toMatch(/[A-Za-z0-9+/]{40}/);
    expect(codeOf(() => loadSignerFromPem({ certPem: 'nothing here', keyPem: l.keyPem }))).toBe('ERR_CERT_INVALID');
    const badCert = '-----BEGIN CERTIFICATE-----\nMIIBAAAA\n-----END CERTIFICATE-----\n';
    expect(codeOf(() => loadSignerFromPem({ certPem: badCert, keyPem: l.keyPem }))).toBe('ERR_CERT_INVALID');
    const encTruncated = '-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQI\n-----END ENCRYPTED PRIVATE KEY-----\n';
    expect(codeOf(() => loadSignerFromPem({ certPem: l.certPem, keyPem: encTruncated, keyPassword: 'x' }))).toBe('ERR_KEY_INVALID');
  });
});

describe('loadSignerFromP12', () => {
  function p12(leaf: LeafName, extra: readonly string[], password = 'dev-only'): Uint8Array {
    const l = pki.leaves[leaf];
    const chainPath = join(pki.dir, `${leaf}-chain.pem`);
    writeFileSync(chainPath, l.chainPem);
    return openssl(['pkcs12', '-export', '-in', l.certPath, '-inkey', l.keyPath, '-certfile', chainPath, '-passout', `pass:${password}`, ...extra]);
  }

  it.each(LEAVES)('reads an OpenSSL 3 default PKCS#12 (PBES2/AES-256-CBC, HMAC-SHA256) holding a %s key', async (leaf) => {
    const bytes = p12(leaf, []);
    const details = opensslText(['pkcs12', '-info', '-noout', '-passin', 'pass:dev-only'], bytes);
    expect(details).toContain('MAC: sha256');
    expect(details).toContain('PBES2, PBKDF2, AES-256-CBC');
    await expectWorkingSigner(loadSignerFromP12(bytes, 'dev-only'), leaf);
  });

  it.each(['rsa', 'p256'] as const)('reads a legacy PKCS#12 (3DES key, RC2-40 certificates, SHA-1 MAC) holding a %s key', async (leaf) => {
    const bytes = p12(leaf, ['-legacy']);
    const details = opensslText(['pkcs12', '-legacy', '-info', '-noout', '-passin', 'pass:dev-only'], bytes);
    expect(details).toContain('MAC: sha1');
    expect(details).toContain('pbeWithSHA1And40BitRC2-CBC');
    expect(details).toContain('pbeWithSHA1And3-KeyTripleDES-CBC');
    await expectWorkingSigner(loadSignerFromP12(bytes, 'dev-only'), leaf);
  });

  it('reads PKCS#12 variants: AES-128 with a SHA-1 MAC, 3DES everywhere, and unencrypted bags', async () => {
    await expectWorkingSigner(loadSignerFromP12(p12('p384', ['-keypbe', 'aes-128-cbc', '-certpbe', 'aes-128-cbc', '-macalg', 'sha1']), 'dev-only'), 'p384');
    await expectWorkingSigner(loadSignerFromP12(p12('rsa', ['-keypbe', 'PBE-SHA1-3DES', '-certpbe', 'PBE-SHA1-3DES']), 'dev-only'), 'rsa');
    await expectWorkingSigner(loadSignerFromP12(p12('p256', ['-keypbe', 'NONE', '-certpbe', 'NONE']), 'dev-only'), 'p256');
  });

  it('reads a PKCS#12 exported by NSS pk12util (PBES2 AES-256/AES-128, 600,000 rounds, SHA-256 MAC)', async () => {
    const db = join(pki.dir, 'nssdb');
    const p12In = join(pki.dir, 'for-nss.p12');
    writeFileSync(p12In, p12('p256', ['-name', 'seal']));
    const nss = (cmd: string, args: string[]): void => {
      const r = spawnSync(cmd, args);
      if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr.toString()}${r.stdout.toString()}`);
    };
    nss('mkdir', ['-p', db]);
    nss('certutil', ['-N', '-d', `sql:${db}`, '--empty-password']);
    nss('pk12util', ['-i', p12In, '-d', `sql:${db}`, '-W', 'dev-only']);
    const out = join(pki.dir, 'from-nss.p12');
    nss('pk12util', ['-o', out, '-n', 'seal', '-d', `sql:${db}`, '-W', 'nss pw']);
    const info = opensslText(['pkcs12', '-info', '-noout', '-passin', 'pass:nss pw', '-in', out]);
    expect(info).toContain('Iteration 600000');
    await expectWorkingSigner(loadSignerFromP12(readFileSync(out), 'nss pw'), 'p256');
  });

  it('reads BER (indefinite lengths, a constructed OCTET STRING in pieces) as Windows and Java write it', async () => {
    const der = p12('rsa', []);
    const pfx = children(parseDer(der));
    const [version, authSafe, macData] = pfx;
    const [ctype, wrapped] = children(authSafe!);
    const octets = contentOf(children(wrapped!)[0]!);
    const pieces: Uint8Array[] = [];
    for (let i = 0; i < octets.length; i += 1000) pieces.push(tlv(TAG.OCTET_STRING, octets.subarray(i, i + 1000)));
    const eoc = Uint8Array.of(0, 0);
    const indefinite = (tag: number, ...parts: Uint8Array[]): Uint8Array => concat([Uint8Array.of(tag, 0x80), ...parts, eoc]);
    const ber = indefinite(0x30, encodedOf(version!), indefinite(0x30, encodedOf(ctype!), indefinite(0xa0, indefinite(0x24, ...pieces))), encodedOf(macData!));
    expect(() => parseDer(ber)).toThrow(); // not DER any more
    await expectWorkingSigner(loadSignerFromP12(ber, 'dev-only', { chainPems: [pki.leaves.rsa.chainPem] }), 'rsa');
    expect(codeOf(() => loadSignerFromP12(ber, 'wrong'))).toBe('ERR_KEY_PASSWORD');
  });

  it('takes missing chain certificates from chainPems', async () => {
    const l = pki.leaves.rsa;
    const bytes = openssl(['pkcs12', '-export', '-in', l.certPath, '-inkey', l.keyPath, '-passout', 'pass:pw']);
    expect(loadSignerFromP12(bytes, 'pw').certificateChain).toHaveLength(1);
    await expectWorkingSigner(loadSignerFromP12(bytes, 'pw', { chainPems: [l.chainPem] }), 'rsa');
  });

  it('wrong password: ERR_KEY_PASSWORD, for modern and legacy files, without echoing it', () => {
    const modern = p12('rsa', []);
    const legacy = p12('p256', ['-legacy']);
    expect(codeOf(() => loadSignerFromP12(modern, 'dev-only!'))).toBe('ERR_KEY_PASSWORD');
    expect(codeOf(() => loadSignerFromP12(legacy, ''))).toBe('ERR_KEY_PASSWORD');
    expect(messageOf(() => loadSignerFromP12(modern, 'Hunter2-secret'))).not.toContain('Hunter2');
  });

  it('refuses files without a key, and garbage, with typed errors', () => {
    const l = pki.leaves.rsa;
    const noKey = openssl(['pkcs12', '-export', '-in', l.certPath, '-nokeys', '-passout', 'pass:pw']);
    expect(codeOf(() => loadSignerFromP12(noKey, 'pw'))).toBe('ERR_KEY_INVALID');
    expect(codeOf(() => loadSignerFromP12(new TextEncoder().encode('hello'), 'pw'))).toBe('ERR_KEY_INVALID');
    expect(codeOf(() => loadSignerFromP12(new Uint8Array(0), 'pw'))).toBe('ERR_KEY_INVALID');
  });

  it('fails closed on corrupted files: every outcome is a Signer or a typed SealError', () => {
    const bytes = p12('p256', []);
    const allowed = new Set(['ERR_KEY_INVALID', 'ERR_KEY_PASSWORD', 'ERR_KEY_MISMATCH', 'ERR_CERT_INVALID', 'ERR_ALG_UNSUPPORTED']);
    fc.assert(
      fc.property(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), fc.boolean(), (pos, xor, truncate) => {
        const mutated = truncate ? bytes.slice(0, pos) : Uint8Array.from(bytes);
        if (!truncate) mutated[pos] = mutated[pos]! ^ xor;
        try {
          loadSignerFromP12(mutated, 'dev-only');
        } catch (err) {
          expect(err).toBeInstanceOf(SealError);
          expect(allowed.has((err as SealError).code)).toBe(true);
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('loadSignerFromKeyFiles', () => {
  it('loads --cert/--key and --p12 files and reports a missing file as ERR_INPUT_INVALID', async () => {
    const l = pki.leaves.p256;
    const chainPath = join(pki.dir, 'p256-chainfile.pem');
    writeFileSync(chainPath, l.chainPem);
    await expectWorkingSigner(loadSignerFromKeyFiles({ cert: l.certPath, key: l.keyPath }, [chainPath]), 'p256');
    const p12Path = join(pki.dir, 'p256.p12');
    writeFileSync(p12Path, openssl(['pkcs12', '-export', '-in', l.certPath, '-inkey', l.keyPath, '-certfile', chainPath, '-passout', 'pass:x']));
    await expectWorkingSigner(loadSignerFromKeyFiles({ p12: p12Path, password: 'x' }), 'p256');
    expect(codeOf(() => loadSignerFromKeyFiles({ p12: join(pki.dir, 'missing.p12'), password: 'x' }))).toBe('ERR_INPUT_INVALID');
  });
});

describe('checkCertificateUsable', () => {
  it('accepts a time inside the validity and refuses one before or after it with ERR_CERT_EXPIRED', () => {
    const der = pemDer(pki.leaves.rsa.certPem);
    const cert = new X509Certificate(der);
    expect(() => checkCertificateUsable(der, new Date())).not.toThrow();
    expect(codeOf(() => checkCertificateUsable(der, new Date(Date.parse(cert.validTo) + 1000)))).toBe('ERR_CERT_EXPIRED');
    expect(codeOf(() => checkCertificateUsable(der, new Date(Date.parse(cert.validFrom) - 1000)))).toBe('ERR_CERT_EXPIRED');
    expect(() => checkCertificateUsable(der, new Date(Date.parse(cert.validTo)))).not.toThrow();
    expect(new SealError('ERR_CERT_EXPIRED', 'x').exitCode).toBe(65);
  });

  it('refuses an unreadable certificate with ERR_CERT_INVALID', () => {
    expect(codeOf(() => checkCertificateUsable(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01), new Date()))).toBe('ERR_CERT_INVALID');
  });
});

describe('the committed dev PKI (certs-dev/, made by pnpm dev-pki)', () => {
  const devDir = fileURLToPath(new URL('../../../../certs-dev', import.meta.url));
  it.each(['agency-a-rsa', 'agency-a-ec', 'agency-b-rsa', 'agency-b-ec'])('loads %s from PKCS#12 and from PEM into the same signer, with the full chain', (name) => {
    const fromP12 = loadSignerFromP12(readFileSync(join(devDir, `${name}.p12`)), 'dev-only', { chainPems: [readFileSync(join(devDir, 'chain.pem'))] });
    const fromPem = loadSignerFromKeyFiles({ cert: join(devDir, `${name}.pem`), key: join(devDir, `${name}.key.pem`) }, [join(devDir, 'chain.pem')]);
    expect(fromP12.certificateChain).toHaveLength(3);
    expect(fromPem.certificateChain.map((c) => Buffer.from(c).toString('hex'))).toEqual(fromP12.certificateChain.map((c) => Buffer.from(c).toString('hex')));
    expect(fromP12.keyType).toBe(name.endsWith('rsa') ? 'RSA' : 'EC');
    expect(() => checkCertificateUsable(fromP12.certificateChain[0]!, new Date('2030-01-01T00:00:00Z'))).not.toThrow();
    // openssl agrees the chain leads to the dev root
    const leafPath = join(pki.dir, `${name}-leaf.pem`);
    writeFileSync(leafPath, readFileSync(join(devDir, `${name}.pem`)));
    const out = opensslText(['verify', '-CAfile', join(devDir, 'root-ca.pem'), '-untrusted', join(devDir, 'chain.pem'), leafPath]);
    expect(out).toContain(': OK');
  });
});
