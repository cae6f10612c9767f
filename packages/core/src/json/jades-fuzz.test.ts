import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as x509 from '@peculiar/x509';
import { createPrivateKey, webcrypto } from 'node:crypto';
import { SealError } from '../errors/index.js';
import { createSoftwareSigner } from '../signer/software.js';
import { signJson } from './jades-sign.js';
import { verifyJson } from './jades-verify.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** Every input either yields a report or a SealError: never a TypeError, a hang or a "valid". */
describe('verifyJson fails closed on mutated seals', () => {
  it('random byte edits, truncations and splices of good seals', async () => {
    const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
    const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
    const cert = await x509.X509CertificateGenerator.createSelfSigned({ serialNumber: '01', name: 'CN=Fuzz Seal', notBefore: new Date('2024-01-01'), notAfter: new Date('2099-01-01'), keys, signingAlgorithm: alg });
    const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
    const signer = createSoftwareSigner(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }), [new Uint8Array(cert.rawData)]);
    const doc = '{"a":[1,2,{"b":"c"}],"d":9007199254740992}';
    const seals = [
      (await signJson(doc, { signer })).jws,
      (await signJson(doc, { signer, format: 'json', canonical: true })).jws,
      (await signJson(doc, { signer, format: 'json', detached: true })).jws,
    ];
    const anchor = [new Uint8Array(cert.rawData)];
    const good = await verifyJson(seals[0]!, { trustAnchors: anchor, revocationPolicy: 'off' });
    expect(good.indication).toBe('TOTAL_PASSED');
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: seals.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.option(fc.nat(), { nil: undefined }),
        async (which, edits, cut) => {
          const bytes = Buffer.from(seals[which]!, 'utf8');
          for (const [pos, val] of edits) bytes[pos % bytes.length] = val;
          const input = cut === undefined ? bytes : bytes.subarray(0, cut % bytes.length);
          try {
            const r = await verifyJson(input, { trustAnchors: anchor, revocationPolicy: 'off', ...(which === 2 ? { payload: Buffer.from(doc) } : {}) });
            // Nothing in these seals is unsigned or insignificant (no unprotected header, no
            // whitespace): whatever still passes must be the untouched seal.
            if (r.indication === 'TOTAL_PASSED') expect(Buffer.compare(input, Buffer.from(seals[which]!, 'utf8'))).toBe(0);
            expect(['TOTAL_PASSED', 'TOTAL_FAILED', 'INDETERMINATE', 'NO_SIGNATURE']).toContain(r.indication);
          } catch (err) {
            expect(err).toBeInstanceOf(SealError);
            expect((err as SealError).code).not.toBe('ERR_INTERNAL');
          }
        },
      ),
      { numRuns: 600 },
    );
  });
});
