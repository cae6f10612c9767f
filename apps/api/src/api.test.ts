/**
 * The API over real HTTP on loopback (SDK) and through inject(): auth and agency isolation,
 * JSON sealing logged before the answer and verified publicly (and by the jose library),
 * lifecycle with dual control, revocation seen by sealing, verification, OCSP and CRL (openssl),
 * problem+json for bad input, limits, OpenAPI.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compactVerify, importX509 } from 'jose';
import { checkConsistencyProof, checkInclusionProof } from '@seal/registry';
import { ApiError, SealClient, type Problem } from '@seal/client';
import { CERTS_DEV, startHarness, type Harness } from './testing/harness.js';

// Async: openssl talks to the server in this very process, so the event loop must keep running.
const run = async (cmd: string, args: string[]): Promise<string> => (await promisify(execFile)(cmd, args, { encoding: 'utf8' })).stdout;

let h: Harness;
let work: string;

beforeAll(async () => {
  h = await startHarness();
  work = mkdtempSync(join(tmpdir(), 'seal-api-test-'));
});

afterAll(async () => {
  await h?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

const A = () => h.creds.agencies[0]!;
const B = () => h.creds.agencies[1]!;

async function problemOf(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected the request to fail');
}

function leafPem(chainPem: string): string {
  const m = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n?/.exec(chainPem);
  if (!m) throw new Error('no certificate');
  return m[0];
}

describe('service basics', () => {
  it('answers health, readiness, OpenAPI and Swagger UI', async () => {
    const anon = h.client();
    expect(await anon.health()).toEqual({ status: 'ok' });
    expect(await anon.ready()).toEqual({ status: 'ready', checks: { registry: true } });
    const doc = await anon.openapi();
    const paths = Object.keys(doc['paths'] as Record<string, unknown>);
    for (const p of ['/v1/seals/{sealId}/pdf', '/v1/seals/{sealId}/json', '/v1/seals/{sealId}/batch', '/v1/verify/pdf', '/v1/verify/json', '/v1/crl/{caId}', '/v1/ocsp', '/v1/tsa', '/v1/log/checkpoint', '/v1/seals/{sealId}/revoke']) {
      expect(paths).toContain(p);
    }
    const ui = await fetch(`${h.server.url}/docs/`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('swagger');
  });

  it('answers unknown routes with problem+json', async () => {
    const res = await h.server.app.inject({ method: 'GET', url: '/v1/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ code: 'ERR_NOT_FOUND', status: 404, type: '/problems/not-found' });
  });
});

describe('authentication and authorisation', () => {
  it('refuses a missing or wrong key with 401', async () => {
    const seal = A().seals[0]!;
    const none = await problemOf(h.client().sealJson(seal.id, { payload: { a: 1 } }));
    expect(none.status).toBe(401);
    expect(none.problem?.code).toBe('ERR_UNAUTHENTICATED');
    const wrongKey = A().keys.operator.slice(0, -4) + 'AAAA';
    const wrong = await problemOf(new SealClient({ baseUrl: h.server.url, apiKey: wrongKey }).sealJson(seal.id, { payload: { a: 1 } }));
    expect(wrong.status).toBe(401);
    const garbage = await h.server.app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: 'Basic Zm9vOmJhcg==' } });
    expect(garbage.statusCode).toBe(401);
  });

  it('lets auditors read but never seal (403), and officers/admins not seal either', async () => {
    const seal = A().seals[0]!;
    for (const role of ['auditor', 'officer', 'admin'] as const) {
      const e = await problemOf(h.client(0, role).sealJson(seal.id, { payload: { a: 1 } }));
      expect(e.status).toBe(403);
      expect(e.problem?.code).toBe('ERR_FORBIDDEN');
    }
  });

  it("treats another agency's seal exactly like a seal that does not exist (404)", async () => {
    const opA = h.client(0, 'operator');
    const other = await problemOf(opA.sealJson(B().seals[0]!.id, { payload: { a: 1 } }));
    const missing = await problemOf(opA.sealJson('seal_doesnotexist', { payload: { a: 1 } }));
    expect(other.status).toBe(404);
    expect(other.problem?.code).toBe('ERR_SEAL_NOT_FOUND');
    const strip = (p: Problem | null) => ({ ...p, instance: undefined });
    expect(strip(other.problem)).toEqual(strip(missing.problem));
    expect((await problemOf(opA.getSeal(B().seals[0]!.id))).status).toBe(404);
    expect((await problemOf(h.client(0, 'officer').revokeSeal(B().seals[0]!.id, 'keyCompromise'))).status).toBe(404);
    expect((await problemOf(opA.listSeals(B().id))).status).toBe(404);
    // Agency-bound accounts see only their own agency.
    expect((await opA.listAgencies()).map((a) => a.id)).toEqual([A().id]);
  });
});

describe('JSON sealing and public verification', () => {
  it('seals as agency A, logs the use before answering, and verifies publicly and with jose', async () => {
    const seal = A().seals.find((s) => s.algorithm.startsWith('EC'))!;
    const op = h.client(0, 'operator');
    const res = await op.sealJson(seal.id, { payload: { invoice: 42, amount: '10.00' } });
    expect(typeof res.signature).toBe('string');
    // The use is in the log (an auditor of A reads it) and its inclusion proof checks out.
    const entry = await h.client(0, 'auditor').getUsage(res.logEntry.index);
    expect(entry).toMatchObject({ sealId: seal.id, agencyId: A().id, documentKind: 'json', leafHash: res.logEntry.leafHash });
    const proof = await h.client().inclusionProof(res.logEntry.index);
    const cp = await h.client().checkpoint();
    expect(proof.treeSize).toBe(cp.treeSize);
    expect(checkInclusionProof(proof, cp.rootHash)).toBe(true);
    // Agency B's auditor does not see A's entry; an operator may not read the log.
    expect((await problemOf(h.client(1, 'auditor').getUsage(res.logEntry.index))).status).toBe(404);
    expect((await problemOf(op.getUsage(res.logEntry.index))).status).toBe(403);

    // Public verification: the report plus the registry's view.
    const v = await h.client().verifyJson(res.signature);
    expect(v.report.indication).toBe('TOTAL_PASSED');
    expect(v.registry[0]).toMatchObject({ seal: { id: seal.id }, agency: { id: A().id, name: A().name }, status: { state: 'active', revokedAt: null } });

    // Independent check: the jose library verifies the JWS with the seal certificate's key.
    const sealRecord = await op.getSeal(seal.id);
    const key = await importX509(leafPem(sealRecord.certificateChain), 'ES256');
    const out = await compactVerify(res.signature as string, key, { crit: { canon: true } });
    expect(JSON.parse(new TextDecoder().decode(out.payload))).toEqual({ invoice: 42, amount: '10.00' });

    // A tampered JWS is a failed report, not an error.
    const parts = (res.signature as string).split('.');
    const tampered = `${parts[0]}.${Buffer.from('{"invoice":43}').toString('base64url')}.${parts[2]}`;
    const bad = await h.client().verifyJson(tampered);
    expect(bad.report.indication).toBe('TOTAL_FAILED');
  });

  it('seals exactly what was sent: a duplicate member name or a number a double would change is refused (400), and nothing is logged', async () => {
    const seal = A().seals.find((s) => s.algorithm.startsWith('EC'))!;
    const before = (await h.client().checkpoint()).treeSize;
    for (const body of ['{"payload":{"amount":"10.00","amount":"99.00"}}', '{"payload":{"n":12345678901234567890}}', '{"payload":{"a":1},"payload":{"a":2}}']) {
      const res = await fetch(`${h.server.url}/v1/seals/${seal.id}/json`, { method: 'POST', headers: { authorization: `Bearer ${A().keys.operator}`, 'content-type': 'application/json' }, body });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(await res.json()).toMatchObject({ code: 'ERR_JSON_INVALID' });
    }
    expect((await h.client().checkpoint()).treeSize).toBe(before);
    // The same documents without the ambiguity are sealed as sent.
    const ok = await h.client(0, 'operator').sealJson(seal.id, { payload: { amount: '99.00', n: 9007199254740992 } });
    const sent = Buffer.from((ok.signature as string).split('.')[1]!, 'base64url').toString('utf8');
    expect(sent).toBe('{"amount":"99.00","n":9007199254740992}');
  });

  it('proves the log consistent between two checkpoints', async () => {
    const first = await h.client().checkpoint();
    await h.client(0, 'operator').sealJson(A().seals[0]!.id, { payload: { more: true } });
    const second = await h.client().checkpoint();
    expect(second.treeSize).toBeGreaterThan(first.treeSize);
    expect(second.note).toContain(String(second.treeSize));
    const proof = await h.client().consistencyProof(first.treeSize, second.treeSize);
    expect(checkConsistencyProof(proof, first.rootHash, second.rootHash)).toBe(true);
    expect(checkConsistencyProof(proof, first.rootHash, first.rootHash)).toBe(false);
    const tooBig = await h.server.app.inject({ method: 'GET', url: `/v1/log/consistency?from=1&to=${second.treeSize + 1000}` });
    expect(tooBig.statusCode).toBe(404);
  });

  it('seals in JSON serialization and verifies it', async () => {
    const seal = A().seals.find((s) => s.algorithm.startsWith('RSA'))!;
    const res = await h.client(0, 'operator').sealJson(seal.id, { payload: [1, 2, 3], format: 'json' });
    expect(typeof res.signature).toBe('object');
    const v = await h.client().verifyJson(res.signature);
    expect(v.report.indication).toBe('TOTAL_PASSED');
  });

  it('seals a batch; each document stands alone', async () => {
    const seal = A().seals[0]!;
    const docs = [
      { name: 'a.json', contentType: 'application/json' as const, data: Buffer.from('{"n":1}').toString('base64') },
      { name: 'broken.json', contentType: 'application/json' as const, data: Buffer.from('{"n":').toString('base64') },
      { name: 'b.json', contentType: 'application/json' as const, data: Buffer.from('{"n":2}').toString('base64') },
    ];
    const r = await h.client(0, 'operator').sealBatch(seal.id, docs);
    expect(r.results.map((x) => x.ok)).toEqual([true, false, true]);
    expect(r.results[1]!.error?.status).toBe(400);
    const jws = Buffer.from(r.results[0]!.data!, 'base64').toString('utf8');
    expect((await h.client().verifyJson(JSON.parse(jws))).report.indication).toBe('TOTAL_PASSED');
    expect(r.results[0]!.logEntry!.index).not.toBe(r.results[2]!.logEntry!.index);
  });
});

describe('seal lifecycle', () => {
  it('requests, approves under dual control, issues, and the operator can use the new seal', async () => {
    const adminA = h.client(0, 'admin');
    const req = await adminA.requestSeal(A().id, { name: 'Contracts seal', kind: 'contract', algorithm: 'EC-P256' });
    expect(req.state).toBe('pending');
    // The requester cannot approve their own request.
    expect((await problemOf(adminA.approveSealRequest(req.id))).status).toBe(403);
    // Agency B's officer does not even see it.
    expect((await problemOf(h.client(1, 'officer').approveSealRequest(req.id))).status).toBe(404);
    const officer = h.client(0, 'officer');
    expect((await officer.approveSealRequest(req.id)).state).toBe('approved');
    const issued = await officer.issueSeal(req.id);
    expect(issued.state).toBe('issued');
    const sealId = issued.sealId!;
    const seal = await officer.getSeal(sealId);
    expect(seal).toMatchObject({ state: 'active', kind: 'contract', agencyId: A().id });
    expect(seal).not.toHaveProperty('keyRef');
    const used = await h.client(0, 'operator').sealJson(sealId, { payload: { ok: true } });
    expect(used.logEntry.index).toBeGreaterThanOrEqual(0);
    // Suspend refuses use; reinstate allows it again.
    expect((await officer.suspendSeal(sealId)).state).toBe('suspended');
    const refused = await problemOf(h.client(0, 'operator').sealJson(sealId, { payload: { ok: true } }));
    expect(refused.status).toBe(409);
    expect(refused.problem?.code).toBe('ERR_SEAL_STATE');
    expect((await officer.reinstateSeal(sealId)).state).toBe('active');
    await h.client(0, 'operator').sealJson(sealId, { payload: { ok: 'again' } });
  });

  it('revoking B\'s seal refuses B\'s sealing, shows revoked in verification, OCSP and CRL (openssl)', async () => {
    const seal = B().seals.find((s) => s.algorithm.startsWith('RSA'))!;
    const opB = h.client(1, 'operator');
    const before = await opB.sealJson(seal.id, { payload: { sealedBefore: true } });
    // An operator cannot revoke; the officer of B can, with an RFC 5280 reason name.
    expect((await problemOf(opB.revokeSeal(seal.id, 'keyCompromise'))).status).toBe(403);
    const bad = await h.server.app.inject({
      method: 'POST',
      url: `/v1/seals/${seal.id}/revoke`,
      headers: { authorization: `Bearer ${B().keys.officer}` },
      payload: { reason: 'becauseISaySo' },
    });
    expect(bad.statusCode).toBe(400);
    const revoked = await h.client(1, 'officer').revokeSeal(seal.id, 'keyCompromise');
    expect(revoked.state).toBe('revoked');
    expect(revoked.revocation?.reason).toBe('keyCompromise');

    const refused = await problemOf(opB.sealJson(seal.id, { payload: { after: true } }));
    expect(refused.status).toBe(409);
    expect(refused.problem?.code).toBe('ERR_SEAL_STATE');

    // The document sealed before still names the seal; the registry view says revoked, with date and reason.
    const v = await h.client().verifyJson(before.signature);
    expect(v.registry[0]).toMatchObject({ seal: { id: seal.id, name: seal.name }, agency: { id: B().id }, status: { state: 'revoked', reason: 'keyCompromise' } });
    expect(v.registry[0]!.status!.revokedAt).toBe(revoked.revocation!.revokedAt);
    expect(v.report.signatures[0]!.revocation.status).toBe('revoked');

    // OCSP over real HTTP, asked and checked by openssl.
    const sealPem = join(work, 'seal-b.pem');
    writeFileSync(sealPem, leafPem(revoked.certificateChain));
    const ocspOut = await run('openssl', [
      'ocsp', '-issuer', join(CERTS_DEV, 'seal-ca.pem'), '-cert', sealPem, '-url', `${h.server.url}/v1/ocsp`, '-CAfile', join(CERTS_DEV, 'chain.pem'), '-resp_text',
    ]);
    expect(ocspOut).toMatch(/seal-b\.pem: revoked/);
    expect(ocspOut).toMatch(/Reason: keyCompromise/);
    // A seal of agency A is still good.
    const goodPem = join(work, 'seal-a.pem');
    writeFileSync(goodPem, leafPem((await h.client(0, 'operator').getSeal(A().seals[0]!.id)).certificateChain));
    const good = await run('openssl', ['ocsp', '-issuer', join(CERTS_DEV, 'seal-ca.pem'), '-cert', goodPem, '-url', `${h.server.url}/v1/ocsp`, '-CAfile', join(CERTS_DEV, 'chain.pem')]);
    expect(good).toMatch(/seal-a\.pem: good/);
    // The GET form of RFC 6960 gives the same answer for the same request (openssl makes it).
    const reqFile = join(work, 'req.der');
    await run('openssl', ['ocsp', '-issuer', join(CERTS_DEV, 'seal-ca.pem'), '-cert', sealPem, '-no_nonce', '-reqout', reqFile]);
    const getResp = join(work, 'resp-get.der');
    writeFileSync(getResp, await h.client().ocspGet(new Uint8Array(readFileSync(reqFile))));
    const getText = await run('openssl', ['ocsp', '-respin', getResp, '-issuer', join(CERTS_DEV, 'seal-ca.pem'), '-cert', sealPem, '-CAfile', join(CERTS_DEV, 'chain.pem')]);
    expect(getText).toMatch(/revoked/);

    // The CRL served over HTTP verifies under the CA and lists the serial with the reason.
    const crl = await h.client().crl(revoked.caId);
    const crlFile = join(work, 'ca.crl');
    writeFileSync(crlFile, crl);
    const crlText = await run('openssl', ['crl', '-inform', 'DER', '-in', crlFile, '-CAfile', join(CERTS_DEV, 'chain.pem'), '-noout', '-text']);
    expect(crlText.toUpperCase()).toContain(revoked.serialNumber.toUpperCase());
    expect(crlText).toContain('Key Compromise');
    expect((await problemOf(h.client().crl('no-such-ca'))).status).toBe(404);
  });
});

describe('bad input', () => {
  const opHeaders = () => ({ authorization: `Bearer ${A().keys.operator}` });

  it('answers malformed JSON, wrong shapes and wrong content types with 4xx problem+json', async () => {
    const seal = A().seals[0]!;
    const badJson = await h.server.app.inject({ method: 'POST', url: `/v1/seals/${seal.id}/json`, headers: { ...opHeaders(), 'content-type': 'application/json' }, payload: '{"payload": ' });
    expect(badJson.statusCode).toBe(400);
    expect(badJson.headers['content-type']).toContain('application/problem+json');
    expect(badJson.json().code).toBe('ERR_JSON_INVALID');
    const noPayload = await h.server.app.inject({ method: 'POST', url: `/v1/seals/${seal.id}/json`, headers: opHeaders(), payload: { nope: 1 } });
    expect(noPayload.statusCode).toBe(400);
    expect(noPayload.json().code).toBe('ERR_INPUT_INVALID');
    const wrongType = await h.server.app.inject({ method: 'POST', url: `/v1/seals/${seal.id}/json`, headers: { ...opHeaders(), 'content-type': 'application/xml' }, payload: '<a/>' });
    expect(wrongType.statusCode).toBe(415);
    const emptyPdf = await h.server.app.inject({ method: 'POST', url: '/v1/verify/pdf', headers: { 'content-type': 'application/pdf' }, payload: Buffer.alloc(0) });
    expect(emptyPdf.statusCode).toBe(400);
    const badJws = await h.server.app.inject({ method: 'POST', url: '/v1/verify/json', payload: { jws: 'not.a.jws!' } });
    expect(badJws.statusCode).toBeGreaterThanOrEqual(200);
    expect(badJws.statusCode).toBeLessThan(500);
    const badOcsp = await h.server.app.inject({ method: 'POST', url: '/v1/ocsp', headers: { 'content-type': 'application/ocsp-request' }, payload: Buffer.from('garbage') });
    // RFC 6960: a malformed request gets an OCSP error response (malformedRequest = 1), not a crash.
    expect(badOcsp.statusCode).toBe(200);
    expect([...badOcsp.rawPayload]).toEqual([0x30, 0x03, 0x0a, 0x01, 0x01]);
    const badProof = await h.server.app.inject({ method: 'GET', url: '/v1/log/entries/abc/proof' });
    expect(badProof.statusCode).toBe(400);
    // Truncated multipart, multipart without boundary, hostile nesting, broken URL encoding: 400, never 500.
    const truncated = await h.server.app.inject({
      method: 'POST',
      url: `/v1/seals/${seal.id}/pdf`,
      headers: { ...opHeaders(), 'content-type': 'multipart/form-data; boundary=xyz' },
      payload: '--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n%PDF',
    });
    expect(truncated.statusCode).toBe(400);
    const noBoundary = await h.server.app.inject({ method: 'POST', url: `/v1/seals/${seal.id}/pdf`, headers: { ...opHeaders(), 'content-type': 'multipart/form-data' }, payload: 'x' });
    expect(noBoundary.statusCode).toBe(400);
    const deep = `{"payload":${'['.repeat(50_000)}${']'.repeat(50_000)}}`;
    const deepSeal = await h.server.app.inject({ method: 'POST', url: `/v1/seals/${seal.id}/json`, headers: { ...opHeaders(), 'content-type': 'application/json' }, payload: deep });
    expect(deepSeal.statusCode).toBe(400);
    expect(deepSeal.json().code).toBe('ERR_JSON_INVALID');
    const badUrl = await h.server.app.inject({ method: 'GET', url: '/v1/ocsp/%%%' });
    expect(badUrl.statusCode).toBe(400);
    expect(badUrl.json().code).toBe('ERR_INPUT_INVALID');
    expect((await h.client().health()).status).toBe('ok');
  });

  it('refuses bodies over the limit with 413 and rate-limits per key with 429', async () => {
    const small = await startHarness({ limits: { pdfBodyLimit: 4096, jsonBodyLimit: 1024, rateLimitMax: 5 } });
    try {
      const seal = small.creds.agencies[0]!.seals[0]!;
      const op = small.client(0, 'operator');
      const big = await problemOf(op.sealJson(seal.id, { payload: { blob: 'x'.repeat(10_000) } }));
      expect(big.status).toBe(413);
      expect(big.problem?.code).toBe('ERR_INPUT_TOO_LARGE');
      const bigPdf = await problemOf(op.sealPdf(seal.id, new Uint8Array(10_000)));
      expect(bigPdf.status).toBe(413);
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        statuses.push(await op.me().then(() => 200, (e: ApiError) => e.status));
      }
      expect(statuses).toContain(429);
      // Another key has its own budget.
      expect((await small.client(0, 'auditor').me()).role).toBe('auditor');
    } finally {
      await small.close();
    }
  });
});

describe('secrets never reach responses or logs', () => {
  it('keeps API keys and private keys out of the captured logs', async () => {
    const lines: string[] = [];
    const logged = await startHarness({ logger: { level: 'debug', stream: { write: (l: string) => void lines.push(l) } } });
    try {
      const a = logged.creds.agencies[0]!;
      const op = logged.client(0, 'operator');
      await op.sealJson(a.seals[0]!.id, { payload: { x: 1 } });
      await problemOf(new SealClient({ baseUrl: logged.server.url, apiKey: `${a.keys.operator}x` }).me());
      await problemOf(op.sealJson(logged.creds.agencies[1]!.seals[0]!.id, { payload: { x: 1 } }));
      const all = lines.join('\n');
      expect(lines.length).toBeGreaterThan(3);
      for (const agency of logged.creds.agencies) for (const key of Object.values(agency.keys)) expect(all).not.toContain(key);
      expect(all).not.toContain(logged.creds.serviceAdmin);
      expect(all).not.toContain('PRIVATE KEY');
      const caKeyBody = readFileSync(join(CERTS_DEV, 'seal-ca.key.pem'), 'utf8').split('\n')[1]!;
      expect(all).not.toContain(caKeyBody);
      expect(all).not.toContain(readFileSync(join(logged.dataDir, 'master-secret'), 'utf8').trim());
    } finally {
      await logged.close();
    }
  });
});
