import { describe, expect, it, beforeAll } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { buildTestPki, type TestPki } from '../pki/test-pki.js';
import { verifyCms, trimDerPadding } from './verify.js';
import { children, parseDer, type DerNode } from '../asn1/der.js';
import { validateCertificatePath } from '../pki/validate-path.js';

let pki: TestPki;
const content = new TextEncoder().encode('%PDF-1.7 pretend these are the signed byte ranges\n');
beforeAll(() => {
  pki = buildTestPki();
  writeFileSync(pki.file('content.bin'), content);
  // independent producer: openssl cms -sign (detached, signed attributes, ESS signing-certificate-v2 via -cades)
  pki.openssl(['cms', '-sign', '-binary', '-cades', '-md', 'sha256', '-in', 'content.bin', '-signer', 'leaf.pem', '-inkey', 'leaf.key', '-certfile', 'ca.pem', '-outform', 'DER', '-out', 'sig.der']);
  pki.openssl(['cms', '-sign', '-binary', '-noattr', '-md', 'sha256', '-in', 'content.bin', '-signer', 'leaf.pem', '-inkey', 'leaf.key', '-outform', 'DER', '-out', 'sig-noattr.der']);
  pki.openssl(['cms', '-sign', '-binary', '-md', 'sha1', '-in', 'content.bin', '-signer', 'leaf.pem', '-inkey', 'leaf.key', '-outform', 'DER', '-out', 'sig-sha1.der']);
  pki.openssl(['cms', '-sign', '-binary', '-nodetach', '-md', 'sha256', '-in', 'content.bin', '-signer', 'leaf.pem', '-inkey', 'leaf.key', '-outform', 'DER', '-out', 'sig-attached.der']);
});

const sig = (n: string) => new Uint8Array(readFileSync(pki.file(n)));

/**
 * Offsets of the tags `wanted` picks, walking the DER with core's reader; `enter` decides which
 * constructed values are walked into (depth 0 is the outermost value).
 */
function tagOffsets(der: Uint8Array, wanted: (tag: number) => boolean, enter: (node: DerNode, depth: number) => boolean = () => true): number[] {
  const out: number[] = [];
  const walk = (node: DerNode, depth: number): void => {
    if (wanted(node.tag)) out.push(node.start);
    if (node.constructed && enter(node, depth)) for (const child of children(node)) walk(child, depth + 1);
  };
  walk(parseDer(der), 0);
  return out;
}

describe('verifyCms', () => {
  it('verifies an openssl CAdES signature over detached chunks and finds its certificates', async () => {
    const r = verifyCms(sig('sig.der'), { detachedContent: [content.subarray(0, 10), content.subarray(10)] });
    expect(r.errors).toEqual([]);
    expect(r.indication).toBe('TOTAL_PASSED');
    expect(r.intact && r.valid).toBe(true);
    expect(r.signingCertificateBinding).toBe('v2');
    expect(r.signerCertificate?.subject).toBe('CN=Agency Test Seal');
    expect(r.certificates.length).toBe(2);
    expect(r.claimedSigningTime).toBeInstanceOf(Date);
    const path = await validateCertificatePath(r.signerCertificate!.der, { intermediates: r.certificates, trustAnchors: [pki.der('root.pem')], at: new Date(), revocationPolicy: 'off' });
    expect(path.indication).toBe('TOTAL_PASSED');
  });

  it('one changed content byte -> HASH_FAILURE (openssl agrees)', () => {
    const changed = content.slice();
    changed[3] = changed[3]! ^ 1;
    writeFileSync(pki.file('changed.bin'), changed);
    expect(() => pki.openssl(['cms', '-verify', '-binary', '-noverify', '-inform', 'DER', '-in', 'sig.der', '-content', 'changed.bin', '-out', '/dev/null'])).toThrow();
    const r = verifyCms(sig('sig.der'), { detachedContent: [changed] });
    expect(r.indication).toBe('TOTAL_FAILED');
    expect(r.subIndication).toBe('HASH_FAILURE');
  });

  it('a changed signature byte -> SIG_CRYPTO_FAILURE; without signed attributes -> HASH_FAILURE on change', () => {
    const der = sig('sig.der');
    // the ECDSA signature value is near the end, before no unsigned attributes: flip a byte of it
    const bad = der.slice();
    bad[bad.length - 5] = bad[bad.length - 5]! ^ 0x01;
    const r = verifyCms(bad, { detachedContent: [content] });
    expect(r.indication).toBe('TOTAL_FAILED');
    expect(r.valid).toBe(false);
    const noattr = verifyCms(sig('sig-noattr.der'), { detachedContent: [content] });
    expect(noattr.indication).toBe('TOTAL_PASSED');
    const changed = content.slice();
    changed[0] = changed[0]! ^ 1;
    expect(verifyCms(sig('sig-noattr.der'), { detachedContent: [changed] }).indication).toBe('TOTAL_FAILED');
  });

  it('a flipped constructed bit on any SEQUENCE/SET/INTEGER/OID tag is a FORMAT_FAILURE, never a pass', () => {
    const der = sig('sig.der');
    const tags = tagOffsets(der, (tag) => [0x30, 0x31, 0x02, 0x06].includes(tag));
    expect(tags.length).toBeGreaterThan(50);
    for (const i of tags) {
      const bad = der.slice();
      bad[i] = bad[i]! ^ 0x20;
      const r = verifyCms(bad, { detachedContent: [content] });
      expect(r.indication, `tag at ${i}`).toBe('TOTAL_FAILED');
      expect(r.subIndication, `tag at ${i}`).toBe('FORMAT_FAILURE');
    }
    expect(verifyCms(der, { detachedContent: [content] }).indication).toBe('TOTAL_PASSED');
  });

  it('an INTEGER of SignedData or SignerInfo retagged as ENUMERATED (asn1js reads it as a kind of Integer) never passes', () => {
    const der = sig('sig.der');
    // Certificates ([0] IMPLICIT inside SignedData) are left out: at this layer their bytes are
    // not covered (that is the ESS signing-certificate attribute's and path validation's job).
    const ints = tagOffsets(der, (tag) => tag === 0x02, (node, depth) => !(node.tag === 0xa0 && depth > 1));
    expect(ints.length).toBeGreaterThanOrEqual(3); // SignedData version, SignerInfo version, sid serial
    for (const i of ints) {
      const bad = der.slice();
      bad[i] = 0x0a;
      expect(verifyCms(bad, { detachedContent: [content] }).indication, `INTEGER at ${i}`).not.toBe('TOTAL_PASSED');
    }
  });

  it('SHA-1 is INDETERMINATE by policy even when the maths is right', () => {
    pki.openssl(['cms', '-verify', '-binary', '-noverify', '-inform', 'DER', '-in', 'sig-sha1.der', '-content', 'content.bin', '-out', '/dev/null']);
    const r = verifyCms(sig('sig-sha1.der'), { detachedContent: [content] });
    expect(r.valid).toBe(true);
    expect(r.indication).toBe('INDETERMINATE');
    expect(r.subIndication).toBe('CRYPTO_CONSTRAINTS_FAILURE');
  });

  it('encapsulated content: verified when no detached content is given, refused with detached content', () => {
    expect(verifyCms(sig('sig-attached.der')).indication).toBe('TOTAL_PASSED');
    expect(verifyCms(sig('sig-attached.der'), { detachedContent: [content] }).subIndication).toBe('FORMAT_FAILURE');
  });

  it('garbage, truncation and padding never throw', () => {
    const der = sig('sig.der');
    for (const input of [new Uint8Array(0), new Uint8Array([0x30]), der.subarray(0, der.length - 1), new Uint8Array(300).fill(0x30), new Uint8Array([...der, 0, 0, 0])]) {
      const r = verifyCms(input, { detachedContent: [content] });
      expect(['TOTAL_FAILED', 'TOTAL_PASSED', 'INDETERMINATE']).toContain(r.indication);
    }
    expect(verifyCms(new Uint8Array([...der, 0, 0, 0]), { detachedContent: [content] }).indication).toBe('TOTAL_PASSED');
    expect(verifyCms(new Uint8Array([...der, 0, 1, 0]), { detachedContent: [content] }).indication).toBe('TOTAL_FAILED');
    expect(trimDerPadding(new Uint8Array([0x30, 0x84, 0xff, 0xff, 0xff, 0xff]))).toBeNull();
  });
});
