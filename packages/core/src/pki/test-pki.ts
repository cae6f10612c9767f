/**
 * Test helper (not exported from the package): builds a throw-away PKI with the openssl command line
 * (an independent implementation): root, intermediate, leaf, a same-name root with another key,
 * a TSA and an OCSP responder, CRLs and OCSP responses.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  dir: string;
  der(name: string): Uint8Array;
  pem(name: string): string;
  file(name: string): string;
  openssl(args: string[]): string;
}

const CONF = `
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
[ dummy ]
[ ca_ext ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ ca0_ext ]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ leaf_ext ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ enc_ext ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,keyEncipherment
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ tsa_ext ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = critical,timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ ocsp_ext ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = OCSPSigning
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ ca ]
default_ca = CA_default
[ CA_default ]
dir = .
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = pol
default_crl_days = 3650
[ pol ]
commonName = supplied
`;

/** A TestPki over the files in `dir`, made there with `run` (openssl in that directory). */
function testPkiIn(dir: string, run: (args: string[]) => string): TestPki {
  return {
    dir,
    file: (n) => join(dir, n),
    pem: (n) => readFileSync(join(dir, n), 'latin1'),
    der: (n) => {
      const text = readFileSync(join(dir, n), 'latin1');
      const m = /-----BEGIN [A-Z0-9 ]+-----([\s\S]*?)-----END/.exec(text);
      return new Uint8Array(m ? Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64') : readFileSync(join(dir, n)));
    },
    openssl: run,
  };
}

/** An openssl runner working in `dir`. */
function opensslIn(dir: string): (args: string[]) => string {
  return (args) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }).toString('latin1');
}

export function buildTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'seal-pki-'));
  const run = opensslIn(dir);
  writeFileSync(join(dir, 'openssl.cnf'), CONF);
  const key = (name: string) => run(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`]);
  const selfSigned = (name: string, cn: string) => {
    key(name);
    run(['req', '-config', 'openssl.cnf', '-new', '-x509', '-key', `${name}.key`, '-subj', `/CN=${cn}/O=Test`, '-days', '7300', '-set_serial', '1', '-extensions', 'ca_ext', '-out', `${name}.pem`]);
  };
  const issue = (name: string, cn: string, issuer: string, ext: string, days = 3650) => {
    key(name);
    run(['req', '-config', 'openssl.cnf', '-new', '-key', `${name}.key`, '-subj', `/CN=${cn}/O=Test`, '-out', `${name}.csr`]);
    const serial = String(Math.floor(Math.random() * 1e9) + 1000);
    const args = ['x509', '-req', '-in', `${name}.csr`, '-CA', `${issuer}.pem`, '-CAkey', `${issuer}.key`, '-set_serial', serial, '-extfile', 'openssl.cnf', '-extensions', ext, '-out', `${name}.pem`];
    args.push('-days', String(days));
    run(args);
  };
  // root and seal CA through an openssl CA database, backdated to 2024 so tests can validate in the past
  writeFileSync(join(dir, 'root-index.txt'), '');
  writeFileSync(join(dir, 'root-serial'), '01\n');
  writeFileSync(join(dir, 'openssl-root.cnf'), CONF.replace('database = index.txt', 'database = root-index.txt').replace('serial = serial', 'serial = root-serial'));
  const dbIssue = (conf: string, name: string, cn: string, issuer: string | null, ext: string) => {
    key(name);
    run(['req', '-config', 'openssl.cnf', '-new', '-key', `${name}.key`, '-subj', `/CN=${cn}`, '-out', `${name}.csr`]);
    const signer = issuer === null ? ['-selfsign', '-keyfile', `${name}.key`] : ['-cert', `${issuer}.pem`, '-keyfile', `${issuer}.key`];
    run(['ca', '-config', conf, ...signer, '-batch', '-notext', '-in', `${name}.csr`, '-out', `${name}.pem`, '-startdate', '20240101000000Z', '-enddate', '20491231000000Z', '-extensions', ext]);
  };
  dbIssue('openssl-root.cnf', 'root', 'Test Root', null, 'ca_ext');
  dbIssue('openssl-root.cnf', 'ca', 'Test Seal CA', 'root', 'ca0_ext');
  selfSigned('fakeroot', 'Test Root'); // same name, other key
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '1000\n');
  issue('enc', 'Encryption Only', 'ca', 'enc_ext');
  issue('sub', 'Sub CA below pathlen 0', 'ca', 'ca_ext');
  issue('deep', 'Below Sub CA', 'sub', 'leaf_ext');
  issue('tsa', 'Test TSA', 'root', 'tsa_ext');
  issue('ocsp', 'Test OCSP', 'ca', 'ocsp_ext');
  // CA database for CRL / OCSP: leaf2 revoked (keyCompromise)
  const caArgs = ['-config', 'openssl.cnf', '-cert', 'ca.pem', '-keyfile', 'ca.key'];
  // leaf and leaf2 are issued through the CA database (backdated to 2024) so CRL/OCSP know them
  for (const [name, cn] of [['leaf', 'Agency Test Seal'], ['leaf2', 'Agency Two']] as const) {
    key(name);
    run(['req', '-config', 'openssl.cnf', '-new', '-key', `${name}.key`, '-subj', `/CN=${cn}`, '-out', `${name}.csr`]);
    run(['ca', ...caArgs, '-batch', '-notext', '-in', `${name}.csr`, '-out', `${name}.pem`, '-startdate', '20240101000000Z', '-enddate', '20491231000000Z', '-extensions', 'leaf_ext']);
  }
  // the root's CRL (nothing revoked) so the CA certificate's status is known too
  run(['ca', '-config', 'openssl-root.cnf', '-cert', 'root.pem', '-keyfile', 'root.key', '-gencrl', '-out', 'root.crl']);
  run(['ca', ...caArgs, '-gencrl', '-out', 'ca-empty.crl']);
  run(['ca', ...caArgs, '-revoke', 'leaf2.pem', '-crl_reason', 'keyCompromise']);
  run(['ca', ...caArgs, '-gencrl', '-out', 'ca-revoked.crl']);
  const t = testPkiIn(dir, run);
  // OCSP responses by the delegated responder (ocsp.pem) and by the CA itself
  const ocsp = (cert: string, out: string, signer: string) => {
    run(['ocsp', '-issuer', 'ca.pem', '-cert', `${cert}.pem`, '-reqout', `${out}.req`, '-no_nonce']);
    run(['ocsp', '-index', 'index.txt', '-rsigner', `${signer}.pem`, '-rkey', `${signer}.key`, '-CA', 'ca.pem', '-reqin', `${out}.req`, '-respout', `${out}.der`, '-ndays', '3650']);
  };
  ocsp('leaf', 'ocsp-leaf-good', 'ocsp');
  ocsp('leaf2', 'ocsp-leaf2-revoked', 'ocsp');
  ocsp('leaf', 'ocsp-leaf-good-byca', 'ca');
  ocsp('leaf', 'ocsp-leaf-bad-signer', 'leaf');
  return t;
}

/**
 * A throw-away PKI whose certificates point at `base` (a loopback HTTP server the test runs):
 * root -> "Test AIA CA" (its own caIssuers names its own URL, a loop when the root is unknown)
 * -> leaves that differ in their AIA caIssuers URLs:
 *   leaf        caIssuers base/ca.cer (DER), OCSP base/ocsp, CRL base/ca.crl
 *   leaf-p7     caIssuers ldap://... then base/ca.p7c (certs-only PKCS#7), CRL base/ca.crl
 *   leaf-wrong  caIssuers base/wrong.cer: "wrong.pem", same name as the CA, other key, no key identifier
 *   leaf-big    caIssuers base/big.cer
 *   leaf-https  caIssuers https://... only
 *   leaf-ca2    below "Test AIA CA Two" (caIssuers base/ca2.cer), whose caIssuers is base/root.cer
 * plus "ocspr", a delegated OCSP responder of the CA WITHOUT id-pkix-ocsp-nocheck, whose CRL is at
 * base/responder.crl, and "tsa" (issued by the root, which has no URL: give root.crl).
 * Files: *.pem, *.key, ca.cer, ca2.cer, root.cer, wrong.cer (DER), ca.p7c (DER PKCS#7), root.crl, ca.crl (DER), ca-index.txt
 * (for `openssl ocsp -index`).
 */
export function buildAiaTestPki(base: string): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'seal-aia-pki-'));
  const run = opensslIn(dir);
  const leafBase = ['basicConstraints = critical,CA:FALSE', 'keyUsage = critical,digitalSignature,nonRepudiation', 'subjectKeyIdentifier = hash', 'authorityKeyIdentifier = keyid:always'];
  const sections: Record<string, string[]> = {
    aia_ca_ext: ['basicConstraints = critical,CA:TRUE,pathlen:0', 'keyUsage = critical,keyCertSign,cRLSign', 'subjectKeyIdentifier = hash', 'authorityKeyIdentifier = keyid:always', `authorityInfoAccess = caIssuers;URI:${base}/ca.cer`],
    nokid_ca_ext: ['basicConstraints = critical,CA:TRUE', 'keyUsage = critical,keyCertSign,cRLSign', 'subjectKeyIdentifier = none', 'authorityKeyIdentifier = none'],
    aia_leaf_ext: [...leafBase, `authorityInfoAccess = caIssuers;URI:${base}/ca.cer,OCSP;URI:${base}/ocsp`, `crlDistributionPoints = URI:${base}/ca.crl`],
    aia_leaf_p7_ext: [...leafBase, `authorityInfoAccess = caIssuers;URI:ldap://ldap.invalid/cn=Test%20AIA%20CA,caIssuers;URI:${base}/ca.p7c`, `crlDistributionPoints = URI:${base}/ca.crl`],
    aia_leaf_wrong_ext: [...leafBase, `authorityInfoAccess = caIssuers;URI:${base}/wrong.cer`, `crlDistributionPoints = URI:${base}/ca.crl`],
    aia_leaf_big_ext: [...leafBase, `authorityInfoAccess = caIssuers;URI:${base}/big.cer`, `crlDistributionPoints = URI:${base}/ca.crl`],
    aia_leaf_https_ext: [...leafBase, `authorityInfoAccess = caIssuers;URI:https://127.0.0.1:9/ca.cer`, `crlDistributionPoints = URI:${base}/ca.crl`],
    aia_ca2_ext: ['basicConstraints = critical,CA:TRUE,pathlen:0', 'keyUsage = critical,keyCertSign,cRLSign', 'subjectKeyIdentifier = hash', 'authorityKeyIdentifier = keyid:always', `authorityInfoAccess = caIssuers;URI:${base}/root.cer`],
    aia_leaf_ca2_ext: [...leafBase, `authorityInfoAccess = caIssuers;URI:${base}/ca2.cer`],
    aia_ocsp_ext: ['basicConstraints = critical,CA:FALSE', 'keyUsage = critical,digitalSignature', 'extendedKeyUsage = OCSPSigning', 'subjectKeyIdentifier = hash', 'authorityKeyIdentifier = keyid:always', `crlDistributionPoints = URI:${base}/responder.crl`],
  };
  const extra = Object.entries(sections).map(([name, lines]) => `[ ${name} ]\n${lines.join('\n')}\n`).join('');
  const conf = (db: string) => CONF.replace('database = index.txt', `database = ${db}-index.txt`).replace('serial = serial', `serial = ${db}-serial`) + extra;
  for (const db of ['root', 'ca']) {
    writeFileSync(join(dir, `${db}-index.txt`), '');
    writeFileSync(join(dir, `${db}-serial`), db === 'root' ? '01\n' : '1000\n');
    writeFileSync(join(dir, `openssl-${db}.cnf`), conf(db));
  }
  const key = (name: string) => run(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`]);
  const issue = (db: 'root' | 'ca', name: string, cn: string, ext: string, selfSign = false) => {
    key(name);
    run(['req', '-config', `openssl-${db}.cnf`, '-new', '-key', `${name}.key`, '-subj', `/CN=${cn}`, '-out', `${name}.csr`]);
    const signer = selfSign ? ['-selfsign', '-keyfile', `${name}.key`] : ['-cert', `${db}.pem`, '-keyfile', `${db}.key`];
    run(['ca', '-config', `openssl-${db}.cnf`, ...signer, '-batch', '-notext', '-in', `${name}.csr`, '-out', `${name}.pem`, '-days', '3650', '-extensions', ext]);
  };
  issue('root', 'root', 'Test AIA Root', 'ca_ext', true);
  issue('root', 'ca', 'Test AIA CA', 'aia_ca_ext');
  issue('root', 'tsa', 'Test AIA TSA', 'tsa_ext');
  issue('ca', 'leaf', 'AIA Seal', 'aia_leaf_ext');
  issue('ca', 'leaf-p7', 'AIA Seal PKCS7', 'aia_leaf_p7_ext');
  issue('ca', 'leaf-wrong', 'AIA Seal Wrong Issuer', 'aia_leaf_wrong_ext');
  issue('ca', 'leaf-big', 'AIA Seal Big Answer', 'aia_leaf_big_ext');
  issue('ca', 'leaf-https', 'AIA Seal HTTPS', 'aia_leaf_https_ext');
  issue('ca', 'ocspr', 'Test AIA OCSP Responder', 'aia_ocsp_ext');
  // a second CA whose caIssuers names the root, and a seal below it (no revocation URLs: chain tests only)
  issue('root', 'ca2', 'Test AIA CA Two', 'aia_ca2_ext');
  key('leaf-ca2');
  run(['req', '-config', 'openssl-ca.cnf', '-new', '-key', 'leaf-ca2.key', '-subj', '/CN=AIA Seal Under CA Two', '-out', 'leaf-ca2.csr']);
  run(['x509', '-req', '-in', 'leaf-ca2.csr', '-CA', 'ca2.pem', '-CAkey', 'ca2.key', '-set_serial', '77', '-days', '3650', '-extfile', 'openssl-ca.cnf', '-extensions', 'aia_leaf_ca2_ext', '-out', 'leaf-ca2.pem']);
  // same name as the CA, another key, no key identifiers: only the signature check tells it apart
  key('wrong');
  run(['req', '-config', 'openssl-ca.cnf', '-new', '-x509', '-key', 'wrong.key', '-subj', '/CN=Test AIA CA', '-days', '3650', '-set_serial', '7', '-extensions', 'nokid_ca_ext', '-out', 'wrong.pem']);
  run(['x509', '-in', 'ca.pem', '-outform', 'DER', '-out', 'ca.cer']);
  for (const n of ['wrong', 'ca2', 'root']) run(['x509', '-in', `${n}.pem`, '-outform', 'DER', '-out', `${n}.cer`]);
  run(['crl2pkcs7', '-nocrl', '-certfile', 'ca.pem', '-outform', 'DER', '-out', 'ca.p7c']);
  run(['ca', '-config', 'openssl-root.cnf', '-cert', 'root.pem', '-keyfile', 'root.key', '-gencrl', '-crldays', '3650', '-out', 'root.crl.pem']);
  run(['crl', '-in', 'root.crl.pem', '-outform', 'DER', '-out', 'root.crl']);
  run(['ca', '-config', 'openssl-ca.cnf', '-cert', 'ca.pem', '-keyfile', 'ca.key', '-gencrl', '-crldays', '3650', '-out', 'ca.crl.pem']);
  run(['crl', '-in', 'ca.crl.pem', '-outform', 'DER', '-out', 'ca.crl']);
  return testPkiIn(dir, run);
}
