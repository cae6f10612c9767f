/**
 * DEV ONLY SM2 PKI for Chinese seals (issue 9), written next to the rest of certs-dev/ by
 * `pnpm dev-pki` (after scripts/dev-pki.ts) or alone with `pnpm dev-pki-sm2 [DIR]`:
 *   sm2-ca.pem / .key.pem               Seal Service DEV SM2 CA (self-signed, SM2-with-SM3): the
 *                                       registry's SM2 issuing CA (openRegistry option `sm2.ca`)
 *   sm2-seal-maker.pem / .key.pem       the seal maker, issued by the SM2 CA: signs the v4 SES_Seal
 *                                       of every SM2 seal (`sm2.sealMaker`)
 *   agency-a-sm2.pem / .key.pem         an SM2 seal certificate for demos (`seal pdf sign --cert
 *                                       certs-dev/agency-a-sm2.pem --key certs-dev/agency-a-sm2.key.pem`)
 * Keys are unencrypted PKCS#8 PEM (id-ecPublicKey on curve 1.2.156.10197.1.301). Every private
 * key here is public: never use them outside development and tests.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { createSm2Signer, generateSm2KeyPair, issueSm2Certificate, sm2CertificateToPem } from '../packages/core/src/cn/index.js';

const OUT = resolve(process.argv[2] ?? join(import.meta.dirname, '..', 'certs-dev'));
const NOT_BEFORE = new Date('2024-01-01T00:00:00Z');
const CA_NOT_AFTER = new Date('2124-01-01T00:00:00Z');
const LEAF_NOT_AFTER = new Date('2099-12-31T23:59:59Z');

function write(name: string, certDer: Uint8Array, key: KeyObject): void {
  writeFileSync(join(OUT, `${name}.pem`), sm2CertificateToPem(certDer));
  writeFileSync(join(OUT, `${name}.key.pem`), key.export({ type: 'pkcs8', format: 'pem' }) as string, { mode: 0o600 });
}

const README_SECTION = `
## SM2 (Chinese seals, scripts/dev-pki-sm2.ts)

| file | what |
| --- | --- |
| sm2-ca.pem / .key.pem | Seal Service DEV SM2 CA, self-signed SM2-with-SM3: the registry's SM2 issuing CA |
| sm2-seal-maker.pem / .key.pem | seal maker issued by the SM2 CA: signs the v4 SES_Seal of SM2 seals |
| agency-a-sm2.pem / .key.pem | SM2 seal certificate for demos (Agency A), issued by the SM2 CA |

SM2 keys are unencrypted PKCS#8 PEM. Validity: 2024-01-01 to 2099 (leaves), 2124 (CA).
`;

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const caKey = generateSm2KeyPair();
  const caCert = await issueSm2Certificate({
    subject: 'CN=Seal Service DEV SM2 CA, O=Seal Service DEV, C=CN',
    publicKey: caKey.publicKey,
    issuer: createSm2Signer(caKey.privateKey, []),
    notBefore: NOT_BEFORE,
    notAfter: CA_NOT_AFTER,
    ca: true,
  });
  const ca = createSm2Signer(caKey.privateKey, [caCert]);
  write('sm2-ca', caCert, caKey.privateKey);
  const makerKey = generateSm2KeyPair();
  const makerCert = await issueSm2Certificate({
    subject: 'CN=Seal Service DEV Seal Maker, O=Seal Service DEV, C=CN',
    publicKey: makerKey.publicKey,
    issuer: ca,
    notBefore: NOT_BEFORE,
    notAfter: LEAF_NOT_AFTER,
  });
  write('sm2-seal-maker', makerCert, makerKey.privateKey);
  const sealKey = generateSm2KeyPair();
  const sealCert = await issueSm2Certificate({
    subject: 'CN=Agency A SM2 seal, O=Agency A, C=CN',
    publicKey: sealKey.publicKey,
    issuer: ca,
    notBefore: NOT_BEFORE,
    notAfter: LEAF_NOT_AFTER,
  });
  write('agency-a-sm2', sealCert, sealKey.privateKey);
  const readme = join(OUT, 'README.md');
  if (!existsSync(readme) || !readFileSync(readme, 'utf8').includes('scripts/dev-pki-sm2.ts')) appendFileSync(readme, README_SECTION);
  process.stdout.write(`SM2 dev PKI written to ${OUT}\n`);
}

await main();
