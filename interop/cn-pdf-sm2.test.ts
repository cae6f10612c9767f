/**
 * PDF with SM2 (issue 9 item 5), checked by independent tools. The SM2 keys and certificates are
 * made by OpenSSL (a CA and a seal certificate it issues); we load them the way the CLI does
 * (`seal pdf sign --cert --key --chain`), seal a PDF, and then:
 *   - qpdf --check accepts the file;
 *   - `openssl asn1parse` shows the GM/T 0010 OIDs (signedData 1.2.156.10197.6.1.4.2.2, data
 *     1.2.156.10197.6.1.4.2.1, sm3, SM2-with-SM3);
 *   - the message-digest attribute equals `openssl dgst -sm3` of the ByteRange bytes;
 *   - the SM2 signature verifies with `openssl pkeyutl -verify -rawin -digest sm3 -pkeyopt
 *     distid:1234567812345678` over the signed attributes (cut where asn1parse says they are, tag
 *     [0] turned into SET);
 *   - our verifyPdf reports the seal intact and valid, trusted through the OpenSSL SM2 CA (and not
 *     through a look-alike CA with another key), and a changed byte / signature as HASH_FAILURE /
 *     SIG_CRYPTO_FAILURE.
 * OpenSSL 3.0's `openssl cms -verify` cannot check SM2 CMS, hence the cut (see INTEROP.md).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSignerFromKeyFiles, parsePemCertificates } from '../packages/core/src/signer/load-key.js';
import { signPdf } from '../packages/core/src/pdf/sign-pdf.js';
import { verifyPdf } from '../packages/core/src/pdf/verify.js';
import { buildPdf, onePageObjects } from '../packages/core/src/pdf/testing/build-pdf.js';
import { verifyGmCms } from '../packages/core/src/cn/gm-cms.js';
import type { Signer } from '../packages/core/src/signer/signer.js';
import { PROJECT_ROOT } from '../test-support/corpus.js';

const HAVE_TOOLS = spawnSync('openssl', ['version']).status === 0 && spawnSync('qpdf', ['--version']).status === 0;
if (!HAVE_TOOLS) process.stdout.write('\nNOTICE: openssl/qpdf not found: the SM2 PDF interop tests were NOT run.\n');

const dir = mkdtempSync(join(tmpdir(), 'cn-pdf-sm2-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const p = (name: string): string => join(dir, name);

function openssl(...args: string[]): string {
  return execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** OpenSSL makes the SM2 PKI: a self-signed CA and a seal certificate issued by it. */
function makeOpensslPki(): void {
  const sm3 = ['-sm3', '-sigopt', 'distid:1234567812345678'];
  openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:SM2', '-out', p('ca.key.pem'));
  openssl('req', '-new', '-x509', '-key', p('ca.key.pem'), ...sm3, '-subj', '/CN=OpenSSL SM2 CA/C=CN', '-days', '30',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', p('ca.pem'));
  openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:SM2', '-out', p('seal.key.pem'));
  openssl('req', '-new', '-key', p('seal.key.pem'), ...sm3, '-subj', '/CN=SM2 Seal/O=Agency/C=CN', '-out', p('seal.csr'));
  writeFileSync(p('ext.cnf'), 'keyUsage=critical,digitalSignature,nonRepudiation\n');
  openssl('x509', '-req', '-in', p('seal.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key.pem'), ...sm3, '-vfyopt', 'distid:1234567812345678',
    '-days', '20', '-extfile', p('ext.cnf'), '-out', p('seal.pem'));
  openssl('x509', '-in', p('seal.pem'), '-pubkey', '-noout', '-out', p('seal.pub.pem'));
}

interface Sealed {
  pdf: Uint8Array;
  byteRange: [number, number, number, number];
  cms: Uint8Array;
}

/** ByteRange and the CMS (cut to its DER length) of the last signature, found by text search. */
function cut(pdf: Uint8Array): Sealed {
  const text = Buffer.from(pdf).toString('latin1');
  const all = [...text.matchAll(/\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/g)];
  const m = all[all.length - 1]!;
  const br = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])] as [number, number, number, number];
  const hex = text.slice(br[0] + br[1] + 1, br[2] - 1);
  const der = Buffer.from(hex, 'hex');
  expect(der[0]).toBe(0x30);
  const n = der[1]! & 0x7f;
  const len = der[1]! < 0x80 ? der[1]! + 2 : der.subarray(2, 2 + n).readUIntBE(0, n) + 2 + n;
  return { pdf, byteRange: br, cms: new Uint8Array(der.subarray(0, len)) };
}

interface Row {
  off: number;
  depth: number;
  hl: number;
  len: number;
  what: string;
}

function asn1parse(file: string): Row[] {
  const rows: Row[] = [];
  for (const line of openssl('asn1parse', '-inform', 'DER', '-in', file).split('\n')) {
    const m = /^\s*(\d+):d=(\d+)\s+hl=(\d+)\s+l=\s*(\d+)\s+(?:cons|prim):\s+(.*)$/.exec(line);
    if (m) rows.push({ off: Number(m[1]), depth: Number(m[2]), hl: Number(m[3]), len: Number(m[4]), what: m[5]!.trim() });
  }
  return rows;
}

describe.runIf(HAVE_TOOLS)('seal pdf sign with an SM2 key: GM/T 0010 CMS checked by OpenSSL and qpdf', () => {
  let signer: Signer;
  let sealed: Sealed;
  const input = buildPdf({ objects: onePageObjects('SM2 seal test'), root: 1 });

  beforeAll(async () => {
    makeOpensslPki();
    // the CLI's loading path: --cert seal.pem --key seal.key.pem --chain ca.pem
    signer = loadSignerFromKeyFiles({ cert: p('seal.pem'), key: p('seal.key.pem') }, [p('ca.pem')]);
    sealed = cut(await signPdf(input, signer, { reason: 'SM2 test', signingTime: new Date() }));
    writeFileSync(p('sealed.pdf'), sealed.pdf);
    writeFileSync(p('cms.der'), sealed.cms);
    const [a, b, c, d] = sealed.byteRange;
    writeFileSync(p('signed.bin'), Buffer.concat([sealed.pdf.subarray(a, a + b), sealed.pdf.subarray(c, c + d)]));
  });

  it('loads the OpenSSL SM2 key as the SM2 Signer, with the CA in its chain', () => {
    expect(signer.keyType).toBe('SM2');
    expect(signer.certificateChain).toHaveLength(2);
  });

  it('keeps the input as a byte-identical prefix and passes qpdf --check', () => {
    expect(Buffer.from(sealed.pdf.subarray(0, input.length)).equals(Buffer.from(input))).toBe(true);
    const r = spawnSync('qpdf', ['--check', p('sealed.pdf')], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toContain('No syntax or stream encoding errors');
    expect(r.status).toBe(0);
  });

  it('uses the GM/T 0010 object identifiers', () => {
    const rows = asn1parse(p('cms.der'));
    expect(rows[1]!.what).toBe('OBJECT            :1.2.156.10197.6.1.4.2.2');
    expect(rows.some((r) => r.what.endsWith(':1.2.156.10197.6.1.4.2.1'))).toBe(true);
    expect(rows.filter((r) => r.what.endsWith(':sm3')).length).toBeGreaterThanOrEqual(2);
    expect(rows.some((r) => r.what.endsWith(':SM2-with-SM3') && r.depth === 6)).toBe(true);
  });

  it('message-digest = openssl dgst -sm3 of the ByteRange bytes', () => {
    const dgst = /=\s*([0-9a-f]{64})/.exec(openssl('dgst', '-sm3', p('signed.bin')))![1]!;
    const rows = asn1parse(p('cms.der'));
    const i = rows.findIndex((r) => r.what.endsWith(':messageDigest'));
    expect(i).toBeGreaterThan(0);
    const md = /\[HEX DUMP\]:([0-9A-F]+)/.exec(rows[i + 2]!.what)![1]!;
    expect(md.toLowerCase()).toBe(dgst);
  });

  it('the SM2 signature over the signed attributes verifies with openssl pkeyutl', () => {
    const rows = asn1parse(p('cms.der'));
    const attrs = rows.filter((r) => r.depth === 5 && r.what.startsWith('cont [ 0 ]')).pop()!;
    const sig = rows.filter((r) => r.depth === 5 && r.what.startsWith('OCTET STRING')).pop()!;
    expect(attrs.off).toBeLessThan(sig.off);
    const tbs = Uint8Array.from(sealed.cms.subarray(attrs.off, attrs.off + attrs.hl + attrs.len));
    tbs[0] = 0x31;
    writeFileSync(p('tbs.bin'), tbs);
    writeFileSync(p('sig.bin'), sealed.cms.subarray(sig.off + sig.hl, sig.off + sig.hl + sig.len));
    const verify = (data: string): ReturnType<typeof spawnSync> =>
      spawnSync('openssl', ['pkeyutl', '-verify', '-rawin', '-digest', 'sm3', '-pubin', '-inkey', p('seal.pub.pem'), '-pkeyopt', 'distid:1234567812345678', '-in', data, '-sigfile', p('sig.bin')], { encoding: 'utf8' });
    const ok = verify(p('tbs.bin'));
    expect(ok.stdout).toContain('Signature Verified Successfully');
    expect(ok.status).toBe(0);
    // the same check fails over other bytes: it can fail
    const other = Uint8Array.from(tbs);
    other[other.length - 1] = other[other.length - 1]! ^ 1;
    writeFileSync(p('tbs2.bin'), other);
    expect(verify(p('tbs2.bin')).status).not.toBe(0);
  });

  it('our verifier: intact and valid SM2-with-SM3; trusted when the seal certificate is the anchor', async () => {
    const report = await verifyPdf(sealed.pdf, { trustAnchors: parsePemCertificates(readFileSync(p('seal.pem'))) });
    const s = report.signatures[0]!;
    expect(s.intact).toBe(true);
    expect(s.valid).toBe(true);
    expect(s.algorithm).toBe('SM2-with-SM3');
    expect(s.signer?.subject).toContain('SM2 Seal');
    expect(s.trusted).toBe(true);
    expect(s.indication).toBe('TOTAL_PASSED');
    // no anchor: the maths still hold, trust does not
    const untrusted = (await verifyPdf(sealed.pdf)).signatures[0]!;
    expect(untrusted.valid).toBe(true);
    expect(untrusted.indication).toBe('INDETERMINATE');
    expect(untrusted.trusted).toBe(false);
  });

  it('our verifier: the chain through the OpenSSL SM2 CA is trusted (SM2-with-SM3 certificate signatures checked)', async () => {
    const ca = parsePemCertificates(readFileSync(p('ca.pem')));
    const s = (await verifyPdf(sealed.pdf, { trustAnchors: ca, revocationPolicy: 'if-available' })).signatures[0]!;
    expect(s.errors).toEqual([]);
    expect(s.trusted).toBe(true);
    expect(s.indication).toBe('TOTAL_PASSED');
    expect(s.chain).toHaveLength(2);
    // a CA whose key did not sign the seal certificate (same name, other key) is not a path
    const sm3 = ['-sm3', '-sigopt', 'distid:1234567812345678'];
    openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:SM2', '-out', p('fake.key.pem'));
    openssl('req', '-new', '-x509', '-key', p('fake.key.pem'), ...sm3, '-subj', '/CN=OpenSSL SM2 CA/C=CN', '-days', '30',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', p('fake.pem'));
    const f = (await verifyPdf(sealed.pdf, { trustAnchors: parsePemCertificates(readFileSync(p('fake.pem'))), revocationPolicy: 'if-available' })).signatures[0]!;
    expect(f.valid).toBe(true);
    expect(f.trusted).toBe(false);
    expect(f.indication).toBe('INDETERMINATE');
  });

  it('a changed signed byte is HASH_FAILURE; a changed signature is SIG_CRYPTO_FAILURE', async () => {
    const bad = Uint8Array.from(sealed.pdf);
    const pos = Buffer.from(input).indexOf('SM2 seal test') + 1; // the page text, inside the ByteRange
    bad[pos] = bad[pos]! ^ 0x01;
    const r1 = await verifyPdf(bad);
    expect(r1.signatures[0]!.indication).toBe('TOTAL_FAILED');
    expect(r1.signatures[0]!.subIndication).toBe('HASH_FAILURE');
    const rows = asn1parse(p('cms.der'));
    const sig = rows.filter((r) => r.depth === 5 && r.what.startsWith('OCTET STRING')).pop()!;
    const cms = Uint8Array.from(sealed.cms);
    const at = sig.off + sig.hl + sig.len - 3; // inside s
    cms[at] = cms[at]! ^ 0x01;
    const gm = verifyGmCms(cms, { detachedContent: [readFileSync(p('signed.bin'))] });
    expect(gm.intact).toBe(true);
    expect(gm.valid).toBe(false);
    expect(gm.subIndication).toBe('SIG_CRYPTO_FAILURE');
  });

  it('the CLI: seal pdf sign --cert --key --chain with OpenSSL SM2 files, then seal pdf verify --trust', () => {
    const tsx = join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');
    const main = join(PROJECT_ROOT, 'apps', 'cli', 'src', 'main.ts');
    writeFileSync(p('in.pdf'), input);
    const sign = spawnSync(tsx, [main, 'pdf', 'sign', p('in.pdf'), '-o', p('cli.pdf'), '--cert', p('seal.pem'), '--key', p('seal.key.pem'), '--chain', p('ca.pem')], { encoding: 'utf8', cwd: PROJECT_ROOT });
    expect(sign.stderr).toContain('sealed ');
    expect(sign.status).toBe(0);
    expect(spawnSync('qpdf', ['--check', p('cli.pdf')]).status).toBe(0);
    const verify = spawnSync(tsx, [main, 'pdf', 'verify', p('cli.pdf'), '--trust', p('seal.pem')], { encoding: 'utf8', cwd: PROJECT_ROOT });
    expect(verify.stdout).toContain('signature valid (SM2-with-SM3)');
    expect(verify.stdout).toContain('TOTAL_PASSED');
    expect(verify.status).toBe(0);
    // an explicit SHA-2 choice with an SM2 key is refused (ERR_ALG_UNSUPPORTED, exit 65), not silently ignored
    const sha = spawnSync(tsx, [main, 'pdf', 'sign', p('in.pdf'), '-o', p('cli2.pdf'), '--cert', p('seal.pem'), '--key', p('seal.key.pem'), '--hash', 'SHA-384'], { encoding: 'utf8', cwd: PROJECT_ROOT });
    expect(sha.status).toBe(65);
    expect(sha.stderr).toContain('SM3');
  }, 180_000);
});
