/**
 * TEST ONLY. A second, independent implementation of the Signer interface: it never loads the
 * key into this process but shells out to `openssl dgst -sign` with a PEM key file, as a token or
 * remote signing service would sign somewhere else. Proves that CMS/PDF code depends on the
 * interface only.
 */
import { X509Certificate } from 'node:crypto';
import { execFile } from 'node:child_process';
import type { HashAlgorithm, KeyType, SignRequest, Signer } from '../signer.js';

const DGST: Record<Exclude<HashAlgorithm, 'SM3'>, string> = { 'SHA-256': '-sha256', 'SHA-384': '-sha384', 'SHA-512': '-sha512' };

function run(args: readonly string[], input: Uint8Array): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const child = execFile('openssl', args, { encoding: 'buffer', maxBuffer: 1024 * 1024 }, (err, stdout) => {
      if (err) reject(new Error(`openssl ${args[0]} failed`));
      else resolve(new Uint8Array(stdout));
    });
    child.stdin?.end(Buffer.from(input));
  });
}

export function createOpensslCliSigner(keyPath: string, certificateChain: readonly Uint8Array[]): Signer {
  const leaf = new X509Certificate(certificateChain[0]!);
  const pub = leaf.publicKey;
  const details = pub.asymmetricKeyDetails ?? {};
  let keyType: KeyType;
  let curve: string | undefined;
  let keySizeBits: number;
  if (pub.asymmetricKeyType === 'rsa') {
    keyType = 'RSA';
    keySizeBits = details.modulusLength ?? 0;
  } else if (pub.asymmetricKeyType === 'ec') {
    keyType = 'EC';
    curve = details.namedCurve === 'prime256v1' ? 'P-256' : details.namedCurve === 'secp384r1' ? 'P-384' : 'P-521';
    keySizeBits = curve === 'P-256' ? 256 : curve === 'P-384' ? 384 : 521;
  } else {
    throw new Error('unsupported key in test signer');
  }
  return {
    keyType,
    ...(curve ? { curve } : {}),
    keySizeBits,
    certificateChain,
    async sign(tbs: Uint8Array, request: SignRequest): Promise<Uint8Array> {
      if (request.hash === 'SM3') throw new Error('SM3 not supported by the test signer');
      const args = ['dgst', DGST[request.hash], '-sign', keyPath];
      if (request.scheme === 'RSA-PSS') {
        args.push('-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:digest', '-sigopt', `rsa_mgf1_md:${DGST[request.hash].slice(1)}`);
      }
      return run(args, tbs);
    },
  };
}
