import { describe, expect, it, beforeAll } from 'vitest';
import { readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { buildTestPki, type TestPki } from '../pki/test-pki.js';
import { verifyTimestampToken } from './verify.js';

let pki: TestPki;
const data = new TextEncoder().encode('signature value bytes to be time-stamped');
const TSA_CONF = `
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
dir = .
serial = tsaserial
signer_cert = tsa.pem
signer_key = tsa.key
certs = root.pem
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha1
accuracy = secs:1
ess_cert_id_alg = sha256
`;
beforeAll(() => {
  pki = buildTestPki();
  writeFileSync(pki.file('data.bin'), data);
  writeFileSync(pki.file('tsaserial'), '01\n');
  appendFileSync(pki.file('openssl.cnf'), TSA_CONF);
  // independent producer: openssl ts
  pki.openssl(['ts', '-query', '-data', 'data.bin', '-sha256', '-cert', '-no_nonce', '-out', 'q.tsq']);
  pki.openssl(['ts', '-reply', '-config', 'openssl.cnf', '-queryfile', 'q.tsq', '-token_out', '-out', 'token.der']);
  pki.openssl(['ts', '-reply', '-config', 'openssl.cnf', '-section', 'tsa_config', '-queryfile', 'q.tsq', '-token_out', '-out', 'token2.der']);
});

describe('verifyTimestampToken', () => {
  it('verifies an openssl token: imprint, TSA EKU, chain (openssl ts -verify agrees)', async () => {
    pki.openssl(['ts', '-verify', '-data', 'data.bin', '-in', 'token.der', '-token_in', '-CAfile', 'root.pem']);
    const token = new Uint8Array(readFileSync(pki.file('token.der')));
    const r = await verifyTimestampToken(token, { data: [data], trustAnchors: [pki.der('root.pem')] });
    expect(r.errors.filter((e) => !e.startsWith('warning'))).toEqual([]);
    expect(r.indication).toBe('TOTAL_PASSED');
    expect(r.imprintMatches).toBe(true);
    expect(r.trusted).toBe(true);
    expect(Math.abs(r.genTime!.getTime() - Date.now())).toBeLessThan(120_000);
    expect(r.tsa).toBe('O=Test, CN=Test TSA');
  });

  it('other data -> HASH_FAILURE; no anchors -> not trusted', async () => {
    const token = new Uint8Array(readFileSync(pki.file('token.der')));
    const other = await verifyTimestampToken(token, { data: [new TextEncoder().encode('other')], trustAnchors: [pki.der('root.pem')] });
    expect(other.indication).toBe('TOTAL_FAILED');
    expect(other.subIndication).toBe('HASH_FAILURE');
    const untrusted = await verifyTimestampToken(token, { data: [data] });
    expect(untrusted.indication).toBe('INDETERMINATE');
    expect(untrusted.trusted).toBe(false);
  });

  it('a changed genTime byte breaks the token', async () => {
    const token = new Uint8Array(readFileSync(pki.file('token2.der')));
    const s = Buffer.from(token).toString('latin1');
    const m = /\d{14}Z/.exec(s)!; // genTime
    const bad = token.slice();
    const i = m.index + 3;
    bad[i] = bad[i] === 0x31 ? 0x32 : 0x31;
    const r = await verifyTimestampToken(bad, { data: [data], trustAnchors: [pki.der('root.pem')] });
    expect(r.indication).toBe('TOTAL_FAILED');
  });
});
