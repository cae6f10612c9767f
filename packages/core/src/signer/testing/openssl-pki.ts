/**
 * TEST ONLY. A throw-away PKI made with the openssl command line (an independent tool), for the
 * key-loading, CMS and TSA tests:
 *
 *   root-rsa (RSA-2048 CA) ── ca-ec (ECDSA P-384 CA) ── rsa (RSA-2048 seal), p384 (ECDSA P-384 seal)
 *   root-ec (ECDSA P-384 CA) ── ca-rsa (RSA-2048 CA) ── p256 (ECDSA P-256 seal), rsa3072 (RSA-3072 seal)
 *   root-rsa ── tsa (RSA-2048, critical EKU timeStamping)
 *
 * So every seal has a chain whose CA key type differs from its own. Keys are PKCS#8 PEM.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type LeafName = 'rsa' | 'p384' | 'p256' | 'rsa3072';

export interface TestEntity {
  certPath: string;
  keyPath: string;
  certPem: string;
  keyPem: string;
}

export interface TestPki {
  dir: string;
  rootRsa: TestEntity;
  rootEc: TestEntity;
  caEc: TestEntity;
  caRsa: TestEntity;
  leaves: Record<LeafName, TestEntity & { chainPem: string; rootPath: string; rootPem: string }>;
  tsa: TestEntity & { chainPem: string; rootPath: string };
  /** Both roots in one PEM file, for -CAfile. */
  rootsPath: string;
  cleanup(): void;
}

const EXT = `
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[tsa]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;

export function openssl(args: readonly string[], input?: Uint8Array | string): Buffer {
  return execFileSync('openssl', args, { input, stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
}

/** stdout + stderr of an openssl run that must succeed (for commands that report on stderr). */
export function opensslText(args: readonly string[], input?: Uint8Array | string): string {
  const r = spawnSync('openssl', args, { input, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr.toString()}`);
  return r.stdout.toString() + r.stderr.toString();
}

function genKey(path: string, kind: 'rsa2048' | 'rsa3072' | 'P-256' | 'P-384'): void {
  const args =
    kind === 'rsa2048' || kind === 'rsa3072'
      ? ['genpkey', '-algorithm', 'RSA', '-pkeyopt', `rsa_keygen_bits:${kind === 'rsa2048' ? 2048 : 3072}`, '-out', path]
      : ['genpkey', '-algorithm', 'EC', '-pkeyopt', `ec_paramgen_curve:${kind}`, '-out', path];
  openssl(args);
}

export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'seal-test-pki-'));
  const extPath = join(dir, 'ext.cnf');
  writeFileSync(extPath, EXT);
  let serial = 1000;
  const entity = (name: string): TestEntity => {
    const certPath = join(dir, `${name}.pem`);
    const keyPath = join(dir, `${name}.key.pem`);
    return {
      certPath,
      keyPath,
      get certPem() {
        return readFileSync(certPath, 'utf8');
      },
      get keyPem() {
        return readFileSync(keyPath, 'utf8');
      },
    };
  };
  const root = (name: string, kind: 'rsa2048' | 'P-384'): TestEntity => {
    const e = entity(name);
    genKey(e.keyPath, kind);
    openssl(['req', '-x509', '-new', '-key', e.keyPath, '-sha256', '-days', '3650', '-subj', `/O=Seal Test/CN=Test ${name}`,
      '-set_serial', String(serial++), '-config', extPath, '-extensions', 'ca', '-out', e.certPath]);
    return e;
  };
  const issue = (name: string, kind: 'rsa2048' | 'rsa3072' | 'P-256' | 'P-384', issuer: TestEntity, ext: 'ca' | 'leaf' | 'tsa'): TestEntity => {
    const e = entity(name);
    genKey(e.keyPath, kind);
    const csr = join(dir, `${name}.csr`);
    openssl(['req', '-new', '-key', e.keyPath, '-subj', `/C=XX/O=Seal Test Agency/CN=Test ${name}`, '-out', csr]);
    openssl(['x509', '-req', '-in', csr, '-CA', issuer.certPath, '-CAkey', issuer.keyPath, '-set_serial', String(serial++),
      '-days', '3650', '-sha384', '-extfile', extPath, '-extensions', ext, '-out', e.certPath]);
    return e;
  };
  const rootRsa = root('root-rsa', 'rsa2048');
  const rootEc = root('root-ec', 'P-384');
  const caEc = issue('ca-ec', 'P-384', rootRsa, 'ca');
  const caRsa = issue('ca-rsa', 'rsa2048', rootEc, 'ca');
  const withChain = (e: TestEntity, ca: TestEntity, r: TestEntity) => ({
    ...e,
    certPath: e.certPath,
    keyPath: e.keyPath,
    certPem: e.certPem,
    keyPem: e.keyPem,
    chainPem: ca.certPem + r.certPem,
    rootPath: r.certPath,
    rootPem: r.certPem,
  });
  const leaves = {
    rsa: withChain(issue('rsa', 'rsa2048', caEc, 'leaf'), caEc, rootRsa),
    p384: withChain(issue('p384', 'P-384', caEc, 'leaf'), caEc, rootRsa),
    p256: withChain(issue('p256', 'P-256', caRsa, 'leaf'), caRsa, rootEc),
    rsa3072: withChain(issue('rsa3072', 'rsa3072', caRsa, 'leaf'), caRsa, rootEc),
  };
  const tsaE = issue('tsa', 'rsa2048', rootRsa, 'tsa');
  const tsa = { ...tsaE, certPem: tsaE.certPem, keyPem: tsaE.keyPem, chainPem: rootRsa.certPem, rootPath: rootRsa.certPath };
  const rootsPath = join(dir, 'roots.pem');
  writeFileSync(rootsPath, rootRsa.certPem + rootEc.certPem);
  return {
    dir,
    rootRsa,
    rootEc,
    caEc,
    caRsa,
    leaves,
    tsa,
    rootsPath,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
