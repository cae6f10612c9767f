/**
 * Generates the DEV ONLY public-key infrastructure in certs-dev/ (`pnpm dev-pki`):
 *   root CA (RSA-3072) ─┬─ Agency Seal CA (ECDSA P-384) ─┬─ seal certificates, two agencies × RSA-2048 / ECDSA P-256
 *                       │                                └─ OCSP responder (EKU OCSPSigning, ocsp-nocheck)
 *                       └─ TSA (EKU timeStamping, critical)
 * Keys are written as PKCS#8 PEM, and seal keys also as PKCS#12 (password `dev-only`).
 * Validity runs to 2099 so the tests keep passing for decades; verifiers take the validation
 * time as a parameter anyway. CRL and OCSP URLs point at the local API (127.0.0.1:8080).
 */
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { webcrypto } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as x509 from '@peculiar/x509';

type CryptoKeyPair = webcrypto.CryptoKeyPair;
type RsaHashedKeyGenParams = webcrypto.RsaHashedKeyGenParams;
type EcKeyGenParams = webcrypto.EcKeyGenParams;
const crypto = webcrypto;
// x509's types name the DOM Crypto; node's webcrypto is that object at run time.
x509.cryptoProvider.set(crypto as unknown as NonNullable<Parameters<typeof x509.X509CertificateGenerator.create>[1]>);

const OUT = resolve(process.argv[2] ?? join(import.meta.dirname, '..', 'certs-dev'));
const BASE_URL = 'http://127.0.0.1:8080';
const SEAL_CA_ID = 'seal-ca';
const P12_PASSWORD = 'dev-only';
const NOT_BEFORE = new Date('2024-01-01T00:00:00Z');
const CA_NOT_AFTER = new Date('2124-01-01T00:00:00Z');
const LEAF_NOT_AFTER = new Date('2099-12-31T23:59:59Z');

type Alg = RsaHashedKeyGenParams | EcKeyGenParams;
const RSA = (bits: number): RsaHashedKeyGenParams => ({
  name: 'RSASSA-PKCS1-v1_5',
  modulusLength: bits,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: 'SHA-256',
});
const EC = (namedCurve: string): EcKeyGenParams => ({ name: 'ECDSA', namedCurve });

interface Issued {
  name: string;
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
}

function signingAlgorithm(keys: CryptoKeyPair): webcrypto.Algorithm | webcrypto.EcdsaParams {
  return keys.privateKey.algorithm.name === 'ECDSA' ? { name: 'ECDSA', hash: 'SHA-384' } : { name: 'RSASSA-PKCS1-v1_5' };
}

function randomSerial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0]! & 0x7f) | 0x10; // positive, no leading zero byte
  return Buffer.from(bytes).toString('hex');
}

async function issue(
  name: string,
  subject: string,
  alg: Alg,
  issuer: Issued | null,
  extensions: (keys: CryptoKeyPair) => Promise<x509.Extension[]>,
  notAfter: Date,
): Promise<Issued> {
  const keys = (await crypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const exts = await extensions(keys);
  exts.push(await x509.SubjectKeyIdentifierExtension.create(keys.publicKey));
  if (issuer) exts.push(await x509.AuthorityKeyIdentifierExtension.create(issuer.cert));
  const signer = issuer?.keys ?? keys;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject,
    issuer: issuer?.cert.subject ?? subject,
    notBefore: NOT_BEFORE,
    notAfter,
    publicKey: keys.publicKey,
    signingKey: signer.privateKey,
    signingAlgorithm: signingAlgorithm(signer),
    extensions: exts,
  });
  return { name, cert, keys };
}

const KU = x509.KeyUsageFlags;

async function write(item: Issued, chain: Issued[]): Promise<void> {
  const pkcs8 = await crypto.subtle.exportKey('pkcs8', item.keys.privateKey);
  const keyPem = x509.PemConverter.encode(pkcs8, 'PRIVATE KEY');
  writeFileSync(join(OUT, `${item.name}.pem`), item.cert.toString('pem') + '\n');
  writeFileSync(join(OUT, `${item.name}.key.pem`), keyPem + '\n', { mode: 0o600 });
  if (chain.length > 0) {
    // PKCS#12 as OpenSSL 3 writes it by default (PBES2/AES-256-CBC, PBKDF2, HMAC-SHA256 MAC).
    const tmp = join(tmpdir(), `dev-pki-${process.pid}-${item.name}`);
    mkdirSync(tmp, { recursive: true });
    writeFileSync(join(tmp, 'chain.pem'), chain.map((c) => c.cert.toString('pem')).join('\n') + '\n');
    execFileSync('openssl', [
      'pkcs12', '-export',
      '-in', join(OUT, `${item.name}.pem`),
      '-inkey', join(OUT, `${item.name}.key.pem`),
      '-certfile', join(tmp, 'chain.pem'),
      '-name', item.name,
      '-passout', `pass:${P12_PASSWORD}`,
      '-out', join(OUT, `${item.name}.p12`),
    ]);
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });

  const root = await issue(
    'root-ca',
    'CN=Seal Service DEV Root CA, O=Seal Service DEV ONLY, C=CN',
    RSA(3072),
    null,
    async () => [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(KU.keyCertSign | KU.cRLSign, true),
    ],
    CA_NOT_AFTER,
  );
  const sealCa = await issue(
    SEAL_CA_ID,
    'CN=Agency Seal CA DEV, O=Seal Service DEV ONLY, C=CN',
    EC('P-384'),
    root,
    async () => [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(KU.keyCertSign | KU.cRLSign, true),
    ],
    new Date('2123-01-01T00:00:00Z'),
  );
  const ocsp = await issue(
    'ocsp',
    'CN=Agency Seal CA DEV OCSP Responder, O=Seal Service DEV ONLY, C=CN',
    EC('P-256'),
    sealCa,
    async () => [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(KU.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.ocspSigning], false),
      // id-pkix-ocsp-nocheck: clients need not check the responder's own revocation status.
      new x509.Extension('1.3.6.1.5.5.7.48.1.5', false, new Uint8Array([0x05, 0x00])),
    ],
    LEAF_NOT_AFTER,
  );
  const tsa = await issue(
    'tsa',
    'CN=Seal Service DEV Time Stamping Authority, O=Seal Service DEV ONLY, C=CN',
    RSA(2048),
    root,
    async () => [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(KU.digitalSignature | KU.nonRepudiation, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.timeStamping], true),
    ],
    LEAF_NOT_AFTER,
  );

  const sealExtensions = async (): Promise<x509.Extension[]> => [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(KU.digitalSignature | KU.nonRepudiation, true),
    new x509.CRLDistributionPointsExtension([`${BASE_URL}/v1/crl/${SEAL_CA_ID}`]),
    new x509.AuthorityInfoAccessExtension({ ocsp: [`${BASE_URL}/v1/ocsp`] }),
  ];
  const agencies = [
    { id: 'agency-a', name: 'Demo City Market Supervision Bureau' },
    { id: 'agency-b', name: 'Demo Province Civil Affairs Department' },
  ];
  const seals: Issued[] = [];
  for (const agency of agencies) {
    for (const [suffix, alg, label] of [
      ['rsa', RSA(2048), 'RSA'],
      ['ec', EC('P-256'), 'ECDSA'],
    ] as const) {
      seals.push(
        await issue(
          `${agency.id}-${suffix}`,
          `CN=${agency.name} Official Seal (${label}), O=${agency.name}, C=CN`,
          alg,
          sealCa,
          sealExtensions,
          LEAF_NOT_AFTER,
        ),
      );
    }
  }

  await write(root, []);
  await write(sealCa, []);
  await write(ocsp, []);
  await write(tsa, []);
  for (const seal of seals) await write(seal, [sealCa, root]);
  writeFileSync(join(OUT, 'chain.pem'), `${sealCa.cert.toString('pem')}\n${root.cert.toString('pem')}\n`);
  writeFileSync(join(OUT, 'README.md'), README);
  process.stdout.write(`dev PKI written to ${OUT}\n`);
}

const README = `# DEV ONLY — never trust these certificates outside development and tests

Generated by \`pnpm dev-pki\` (scripts/dev-pki.ts). Every private key here is public.

| file | what |
| --- | --- |
| root-ca.pem / .key.pem | Seal Service DEV Root CA, RSA-3072, trust anchor |
| seal-ca.pem / .key.pem | Agency Seal CA DEV, ECDSA P-384, issues seal certificates, signs CRLs |
| ocsp.pem / .key.pem | delegated OCSP responder of the seal CA (EKU OCSPSigning, ocsp-nocheck) |
| tsa.pem / .key.pem | RFC 3161 time-stamping authority (critical EKU timeStamping), issued by the root |
| agency-{a,b}-{rsa,ec}.pem / .key.pem / .p12 | seal certificates: RSA-2048 and ECDSA P-256 for two demo agencies; keyUsage digitalSignature + nonRepudiation; CRL DP and OCSP URLs on http://127.0.0.1:8080 |
| chain.pem | seal-ca + root, for \`--chain\` |

Keys are unencrypted PKCS#8 PEM. The PKCS#12 files use OpenSSL 3's default protection with password \`${P12_PASSWORD}\`.
Validity: 2024-01-01 to 2099 (leaves) and 2123/2124 (CAs).
`;

await main();
