import { beforeAll, describe, expect, it } from 'vitest';
import { buildTestPki, type TestPki } from './test-pki.js';
import { checkOcspResponder } from './ocsp-responder.js';
import { parseCertificate } from './cert.js';
import { parseCrl, type ParsedCrl } from './crl.js';
import { hasOcspNoCheck, ocspDelegatedResponder, parseOcspResponse, type ParsedOcsp } from './ocsp.js';
import { validateCertificatePath } from './validate-path.js';

// the test PKI's delegated responder "Test OCSP" carries no id-pkix-ocsp-nocheck
let pki: TestPki;
const ocsp = (name: string): ParsedOcsp => parseOcspResponse(pki.der(name))!;
const crl = (name: string): ParsedCrl => parseCrl(pki.der(name))!;

beforeAll(async () => {
  pki = buildTestPki();
  // a second later than the responses were produced (times have second precision): revoke the responder, then let it answer once more
  await new Promise((ok) => setTimeout(ok, 1100));
  pki.openssl(['ca', '-config', 'openssl.cnf', '-cert', 'ca.pem', '-keyfile', 'ca.key', '-revoke', 'ocsp.pem', '-crl_reason', 'keyCompromise']);
  pki.openssl(['ca', '-config', 'openssl.cnf', '-cert', 'ca.pem', '-keyfile', 'ca.key', '-gencrl', '-out', 'ca-responder-revoked.crl']);
  pki.openssl(['ocsp', '-index', 'index.txt', '-rsigner', 'ocsp.pem', '-rkey', 'ocsp.key', '-CA', 'ca.pem', '-reqin', 'ocsp-leaf-good.req', '-respout', 'ocsp-leaf-late.der', '-ndays', '3650']);
  pki.openssl(['ocsp', '-issuer', 'ca.pem', '-cert', 'ocsp.pem', '-reqout', 'ocsp-responder.req', '-no_nonce']);
  pki.openssl(['ocsp', '-index', 'index.txt', '-rsigner', 'ca.pem', '-rkey', 'ca.key', '-CA', 'ca.pem', '-reqin', 'ocsp-responder.req', '-respout', 'ocsp-responder-byca.der', '-ndays', '3650']);
});

const path = (ocsps: string[], crls: string[]) =>
  validateCertificatePath(pki.der('leaf.pem'), {
    intermediates: [pki.der('ca.pem')],
    trustAnchors: [pki.der('root.pem')],
    at: new Date(),
    revocation: { ocsps: ocsps.map((n) => pki.der(n)), crls: crls.map((n) => pki.der(n)) },
  });

describe('checkOcspResponder', () => {
  it('names the delegated responder, and nothing for a response the CA signed itself', () => {
    const ca = parseCertificate(pki.der('ca.pem'));
    const responder = parseCertificate(pki.der('ocsp.pem'));
    expect(hasOcspNoCheck(responder)).toBe(false);
    expect(ocspDelegatedResponder(ocsp('ocsp-leaf-good.der'), ca)?.fingerprint).toBe(responder.fingerprint);
    expect(checkOcspResponder(ocsp('ocsp-leaf-good-byca.der'), ca, [], [])).toBeNull();
    const s = checkOcspResponder(ocsp('ocsp-leaf-good.der'), ca, [crl('ca-empty.crl')], []);
    expect(s).toMatchObject({ disqualified: false, status: { status: 'good', source: 'crl' } });
    expect(checkOcspResponder(ocsp('ocsp-leaf-good.der'), ca, [], [])?.status.status).toBe('unknown');
  });

  it('a responder revoked before it answered disqualifies that answer only (openssl agrees it is revoked)', () => {
    expect(() => pki.openssl(['verify', '-crl_check', '-CAfile', 'root.pem', '-untrusted', 'ca.pem', '-CRLfile', 'ca-responder-revoked.crl', 'ocsp.pem'])).toThrow();
    const ca = parseCertificate(pki.der('ca.pem'));
    const revokedCrl = [crl('ca-responder-revoked.crl')];
    const late = checkOcspResponder(ocsp('ocsp-leaf-late.der'), ca, revokedCrl, []);
    expect(late).toMatchObject({ disqualified: true, status: { status: 'revoked', reason: 'keyCompromise' } });
    const early = checkOcspResponder(ocsp('ocsp-leaf-good.der'), ca, revokedCrl, []);
    expect(early).toMatchObject({ disqualified: false, status: { status: 'revoked' } });
  });
});

describe('validateCertificatePath and delegated OCSP responders', () => {
  it('reports the responder status found in the given data', async () => {
    const r = await path(['ocsp-leaf-good.der'], ['root.crl', 'ca-empty.crl']);
    expect(r.indication).toBe('TOTAL_PASSED');
    expect(r.revocationDetails.at(-1)).toMatchObject({ subject: 'O=Test, CN=Test OCSP', ocspResponderFor: 'CN=Agency Test Seal', status: 'good', source: 'crl' });
    expect(r.warnings.join()).not.toContain('OCSP responder');
  });

  it('an unknown responder status is a warning; the answer is still used (as before)', async () => {
    const r = await path(['ocsp-leaf-good.der'], ['root.crl']);
    expect(r.indication).toBe('TOTAL_PASSED');
    expect(r.revocation).toMatchObject({ status: 'good', source: 'ocsp' });
    expect(r.revocationDetails.at(-1)).toMatchObject({ subject: 'O=Test, CN=Test OCSP', status: 'unknown' });
    expect(r.warnings.join()).toContain('OCSP responder "O=Test, CN=Test OCSP" (answering for "CN=Agency Test Seal"): its own revocation status is unknown');
  });

  it('the answer of a responder revoked before it answered is not used: TRY_LATER instead of good', async () => {
    // without data on the responder, its late answer is used (with a warning)
    const used = await path(['ocsp-leaf-late.der'], ['root.crl']);
    expect(used.revocation).toMatchObject({ status: 'good', source: 'ocsp' });
    // the CA itself says the responder is revoked (keyCompromise, before the late answer)
    const r = await path(['ocsp-leaf-late.der', 'ocsp-responder-byca.der'], ['root.crl']);
    expect(r.revocation.status).toBe('unknown');
    expect(r.indication).toBe('INDETERMINATE');
    expect(r.subIndication).toBe('TRY_LATER');
    expect(r.warnings.join()).toContain('OCSP responder "O=Test, CN=Test OCSP" (answering for "CN=Agency Test Seal") was revoked (keyCompromise)');
    expect(r.revocationDetails.at(-1)).toMatchObject({ status: 'revoked', source: 'ocsp' });
    // its earlier answer (produced before the revocation) still counts
    const early = await path(['ocsp-leaf-good.der', 'ocsp-responder-byca.der'], ['root.crl']);
    expect(early.indication).toBe('TOTAL_PASSED');
    expect(early.revocation).toMatchObject({ status: 'good', source: 'ocsp' });
  });
});
