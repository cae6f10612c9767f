/**
 * PKCS#11 key store (pkcs11js): seal keys are generated inside the token (CKA_SENSITIVE,
 * not extractable) and never leave it. Signing uses the token's hash-and-sign mechanisms
 * (CKM_SHA256_RSA_PKCS, CKM_SHA256_RSA_PKCS_PSS, CKM_ECDSA_SHA256 ...); when a token lacks the
 * combined ECDSA mechanism the to-be-signed bytes are hashed here and CKM_ECDSA signs the
 * digest. ECDSA signatures come back raw (r||s) and are returned DER-encoded as the Signer
 * contract says. Tested against SoftHSM2.
 */
import { createHash, createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { AlgorithmUnsupportedError, SealError, type HashAlgorithm, type SignRequest, type Signer } from '@seal/core';
import { bitStringBytes, ecdsaRawToDer, oid, seq } from '@seal/core/asn1';
import type { SealAlgorithm } from '../types.js';
import { keyParams, type GeneratedKey, type KeyStore } from './key-store.js';
import { KeyUnavailableError } from './software.js';

export interface Pkcs11KeyStoreOptions {
  /** Path of the PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so. */
  module: string;
  /** Token label (the first initialised token if omitted). */
  tokenLabel?: string;
  /** User PIN. Never logged. */
  pin: string;
}

const CURVE_OID: Record<string, string> = { 'P-256': '1.2.840.10045.3.1.7', 'P-384': '1.3.132.0.34' };
const CURVE_SIZE: Record<string, number> = { 'P-256': 32, 'P-384': 48 };
const HASH_NODE: Record<Exclude<HashAlgorithm, 'SM3'>, string> = { 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };

const RSA_MECH: Record<string, number> = {
  'SHA-256': pkcs11js.CKM_SHA256_RSA_PKCS,
  'SHA-384': pkcs11js.CKM_SHA384_RSA_PKCS,
  'SHA-512': pkcs11js.CKM_SHA512_RSA_PKCS,
};
const PSS_MECH: Record<string, [number, number, number, number]> = {
  'SHA-256': [pkcs11js.CKM_SHA256_RSA_PKCS_PSS, pkcs11js.CKM_SHA256, pkcs11js.CKG_MGF1_SHA256, 32],
  'SHA-384': [pkcs11js.CKM_SHA384_RSA_PKCS_PSS, pkcs11js.CKM_SHA384, pkcs11js.CKG_MGF1_SHA384, 48],
  'SHA-512': [pkcs11js.CKM_SHA512_RSA_PKCS_PSS, pkcs11js.CKM_SHA512, pkcs11js.CKG_MGF1_SHA512, 64],
};
const ECDSA_MECH: Record<string, number> = {
  'SHA-256': pkcs11js.CKM_ECDSA_SHA256,
  'SHA-384': pkcs11js.CKM_ECDSA_SHA384,
  'SHA-512': pkcs11js.CKM_ECDSA_SHA512,
};

function p11error(err: unknown, what: string): SealError {
  return new KeyUnavailableError(`PKCS#11 ${what} failed${err instanceof Error && /CKR_\w+/.test(err.message) ? ` (${/CKR_\w+/.exec(err.message)?.[0]})` : ''}`);
}

/**
 * A PKCS#11 module is initialised once per process and its login state is per token (shared by
 * every session), so stores over the same module share one handle, reference-counted. A second
 * store on a logged-in token must present the same PIN (compared by hash) or is refused.
 */
interface ModuleHandle {
  p11: pkcs11js.PKCS11;
  refs: number;
  logins: Map<string, { pin: string; refs: number }>;
}
const MODULES = new Map<string, ModuleHandle>();

function acquireModule(path: string): ModuleHandle {
  let m = MODULES.get(path);
  if (m === undefined) {
    const p11 = new pkcs11js.PKCS11();
    try {
      p11.load(path);
      p11.C_Initialize();
    } catch (err) {
      throw p11error(err, 'module load');
    }
    m = { p11, refs: 0, logins: new Map() };
    MODULES.set(path, m);
  }
  m.refs++;
  return m;
}

function releaseModule(path: string, m: ModuleHandle): void {
  m.refs--;
  if (m.refs === 0) {
    MODULES.delete(path);
    try {
      m.p11.C_Finalize();
    } catch {
      // already finalised
    }
  }
}

const pinHash = (pin: string): string => createHash('sha256').update(`pkcs11-pin:${pin}`).digest('hex');

export class Pkcs11KeyStore implements KeyStore {
  readonly kind = 'pkcs11' as const;
  private readonly p11: pkcs11js.PKCS11;
  private readonly module: ModuleHandle;
  private readonly session: Buffer;
  private readonly slotKey: string;
  private readonly mechanisms: Set<number>;
  private open = true;

  constructor(private readonly options: Pkcs11KeyStoreOptions) {
    this.module = acquireModule(options.module);
    this.p11 = this.module.p11;
    let session: Buffer | undefined;
    try {
      const slots = this.p11.C_GetSlotList(true);
      const slot = slots.find((s) => options.tokenLabel === undefined || this.p11.C_GetTokenInfo(s).label.trim() === options.tokenLabel);
      if (slot === undefined) throw new KeyUnavailableError('PKCS#11 token not found');
      this.slotKey = slot.toString('hex');
      this.mechanisms = new Set(this.p11.C_GetMechanismList(slot));
      session = this.p11.C_OpenSession(slot, pkcs11js.CKF_RW_SESSION | pkcs11js.CKF_SERIAL_SESSION);
      this.session = session;
      const login = this.module.logins.get(this.slotKey);
      if (login !== undefined) {
        if (login.pin !== pinHash(options.pin)) throw new SealError('ERR_KEY_PASSWORD', 'PKCS#11 login failed');
        login.refs++;
      } else {
        try {
          this.p11.C_Login(session, pkcs11js.CKU_USER, options.pin);
        } catch (err) {
          throw new SealError('ERR_KEY_PASSWORD', 'PKCS#11 login failed', { cause: err });
        }
        this.module.logins.set(this.slotKey, { pin: pinHash(options.pin), refs: 1 });
      }
    } catch (err) {
      if (session !== undefined) {
        try {
          this.p11.C_CloseSession(session);
        } catch {
          // ignore
        }
      }
      releaseModule(options.module, this.module);
      throw err instanceof SealError ? err : p11error(err, 'open');
    }
  }

  async generateKey(algorithm: SealAlgorithm): Promise<GeneratedKey> {
    this.check();
    const params = keyParams(algorithm);
    const id = randomBytes(16);
    const label = `seal-${id.toString('hex')}`;
    const common = [
      { type: pkcs11js.CKA_TOKEN, value: true },
      { type: pkcs11js.CKA_ID, value: id },
      { type: pkcs11js.CKA_LABEL, value: label },
    ];
    const priv = [
      ...common,
      { type: pkcs11js.CKA_PRIVATE, value: true },
      { type: pkcs11js.CKA_SENSITIVE, value: true },
      { type: pkcs11js.CKA_EXTRACTABLE, value: false },
      { type: pkcs11js.CKA_SIGN, value: true },
    ];
    try {
      if (params.type === 'rsa') {
        this.p11.C_GenerateKeyPair(
          this.session,
          { mechanism: pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN },
          [...common, { type: pkcs11js.CKA_VERIFY, value: true }, { type: pkcs11js.CKA_MODULUS_BITS, value: params.modulusLength ?? 2048 }, { type: pkcs11js.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) }],
          priv,
        );
      } else {
        const curve = params.namedCurve ?? 'P-256';
        this.p11.C_GenerateKeyPair(
          this.session,
          { mechanism: pkcs11js.CKM_EC_KEY_PAIR_GEN },
          [...common, { type: pkcs11js.CKA_VERIFY, value: true }, { type: pkcs11js.CKA_EC_PARAMS, value: Buffer.from(oid(CURVE_OID[curve] as string)) }],
          priv,
        );
      }
    } catch (err) {
      throw p11error(err, 'key generation');
    }
    const keyRef = `p11:${id.toString('hex')}`;
    return { keyRef, publicKey: await this.publicKey(keyRef) };
  }

  private find(keyRef: string, cls: number): Buffer {
    this.check();
    const m = /^p11:([0-9a-f]{32})$/.exec(keyRef);
    if (m === null) throw new KeyUnavailableError('not a PKCS#11 key reference');
    try {
      this.p11.C_FindObjectsInit(this.session, [
        { type: pkcs11js.CKA_CLASS, value: cls },
        { type: pkcs11js.CKA_ID, value: Buffer.from(m[1] as string, 'hex') },
      ]);
      const found = this.p11.C_FindObjects(this.session, 2);
      this.p11.C_FindObjectsFinal(this.session);
      if (found.length !== 1) throw new KeyUnavailableError('key not found in the token');
      return found[0] as Buffer;
    } catch (err) {
      throw err instanceof SealError ? err : p11error(err, 'find');
    }
  }

  private attr(handle: Buffer, type: number): Buffer {
    const [a] = this.p11.C_GetAttributeValue(this.session, handle, [{ type }]);
    if (a === undefined || !Buffer.isBuffer(a.value)) throw new KeyUnavailableError('PKCS#11 attribute missing');
    return a.value;
  }

  async publicKey(keyRef: string): Promise<KeyObject> {
    const h = this.find(keyRef, pkcs11js.CKO_PUBLIC_KEY);
    try {
      const keyType = this.attr(h, pkcs11js.CKA_KEY_TYPE).readUIntLE(0, 4);
      if (keyType === pkcs11js.CKK_RSA) {
        const n = this.attr(h, pkcs11js.CKA_MODULUS);
        const e = this.attr(h, pkcs11js.CKA_PUBLIC_EXPONENT);
        return createPublicKey({ key: { kty: 'RSA', n: n.toString('base64url'), e: e.toString('base64url') }, format: 'jwk' });
      }
      const params = this.attr(h, pkcs11js.CKA_EC_PARAMS);
      let point = this.attr(h, pkcs11js.CKA_EC_POINT);
      // CKA_EC_POINT is a DER OCTET STRING around the uncompressed point.
      if (point[0] === 0x04 && point.length > 2 && (point[1] === point.length - 2 || (point[1] === 0x81 && point[2] === point.length - 3))) {
        point = point.subarray(point[1] === 0x81 ? 3 : 2);
      }
      const spki = seq(seq(oid('1.2.840.10045.2.1'), params), bitStringBytes(point));
      return createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    } catch (err) {
      throw err instanceof SealError ? err : p11error(err, 'public key read');
    }
  }

  async signer(keyRef: string, certificateChain: readonly Uint8Array[]): Promise<Signer> {
    const pub = await this.publicKey(keyRef);
    const d = pub.asymmetricKeyDetails ?? {};
    const isRsa = pub.asymmetricKeyType === 'rsa';
    const curve = d.namedCurve === 'prime256v1' ? 'P-256' : d.namedCurve === 'secp384r1' ? 'P-384' : undefined;
    if (!isRsa && curve === undefined) throw new AlgorithmUnsupportedError('unsupported key in token');
    const store = this;
    const base = isRsa ? { keyType: 'RSA' as const, keySizeBits: d.modulusLength ?? 2048 } : { keyType: 'EC' as const, curve, keySizeBits: curve === 'P-384' ? 384 : 256 };
    return {
      ...base,
      certificateChain,
      async sign(tbs: Uint8Array, request: SignRequest): Promise<Uint8Array> {
        return store.signWith(keyRef, isRsa, curve, tbs, request);
      },
    };
  }

  private signWith(keyRef: string, isRsa: boolean, curve: string | undefined, tbs: Uint8Array, req: SignRequest): Uint8Array {
    if (req.hash === 'SM3') throw new AlgorithmUnsupportedError('SM3 is not available in this token');
    const handle = this.find(keyRef, pkcs11js.CKO_PRIVATE_KEY);
    let mechanism: pkcs11js.Mechanism;
    let data = Buffer.from(tbs);
    let outLen: number;
    if (isRsa && req.scheme === 'RSA-PKCS1') {
      mechanism = { mechanism: RSA_MECH[req.hash] as number };
      outLen = 1024;
    } else if (isRsa && req.scheme === 'RSA-PSS') {
      const [m, hashAlg, mgf, saltLen] = PSS_MECH[req.hash] as [number, number, number, number];
      mechanism = { mechanism: m, parameter: { type: pkcs11js.CK_PARAMS_RSA_PSS, hashAlg, mgf, saltLen } as pkcs11js.RsaPSS };
      outLen = 1024;
    } else if (!isRsa && req.scheme === 'ECDSA') {
      const combined = ECDSA_MECH[req.hash] as number;
      if (this.mechanisms.has(combined)) {
        mechanism = { mechanism: combined };
      } else {
        mechanism = { mechanism: pkcs11js.CKM_ECDSA };
        data = createHash(HASH_NODE[req.hash]).update(tbs).digest();
      }
      outLen = 2 * (CURVE_SIZE[curve ?? 'P-256'] as number);
    } else {
      throw new AlgorithmUnsupportedError(`scheme ${req.scheme} does not fit this ${isRsa ? 'RSA' : 'EC'} key`);
    }
    let sig: Buffer;
    try {
      this.p11.C_SignInit(this.session, mechanism, handle);
      sig = this.p11.C_Sign(this.session, data, Buffer.alloc(outLen));
    } catch (err) {
      throw p11error(err, 'sign');
    }
    return isRsa ? new Uint8Array(sig) : ecdsaRawToDer(sig);
  }

  /** Is the private key of `keyRef` marked sensitive and non-extractable in the token? */
  isKeyProtected(keyRef: string): boolean {
    const h = this.find(keyRef, pkcs11js.CKO_PRIVATE_KEY);
    const sensitive = this.attr(h, pkcs11js.CKA_SENSITIVE)[0] === 1;
    const extractable = this.attr(h, pkcs11js.CKA_EXTRACTABLE)[0] === 1;
    return sensitive && !extractable;
  }

  private check(): void {
    if (!this.open) throw new KeyUnavailableError('PKCS#11 key store is closed');
  }

  async close(): Promise<void> {
    if (!this.open) return;
    this.open = false;
    try {
      const login = this.module.logins.get(this.slotKey);
      if (login !== undefined && --login.refs === 0) {
        this.module.logins.delete(this.slotKey);
        this.p11.C_Logout(this.session);
      }
      this.p11.C_CloseSession(this.session);
    } catch {
      // the token may be gone; nothing more to release
    } finally {
      releaseModule(this.options.module, this.module);
    }
  }
}
