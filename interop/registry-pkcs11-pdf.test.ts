/**
 * End to end through the registry: a seal whose key lives in a SoftHSM2 token (PKCS#11) seals a
 * PDF with core's signPdf, and poppler's pdfsig judges it with the dev root in a throw-away NSS
 * database. The seal certificate's OCSP URL points at this test's own HTTP server, which answers
 * from the registry: NSS really asks it, so revoking the seal flips pdfsig's verdict.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../test-support/corpus.js';
import { signPdf } from '../packages/core/src/pdf/sign-pdf.js';
import { buildPdf, onePageObjects } from '../packages/core/src/pdf/testing/build-pdf.js';
import { Pkcs11KeyStore } from '../packages/registry/src/keystore/pkcs11.js';
import { openDevRegistry } from '../packages/registry/src/testing/fixtures.js';
import type { Registry } from '../packages/registry/src/registry.js';

const run = promisify(execFile);
const MODULE = '/usr/lib/softhsm/libsofthsm2.so';
for (const tool of ['pdfsig', 'certutil', 'softhsm2-util']) {
  if (spawnSync(tool, ['--version'], { stdio: 'ignore' }).error) throw new Error(`interop/registry-pkcs11-pdf: required tool ${tool} is not installed`);
}
if (!existsSync(MODULE)) throw new Error(`interop/registry-pkcs11-pdf: SoftHSM2 module ${MODULE} missing`);

describe('PDF sealed through a PKCS#11 registry seal, judged by pdfsig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reg-p11-pdf-'));
  const nss = join(dir, 'nss');
  let server: Server;
  let reg: Registry;
  let requests = 0;

  beforeAll(async () => {
    mkdirSync(join(dir, 'tokens'));
    writeFileSync(join(dir, 'softhsm2.conf'), `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
    process.env['SOFTHSM2_CONF'] = join(dir, 'softhsm2.conf');
    execFileSync('softhsm2-util', ['--init-token', '--free', '--label', 'pdf-seals', '--pin', '424242', '--so-pin', '97531135'], { stdio: 'pipe' });
    mkdirSync(nss);
    execFileSync('certutil', ['-N', '-d', `sql:${nss}`, '--empty-password']);
    execFileSync('certutil', ['-A', '-d', `sql:${nss}`, '-n', 'root', '-t', 'C,C,C', '-a', '-i', resolve(PROJECT_ROOT, 'certs-dev', 'root-ca.pem')]);

    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void (async () => {
          requests++;
          let body: Uint8Array;
          if (req.method === 'POST' && req.url === '/v1/ocsp') body = await reg.respondOcsp(Buffer.concat(chunks));
          else if (req.method === 'GET' && req.url?.startsWith('/v1/ocsp/')) body = await reg.respondOcsp(Buffer.from(decodeURIComponent(req.url.slice(9)), 'base64'));
          else if (req.method === 'GET' && req.url === `/v1/crl/${reg.caId}`) body = (await reg.currentCrl()).der;
          else {
            res.writeHead(404).end();
            return;
          }
          res.writeHead(200, { 'content-type': req.url?.startsWith('/v1/crl') ? 'application/pkix-crl' : 'application/ocsp-response' }).end(Buffer.from(body));
        })();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    reg = await openDevRegistry(join(dir, 'r.db'), {
      baseUrl: `http://127.0.0.1:${port}`,
      keyStore: new Pkcs11KeyStore({ module: MODULE, tokenLabel: 'pdf-seals', pin: '424242' }),
    });
  });
  afterAll(async () => {
    await reg?.close();
    await new Promise((r) => server?.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  const pdfsig = async (file: string): Promise<string> => (await run('pdfsig', ['-nssdir', `sql:${nss}`, file])).stdout;

  it('signs a PDF valid and trusted in pdfsig (OCSP good from the registry), then revoked after revokeSeal', async () => {
    const admin = (await reg.bootstrapAdmin('admin')).account;
    const ag = reg.createAgency(admin, 'Agency PDF').id;
    const officer = (await reg.createAccount(admin, { name: 'officer', role: 'officer', agencyId: ag })).account;
    const operator = (await reg.createAccount(admin, { name: 'operator', role: 'operator', agencyId: ag })).account;
    const req = reg.requestSeal(operator, { agencyId: ag, kind: 'official', name: 'Token Seal', algorithm: 'EC-P256' });
    reg.approveRequest(officer, req.id);
    const seal = await reg.issueSeal(officer, req.id);
    expect(seal.keyRef).toMatch(/^p11:/);

    const signer = await reg.getSealSigner(operator, seal.id);
    const input = buildPdf({ objects: onePageObjects('sealed by a token key'), root: 1 });
    const out = await signPdf(input, signer, { reason: 'PKCS#11 test' });
    const file = join(dir, 'sealed.pdf');
    writeFileSync(file, out);

    const good = await pdfsig(file);
    expect(good).toContain('Signature Validation: Signature is Valid.');
    expect(good).toContain('Certificate Validation: Certificate is Trusted.');
    expect(good).toContain('Total document signed');
    expect(good).toContain('Token Seal');
    expect(requests).toBeGreaterThan(0);

    await reg.revokeSeal(officer, seal.id, { reason: 'keyCompromise' });
    const revoked = await pdfsig(file);
    expect(revoked).toContain('Signature Validation: Signature is Valid.');
    expect(revoked).toContain('Certificate Validation: Certificate has been Revoked.');
  });
});
