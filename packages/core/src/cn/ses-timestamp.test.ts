import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../../test-support/corpus.js';
import { loadSignerFromPem } from '../signer/load-key.js';
import { createTimestampAuthority } from '../tsa/authority.js';
import { STRICT_TREE, bitStringBytes, children, ctx, encodedOf, parseDer, seq } from '../asn1/der.js';
import { createSesSeal, signSes } from './ses-create.js';
import { decodeSesSignature } from './ses-decode.js';
import { verifySesSignature } from './ses-verify.js';
import { parseCertificate } from './sm2-cert.js';
import { createSm2TestPki, type Sm2TestPki } from './sm2-test-pki.js';

const CERTS = join(PROJECT_ROOT, 'certs-dev');
const dir = mkdtempSync(join(tmpdir(), 'ses-ts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SES_Signature with an RFC 3161 time-stamp', () => {
  let pki: Sm2TestPki;
  let sig: Uint8Array;
  const data = new TextEncoder().encode('time-stamped data');
  const at = new Date('2025-06-01T00:00:00Z');
  const devRoot = () => parseCertificate(readFileSync(join(CERTS, 'root-ca.pem'), 'utf8'));

  beforeAll(async () => {
    pki = await createSm2TestPki();
    const seal = await createSesSeal({
      maker: pki.maker,
      esId: 'TS-1',
      name: 'time-stamp test seal',
      sealCertificates: [pki.holderCert],
      picture: { type: 'PNG', data: Uint8Array.of(1), width: 40, height: 40 },
      validStart: new Date('2025-01-01T00:00:00Z'),
      validEnd: new Date('2099-01-01T00:00:00Z'),
    });
    const tsaSigner = loadSignerFromPem({
      certPem: readFileSync(join(CERTS, 'tsa.pem'), 'utf8'),
      keyPem: readFileSync(join(CERTS, 'tsa.key.pem'), 'utf8'),
      chainPems: [readFileSync(join(CERTS, 'root-ca.pem'), 'utf8')],
    });
    const tsa = createTimestampAuthority({ signer: tsaSigner, policyOid: '1.3.6.1.4.1.99999.1.1' });
    sig = await signSes({ seal, signer: pki.holder, data, propertyInfo: 'p', time: at, timestamper: tsa.timestamper });
  });

  it('carries a token over the signature value that openssl ts -verify accepts', () => {
    const d = decodeSesSignature(sig);
    expect(d.timestamp).not.toBeNull();
    writeFileSync(join(dir, 'token.der'), d.timestamp!);
    writeFileSync(join(dir, 'sigvalue.bin'), d.signature);
    const r = spawnSync('openssl', ['ts', '-verify', '-data', join(dir, 'sigvalue.bin'), '-in', join(dir, 'token.der'), '-token_in', '-CAfile', join(CERTS, 'root-ca.pem')], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toContain('Verification: OK');
  });

  it('a trusted TSA proves the signing time', () => {
    const r = verifySesSignature(sig, { trustAnchors: [pki.rootCert, devRoot()], at, data });
    const s = r.signatures[0]!;
    expect(r.indication).toBe('TOTAL_PASSED');
    expect(s.timestamp?.valid).toBe(true);
    expect(s.timestamp?.trusted).toBe(true);
    expect(s.signingTimeSource).toBe('timestamp');
  });

  it('an untrusted TSA leaves the time claimed', () => {
    const s = verifySesSignature(sig, { trustAnchors: [pki.rootCert], at, data }).signatures[0]!;
    expect(s.timestamp?.valid).toBe(true);
    expect(s.timestamp?.trusted).toBe(false);
    expect(s.signingTimeSource).toBe('claimed');
  });

  it('a token over another value fails the signature', () => {
    const top = parseDer(sig, STRICT_TREE);
    const token = decodeSesSignature(sig).timestamp!;
    // Corrupt the imprint inside the token (the first 32-byte OCTET STRING) and re-attach it.
    const t = Uint8Array.from(token);
    const imprintAt = Buffer.from(t).indexOf(Buffer.from([0x04, 0x20])) + 2;
    t[imprintAt]! ^= 1;
    const forged = seq(...children(top).slice(0, 4).map((c) => encodedOf(c)), ctx(0, bitStringBytes(t)));
    const r = verifySesSignature(forged, { trustAnchors: [pki.rootCert, devRoot()], at, data });
    expect(r.indication).toBe('TOTAL_FAILED');
    expect(r.signatures[0]!.timestamp?.valid).toBe(false);
  });
});
