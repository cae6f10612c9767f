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

export function buildTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'seal-pki-'));
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }).toString('latin1');
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
  const t: TestPki = {
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
