/**
 * Fail-closed properties: mutated or random SES objects, OFD packages and XML never crash and
 * never verify. Every outcome is a report that is not TOTAL_PASSED, or a SealError.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { SealError } from '../errors/index.js';
import { writeOfdZip } from './ofd-zip.js';
import { verifyOfd } from './ofd-verify.js';
import { signSes } from './ses-create.js';
import { verifySes } from './ses-verify.js';
import { createSm2TestPki, createTestSesSeal, type Sm2TestPki } from './sm2-test-pki.js';
import { parseXml } from './xml.js';
import { indicationOrCode } from '../errors/testing.js';

describe('fail-closed fuzzing', () => {
  let pki: Sm2TestPki;
  let seal: Uint8Array;
  let sig: Uint8Array;
  const data = Uint8Array.of(1, 2, 3, 4);
  const at = new Date('2025-06-01T00:00:00Z');
  beforeAll(async () => {
    pki = await createSm2TestPki();
    seal = await createTestSesSeal(pki, { esId: 'FUZZ', name: 'fuzz' });
    sig = await signSes({ seal, signer: pki.holder, data, propertyInfo: 'p', time: at });
  });

  it('the unmutated objects pass (the property below is not vacuous)', () => {
    expect(verifySes(seal, { trustAnchors: [pki.rootCert], at }).indication).toBe('TOTAL_PASSED');
    expect(verifySes(sig, { trustAnchors: [pki.rootCert], at, data }).indication).toBe('TOTAL_PASSED');
  });

  it('any single changed byte in a seal or a signature never passes and never crashes', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.nat(), fc.integer({ min: 1, max: 255 }), (useSig, p, x) => {
        const src = useSig ? sig : seal;
        const b = Uint8Array.from(src);
        const pos = p % b.length;
        b[pos]! ^= x;
        const o = indicationOrCode(() => verifySes(b, { trustAnchors: [pki.rootCert], at, data }));
        expect(o).not.toBe('TOTAL_PASSED');
      }),
      { numRuns: 30 },
    );
  });

  it('truncations and random bytes are typed errors', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (junk, cut) => {
        expect(indicationOrCode(() => verifySes(junk))).toMatch(/^ERR_/);
        const t = seal.subarray(0, cut % seal.length);
        expect(indicationOrCode(() => verifySes(t))).toMatch(/^ERR_/);
      }),
      { numRuns: 200 },
    );
  });

  it('random XML-ish text parses or fails with ERR_INPUT_INVALID', () => {
    const pieces = fc.constantFrom('<a>', '</a>', '<b x="1"/>', '&amp;', '&bogus;', '<!--c-->', '<![CDATA[x]]>', '<?pi?>', 'text', '"', '<', '>', '<!DOCTYPE a>', '&#x41;', '&#xFFFFFFF;');
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 30 }), (parts) => {
        try {
          parseXml(parts.join(''));
        } catch (err) {
          expect(err).toBeInstanceOf(SealError);
          expect((err as SealError).code).toBe('ERR_INPUT_INVALID');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('mutated OFD packages never crash', () => {
    const files = new Map<string, Uint8Array>([
      ['OFD.xml', new TextEncoder().encode('<ofd:OFD xmlns:ofd="x"><ofd:DocBody><ofd:Signatures>S/Signatures.xml</ofd:Signatures></ofd:DocBody></ofd:OFD>')],
      ['S/Signatures.xml', new TextEncoder().encode('<ofd:Signatures xmlns:ofd="x"><ofd:Signature ID="1" BaseLoc="Sign_0/Signature.xml"/></ofd:Signatures>')],
      ['S/Sign_0/Signature.xml', new TextEncoder().encode('<ofd:Signature xmlns:ofd="x"><ofd:SignedInfo><ofd:References><ofd:Reference FileRef="/OFD.xml"><ofd:CheckValue>AAAA</ofd:CheckValue></ofd:Reference></ofd:References></ofd:SignedInfo><ofd:SignedValue>SignedValue.dat</ofd:SignedValue></ofd:Signature>')],
    ]);
    files.set('S/Sign_0/SignedValue.dat', sig);
    const zip = writeOfdZip(files);
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 255 }), (p, x) => {
        const b = Uint8Array.from(zip);
        b[p % b.length]! ^= x;
        expect(indicationOrCode(() => verifyOfd(b, { trustAnchors: [pki.rootCert], at }))).not.toBe('TOTAL_PASSED');
      }),
      { numRuns: 100 },
    );
  });
});
