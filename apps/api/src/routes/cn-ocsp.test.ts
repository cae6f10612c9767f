/**
 * OCSP for SM2 seals through the API (issue 9): a real server over the dev PKI with its SM2 CA.
 * An SM2 seal certificate names `${baseUrl}/v1/ocsp`; POST /v1/ocsp (and the GET form) answers
 * for it with a response signed SM2-with-SM3 by the SM2 CA: good, then revoked with its reason
 * after the seal is revoked. Judged by core's OCSP checker (responder = the SM2 CA, SM2
 * signature), by sm2Verify over tbsResponseData, and by `openssl ocsp -resp_text`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOcspRequest, checkOcsp, parseCertificate, parseOcspResponse, parseSm2Certificate, sm2Verify } from '@seal/core';
import { TAG, childrenOf, contentOf, decodeBitString, decodeOid, encodedOf, parseDer } from '@seal/core/asn1';
import { startHarness, type Harness } from '../testing/harness.js';

const HAVE_OPENSSL = spawnSync('openssl', ['version']).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'api-sm2-ocsp-'));

describe('OCSP for SM2 seals through the API', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('POST /v1/ocsp answers for an SM2 seal, signed SM2-with-SM3 by the SM2 CA: good, then revoked with its reason', async () => {
    const reg = h.server.registry;
    const sm2 = reg.sm2!;
    expect(sm2).not.toBeNull();
    const { seal, operator, officer } = await h.issueSeal({ kind: 'official', name: 'SM2 seal for OCSP', algorithm: 'SM2' });
    const certDer = (await reg.getSealSigner(operator, seal.id)).certificateChain[0]!;
    const cert = parseCertificate(certDer);
    const ca = parseCertificate(sm2.chain[0]!);
    expect(cert.ocspUrls).toEqual([`${reg.baseUrl}/v1/ocsp`]);

    const ocspRequest = buildOcspRequest(cert, ca);
    const ask = async (): Promise<Uint8Array> => {
      const res = await h.server.app.inject({ method: 'POST', url: '/v1/ocsp', headers: { 'content-type': 'application/ocsp-request' }, payload: Buffer.from(ocspRequest) });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('application/ocsp-response');
      return new Uint8Array(res.rawPayload);
    };

    const good = await ask();
    expect(checkOcsp(parseOcspResponse(good)!, cert, ca, new Date())).toMatchObject({ status: 'good' });
    // the GET form (base64 of the request) gives the same answer
    const get = await h.server.app.inject({ method: 'GET', url: `/v1/ocsp/${encodeURIComponent(Buffer.from(ocspRequest).toString('base64'))}` });
    expect(get.statusCode).toBe(200);
    expect(checkOcsp(parseOcspResponse(new Uint8Array(get.rawPayload))!, cert, ca, new Date())).toMatchObject({ status: 'good' });

    // the signature: SM2-with-SM3 over tbsResponseData with the SM2 CA's key
    const top = childrenOf(parseDer(good), TAG.SEQUENCE, 'OCSPResponse');
    const bytes = childrenOf(childrenOf(top[1], 0xa0, 'responseBytes')[0], TAG.SEQUENCE, 'ResponseBytes');
    const basic = childrenOf(parseDer(contentOf(bytes[1]!)), TAG.SEQUENCE, 'BasicOCSPResponse');
    expect(decodeOid(childrenOf(basic[1], TAG.SEQUENCE, 'signatureAlgorithm')[0])).toBe('1.2.156.10197.1.501');
    const caPoint = parseSm2Certificate(sm2.chain[0]!).sm2PublicKey!;
    expect(sm2Verify(encodedOf(basic[0]!), decodeBitString(basic[2]), caPoint)).toBe(true);

    await reg.revokeSeal(officer, seal.id, { reason: 'cessationOfOperation' });
    const revoked = await ask();
    expect(checkOcsp(parseOcspResponse(revoked)!, cert, ca, new Date())).toMatchObject({ status: 'revoked', reason: 'cessationOfOperation' });
    if (!HAVE_OPENSSL) return;
    const f = join(dir, 'resp.der');
    writeFileSync(f, revoked);
    const text = execFileSync('openssl', ['ocsp', '-respin', f, '-resp_text', '-noverify'], { encoding: 'utf8' });
    expect(text).toContain('Signature Algorithm: SM2-with-SM3');
    expect(text).toContain('Cert Status: revoked');
    expect(text).toContain('Revocation Reason: cessationOfOperation (0x5)');
  });
});
