/**
 * PDF sealing end to end over real HTTP, with the worker-thread pool: seal as agency A (checked
 * by pdfsig), co-seal as agency B, revoke B's seal, then B is refused and verification shows the
 * seal revoked while the document still names it; 50 concurrent sealings all succeed and are all
 * in the usage log; /healthz keeps answering while they run.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInclusionProof } from '@seal/registry';
import { ApiError } from '@seal/client';
import { CERTS_DEV, startHarness, type Harness } from './testing/harness.js';
import { onePagePdf } from './testing/pdf.js';

const exec = promisify(execFile);
let h: Harness;
let work: string;
let nssDir: string;

async function pdfsig(pdf: Uint8Array, name: string): Promise<string> {
  const file = join(work, name);
  writeFileSync(file, pdf);
  // pdfsig exits non-zero for some verdicts; the text is what we judge.
  const r = await exec('pdfsig', ['-nssdir', `sql:${nssDir}`, file], { encoding: 'utf8' }).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
  return r.stdout;
}

beforeAll(async () => {
  h = await startHarness({ threads: 2 });
  work = mkdtempSync(join(tmpdir(), 'seal-api-pdf-'));
  nssDir = join(work, 'nss');
  await exec('mkdir', ['-p', nssDir]);
  await exec('certutil', ['-N', '-d', `sql:${nssDir}`, '--empty-password']);
  await exec('certutil', ['-A', '-d', `sql:${nssDir}`, '-n', 'root', '-t', 'C,C,C', '-a', '-i', join(CERTS_DEV, 'root-ca.pem')]);
});

afterAll(async () => {
  await h?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('PDF sealing through the API', () => {
  it('seals as A, co-seals as B, and after B is revoked refuses B while verification names the revoked seal', async () => {
    const A = h.creds.agencies[0]!;
    const B = h.creds.agencies[1]!;
    const sealA = A.seals.find((s) => s.algorithm.startsWith('RSA'))!;
    const sealB = B.seals.find((s) => s.algorithm.startsWith('EC'))!;

    const first = await h.client(0, 'operator').sealPdf(sealA.id, onePagePdf());
    expect(first.logEntry.index).toBeGreaterThanOrEqual(0);
    const sig1 = await pdfsig(first.pdf, 'a.pdf');
    expect(sig1).toContain('Signature Validation: Signature is Valid.');
    expect(sig1).toContain('Certificate Validation: Certificate is Trusted.');
    expect(sig1).toContain('Total document signed');

    // Co-seal as B, with options through multipart: a visible seal on page 1 with a reason.
    const second = await h.client(1, 'operator').sealPdf(sealB.id, first.pdf, { visible: true, page: 1, rect: [300, 40, 160, 80], reason: 'co-sealed' });
    const sig2 = await pdfsig(second.pdf, 'ab.pdf');
    expect(sig2.match(/Signature is Valid\./g)?.length).toBe(2);
    // The multipart options reached the sealer: the reason is in the new revision.
    expect(Buffer.from(second.pdf.subarray(first.pdf.length)).toString('latin1')).toContain('co-sealed');
    expect(Buffer.from(second.pdf.subarray(0, first.pdf.length)).equals(Buffer.from(first.pdf))).toBe(true);

    const revoked = await h.client(1, 'officer').revokeSeal(sealB.id, 'keyCompromise');
    expect(revoked.state).toBe('revoked');
    const refused = await h.client(1, 'operator').sealPdf(sealB.id, onePagePdf()).then(
      () => null,
      (e: ApiError) => e,
    );
    expect(refused?.status).toBe(409);
    expect(refused?.problem?.code).toBe('ERR_SEAL_STATE');

    const v = await h.client().verifyPdf(second.pdf);
    expect(v.report.signatures).toHaveLength(2);
    expect(v.registry[0]).toMatchObject({ seal: { id: sealA.id }, agency: { id: A.id }, status: { state: 'active' } });
    expect(v.registry[1]).toMatchObject({ seal: { id: sealB.id, name: sealB.name }, agency: { id: B.id }, status: { state: 'revoked', reason: 'keyCompromise' } });
    expect(v.report.signatures[0]!.indication).toBe('TOTAL_PASSED');
    expect(v.report.signatures[1]!.revocation.status).toBe('revoked');
  });

  it('answers RFC 3161 queries (openssl ts) and seals PAdES B-T with its own TSA', async () => {
    const data = join(work, 'data.txt');
    writeFileSync(data, 'time-stamp me');
    const query = join(work, 'q.tsq');
    await exec('openssl', ['ts', '-query', '-data', data, '-sha256', '-cert', '-out', query]);
    const reply = await h.client().timestamp(new Uint8Array(readFileSync(query)));
    const replyFile = join(work, 'r.tsr');
    writeFileSync(replyFile, reply);
    const chain = join(work, 'tsa-chain.pem');
    writeFileSync(chain, readFileSync(join(CERTS_DEV, 'root-ca.pem')));
    const verified = await exec('openssl', ['ts', '-verify', '-data', data, '-in', replyFile, '-CAfile', chain], { encoding: 'utf8' });
    expect(verified.stdout).toContain('Verification: OK');
    const garbage = await h.server.app.inject({ method: 'POST', url: '/v1/tsa', headers: { 'content-type': 'application/timestamp-query' }, payload: Buffer.from('nope') });
    expect(garbage.statusCode).toBe(200);
    expect(garbage.rawPayload.length).toBeGreaterThan(0);

    const A = h.creds.agencies[0]!;
    const bt = await h.client(0, 'operator').sealPdf(A.seals[0]!.id, onePagePdf('B-T'), { level: 'B-T' });
    const v = await h.client().verifyPdf(bt.pdf);
    expect(v.report.signatures[0]!.level).toBe('B-T');
    expect(v.report.signatures[0]!.timestamp?.valid).toBe(true);
  });

  it('refuses a file that is not a PDF with 400 and keeps no log entry for it', async () => {
    const A = h.creds.agencies[0]!;
    const before = (await h.client().checkpoint()).treeSize;
    const e = await h.client(0, 'operator').sealPdf(A.seals[0]!.id, new TextEncoder().encode('not a pdf at all')).then(
      () => null,
      (err: ApiError) => err,
    );
    expect(e?.status).toBe(400);
    expect((await h.client().checkpoint()).treeSize).toBe(before);
  });

  it('50 concurrent sealings all succeed, all are in the log, and /healthz stays fast', async () => {
    const A = h.creds.agencies[0]!;
    const op = h.client(0, 'operator');
    const pdf = onePagePdf('concurrent');
    const started = Date.now();
    const jobs = Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? op.sealPdf(A.seals[0]!.id, pdf) : op.sealJson(A.seals[1]!.id, { payload: { i } })));
    // While they run, liveness answers quickly: the work is in the worker threads.
    const t0 = Date.now();
    const health = await h.client().health();
    const healthMs = Date.now() - t0;
    const results = await Promise.all(jobs);
    expect(health.status).toBe('ok');
    expect(healthMs).toBeLessThan(Math.max(1500, (Date.now() - started) / 2));
    const indexes = results.map((r) => r.logEntry.index);
    expect(new Set(indexes).size).toBe(50);
    const cp = await h.client().checkpoint();
    expect(cp.treeSize).toBeGreaterThan(Math.max(...indexes));
    const auditor = h.client(0, 'auditor');
    for (const r of results) {
      const entry = await auditor.getUsage(r.logEntry.index);
      expect(entry.leafHash).toBe(r.logEntry.leafHash);
    }
    const proof = await h.client().inclusionProof(indexes[7]!, cp.treeSize);
    expect(checkInclusionProof(proof, cp.rootHash)).toBe(true);
  });
});
