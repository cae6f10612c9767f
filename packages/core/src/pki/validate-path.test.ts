import { describe, expect, it, beforeAll } from 'vitest';
import { buildTestPki, type TestPki } from './test-pki.js';
import { validateCertificatePath, parseCertificate, parseCrl, checkCrl, parseOcspResponse, checkOcsp, EKU, createHttpRevocationFetcher } from './index.js';

let pki: TestPki;
let now = new Date();
beforeAll(() => {
  pki = buildTestPki();
  now = new Date(Date.now() + 5000);
});

describe('validateCertificatePath', () => {
  it('builds leaf -> CA -> root and checks revocation with a CRL (openssl verify agrees)', async () => {
    // independent oracle: openssl verify with the CRL
    const out = pki.openssl(['verify', '-crl_check', '-CAfile', 'root.pem', '-untrusted', 'ca.pem', '-CRLfile', 'ca-empty.crl', 'leaf.pem']);
    expect(out).toContain('OK');
    const r = await validateCertificatePath(pki.der('leaf.pem'), {
      intermediates: [pki.der('ca.pem')],
      trustAnchors: [pki.der('root.pem')],
      at: now,
      revocation: { crls: [pki.der('ca-empty.crl'), pki.der('root.crl')] },
    });
    expect(r.errors).toEqual([]);
    expect(r.indication).toBe('TOTAL_PASSED');
    expect(r.trusted).toBe(true);
    expect(r.chain.map((c) => c.subject)).toEqual(['CN=Agency Test Seal', 'CN=Test Seal CA', 'CN=Test Root']);
    expect(r.revocation.status).toBe('good');
    expect(r.revocation.source).toBe('crl');
  });

  it('a same-name root with another key does not anchor', async () => {
    expect(() => pki.openssl(['verify', '-CAfile', 'fakeroot.pem', '-untrusted', 'ca.pem', 'leaf.pem'])).toThrow();
    const r = await validateCertificatePath(pki.der('leaf.pem'), {
      intermediates: [pki.der('ca.pem')],
      trustAnchors: [pki.der('fakeroot.pem')],
      at: now,
      revocationPolicy: 'off',
    });
    expect(r.indication).toBe('INDETERMINATE');
    expect(r.subIndication).toBe('NO_CERTIFICATE_CHAIN_FOUND');
    expect(r.trusted).toBe(false);
  });

  it('nothing is trusted without anchors', async () => {
    const r = await validateCertificatePath(pki.der('leaf.pem'), { intermediates: [pki.der('ca.pem')], trustAnchors: [], at: now });
    expect(r.subIndication).toBe('NO_CERTIFICATE_CHAIN_FOUND');
  });

  it('missing revocation data -> INDETERMINATE TRY_LATER under the default policy', async () => {
    const r = await validateCertificatePath(pki.der('leaf.pem'), { intermediates: [pki.der('ca.pem')], trustAnchors: [pki.der('root.pem')], at: now });
    expect(r.indication).toBe('INDETERMINATE');
    expect(r.subIndication).toBe('TRY_LATER');
    expect(r.revocation.status).toBe('unknown');
  });

  it('revoked in the CRL -> REVOKED when the time is proven, REVOKED_NO_POE otherwise', async () => {
    expect(() => pki.openssl(['verify', '-crl_check', '-CAfile', 'root.pem', '-untrusted', 'ca.pem', '-CRLfile', 'ca-revoked.crl', 'leaf2.pem'])).toThrow();
    const base = { intermediates: [pki.der('ca.pem')], trustAnchors: [pki.der('root.pem')], at: new Date(Date.now() + 60_000), revocation: { crls: [pki.der('ca-revoked.crl'), pki.der('root.crl')] } };
    const proven = await validateCertificatePath(pki.der('leaf2.pem'), { ...base, timeProven: true });
    expect(proven.indication).toBe('TOTAL_FAILED');
    expect(proven.subIndication).toBe('REVOKED');
    expect(proven.revocation).toMatchObject({ status: 'revoked', reason: 'keyCompromise' });
    const claimed = await validateCertificatePath(pki.der('leaf2.pem'), base);
    expect(claimed.indication).toBe('INDETERMINATE');
    expect(claimed.subIndication).toBe('REVOKED_NO_POE');
    // revoked after a proven earlier signing time: passes, revocation shown
    const earlier = await validateCertificatePath(pki.der('leaf2.pem'), { ...base, at: new Date('2025-01-01T00:00:00Z'), timeProven: true });
    expect(earlier.indication).toBe('TOTAL_PASSED');
    expect(earlier.revocation.status).toBe('revoked');
  });

  it('a CRL signed by another key is ignored', () => {
    const crl = parseCrl(pki.der('ca-revoked.crl'))!;
    const leaf2 = parseCertificate(pki.der('leaf2.pem'));
    expect(checkCrl(crl, leaf2, parseCertificate(pki.der('ca.pem')), now)?.status).toBe('revoked');
    expect(checkCrl(crl, leaf2, parseCertificate(pki.der('root.pem')), now)).toBeNull();
  });

  it('OCSP: delegated responder and CA-signed responses are used; a response by a non-responder is not', async () => {
    const leaf = parseCertificate(pki.der('leaf.pem'));
    const leaf2 = parseCertificate(pki.der('leaf2.pem'));
    const ca = parseCertificate(pki.der('ca.pem'));
    // openssl's own check of the delegated response
    const v = pki.openssl(['ocsp', '-respin', 'ocsp-leaf-good.der', '-CAfile', 'root.pem', '-VAfile', 'ocsp.pem', '-issuer', 'ca.pem', '-cert', 'leaf.pem']);
    expect(v).toContain('good');
    expect(checkOcsp(parseOcspResponse(pki.der('ocsp-leaf-good.der'))!, leaf, ca, now)?.status).toBe('good');
    expect(checkOcsp(parseOcspResponse(pki.der('ocsp-leaf-good-byca.der'))!, leaf, ca, now)?.status).toBe('good');
    expect(checkOcsp(parseOcspResponse(pki.der('ocsp-leaf-bad-signer.der'))!, leaf, ca, now)).toBeNull();
    const rev = checkOcsp(parseOcspResponse(pki.der('ocsp-leaf2-revoked.der'))!, leaf2, ca, now);
    expect(rev?.status).toBe('revoked');
    expect(rev?.reason).toBe('keyCompromise');
    // certID of another certificate does not match
    expect(checkOcsp(parseOcspResponse(pki.der('ocsp-leaf-good.der'))!, leaf2, ca, now)).toBeNull();
    const r = await validateCertificatePath(pki.der('leaf.pem'), {
      intermediates: [pki.der('ca.pem')],
      trustAnchors: [pki.der('root.pem')],
      at: now,
      revocation: { ocsps: [pki.der('ocsp-leaf-good.der')], crls: [pki.der('root.crl')] },
    });
    expect(r.indication).toBe('TOTAL_PASSED');
  });

  it('enforces key usage, EKU, pathLen and validity', async () => {
    const base = { intermediates: [pki.der('ca.pem'), pki.der('sub.pem')], trustAnchors: [pki.der('root.pem')], revocationPolicy: 'off' as const };
    const enc = await validateCertificatePath(pki.der('enc.pem'), { ...base, at: now });
    expect(enc.subIndication).toBe('CHAIN_CONSTRAINTS_FAILURE');
    const deep = await validateCertificatePath(pki.der('deep.pem'), { ...base, at: now });
    expect(deep.subIndication).toBe('CHAIN_CONSTRAINTS_FAILURE');
    expect(() => pki.openssl(['verify', '-CAfile', 'root.pem', '-untrusted', 'ca.pem', '-untrusted', 'sub.pem', 'deep.pem'])).toThrow();
    const notTsa = await validateCertificatePath(pki.der('leaf.pem'), { ...base, at: now, requiredEku: EKU.timeStamping });
    expect(notTsa.subIndication).toBe('CHAIN_CONSTRAINTS_FAILURE');
    const tsa = await validateCertificatePath(pki.der('tsa.pem'), { ...base, at: now, requiredEku: EKU.timeStamping });
    expect(tsa.indication).toBe('TOTAL_PASSED');
    const expired = await validateCertificatePath(pki.der('leaf.pem'), { ...base, at: new Date('2060-01-01T00:00:00Z') });
    expect(expired.indication).toBe('INDETERMINATE');
    expect(expired.subIndication).toBe('OUT_OF_BOUNDS_NO_POE');
    const early = await validateCertificatePath(pki.der('leaf.pem'), { ...base, at: new Date('2023-01-01T00:00:00Z') });
    expect(early.indication).toBe('TOTAL_FAILED');
    expect(early.subIndication).toBe('NOT_YET_VALID');
  });

  it('online fetcher: unreachable URL gives unknown within the timeout, never a hang', async () => {
    const f = createHttpRevocationFetcher({ timeoutMs: 300 });
    const t0 = Date.now();
    expect(await f.fetchCrl('http://127.0.0.1:9/none.crl')).toBeNull();
    expect(await f.fetchCrl('file:///etc/passwd')).toBeNull();
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});
