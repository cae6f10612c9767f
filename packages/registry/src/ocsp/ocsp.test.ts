import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { SealError } from '@seal/core';
import { certsDev, tempDir } from '../testing/fixtures.js';
import { parseOcspRequest } from './ocsp.js';

describe('OCSP request parser', () => {
  const t = tempDir();
  afterAll(() => t.cleanup());
  const reqFile = join(t.dir, 'req.der');
  execFileSync('openssl', ['ocsp', '-sha256', '-issuer', certsDev('seal-ca.pem'), '-cert', certsDev('agency-a-ec.pem'), '-cert', certsDev('agency-b-ec.pem'), '-reqout', reqFile]);
  const valid = new Uint8Array(readFileSync(reqFile));
  const serialOf = (f: string): string =>
    execFileSync('openssl', ['x509', '-in', certsDev(f), '-noout', '-serial'], { encoding: 'utf8' }).trim().split('=')[1]!.toLowerCase().replace(/^(00)+/, '');

  it('reads an openssl request: two SHA-256 CertIDs and the nonce', () => {
    const r = parseOcspRequest(valid);
    expect(r.certIds.map((c) => c.serial)).toEqual([serialOf('agency-a-ec.pem'), serialOf('agency-b-ec.pem')]);
    expect(r.certIds.every((c) => c.hash === 'sha256' && c.issuerKeyHash.length === 32)).toBe(true);
    expect(r.nonceExtension).not.toBeNull();
  });

  it('fails closed on any mutation or random input: a SealError or a parse, never another exception', () => {
    const check = (bytes: Uint8Array): boolean => {
      try {
        parseOcspRequest(bytes);
        return true;
      } catch (e) {
        return e instanceof SealError && e.code === 'ERR_ASN1_INVALID';
      }
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), check), { numRuns: 2000 });
    fc.assert(
      fc.property(fc.nat(valid.length - 1), fc.integer({ min: 1, max: 255 }), fc.nat(valid.length), (at, xor, cut) => {
        const m = Uint8Array.from(valid);
        m[at] = (m[at] as number) ^ xor;
        return check(m) && check(valid.subarray(0, cut));
      }),
      { numRuns: 2000 },
    );
  });
});
