/**
 * verifyJson: verify every signature of a JAdES / JWS seal and produce the shared
 * VerificationReport. Order per signature: headers and policy (format), signing certificate,
 * payload (attached, detached, sigD, canonical), signature maths, then the certificate path at
 * the signing time through pki/validateCertificatePath (trust anchors, validity, revocation).
 */
import { createHash, X509Certificate, type KeyObject } from 'node:crypto';
import { SealError } from '../errors/index.js';
import { validateCertificatePath, type RevocationFetcher, type RegistryRevocationLookup } from '../pki/index.js';
import { parseCertificate, type CertInfo } from '../pki/cert.js';
import { blankSignatureReport, combineIndications, type Indication, type SignatureReport, type SubIndication, type TimestampSummary, type VerificationReport } from '../report/index.js';
import { decodeBase64Std, decodeBase64url, encodeBase64url } from './base64url.js';
import { canonicalizeToBytes } from './jcs.js';
import { isJsonObject, parseJsonStrict, type JsonObject, type JsonValue } from './json-parse.js';
import { keyMismatch, verifySignatureValue, type JwsAlgorithm } from './jws-algs.js';
import { DEFAULT_MAX_JWS_BYTES, parseJws, type ParsedJws, type RawJwsSignature } from './jws-parse.js';
import { signingInput } from './jws-sign.js';
import { checkHeaders, payloadBytes, type CheckedHeaders } from './jws-verify.js';
import { CANON_HEADER, CANON_JCS, HASH_BY_JADES_NAME, SIGD_OBJECT_ID_BY_URI_HASH, UNDERSTOOD_CRIT } from './jades-headers.js';
import { verifySignatureTimestamp, type TimestampCheck } from './jades-timestamp.js';

export interface VerifyJsonOptions {
  /** Detached payload (for a JWS without an attached payload, or the single sigD object). */
  payload?: Uint8Array;
  /** sigD objects by name (the `pars` entries). */
  detachedObjects?: Readonly<Record<string, Uint8Array>>;
  /** Trusted certificates (DER). None: nothing is trusted (a good seal is INDETERMINATE). */
  trustAnchors?: readonly Uint8Array[];
  /** Extra intermediates to build paths with. */
  intermediates?: readonly Uint8Array[];
  crls?: readonly Uint8Array[];
  ocsps?: readonly Uint8Array[];
  fetcher?: RevocationFetcher;
  registry?: RegistryRevocationLookup;
  revocationPolicy?: 'require' | 'if-available' | 'off';
  /** Validation time; default: the time-stamp time, else the claimed signing time, else now. */
  at?: Date;
  /** Largest accepted input (default 32 MiB): bigger is ERR_INPUT_TOO_LARGE. */
  maxBytes?: number;
}

interface SigState {
  errors: string[];
  warnings: string[];
}

const encoder = new TextEncoder();

class SigFailure extends Error {
  constructor(
    readonly indication: Indication,
    readonly sub: SubIndication,
    message: string,
  ) {
    super(message);
  }
}

function failFormat(message: string): never {
  throw new SigFailure('TOTAL_FAILED', 'FORMAT_FAILURE', message);
}

/** Failed as malformed until the checks prove otherwise. */
function emptyReport(index: number): SignatureReport {
  return { ...blankSignatureReport('TOTAL_FAILED', 'FORMAT_FAILURE'), index };
}

interface EtsiUComponent {
  value: JsonObject;
  /** The element as it appears when base64url-encoded (null for a clear JSON element). */
  encoded: string | null;
}

/** Decode the etsiU array: each element base64url JSON or clear JSON (both allowed by TS 119 182-1). */
function etsiUComponents(unprotected: JsonObject | undefined): EtsiUComponent[] {
  const etsiU = unprotected?.['etsiU'];
  if (etsiU === undefined) return [];
  if (!Array.isArray(etsiU)) failFormat('etsiU must be an array');
  return etsiU.map((c) => {
    if (isJsonObject(c)) return { value: c, encoded: null };
    if (typeof c !== 'string') failFormat('etsiU entries must be objects or base64url strings');
    let v: JsonValue;
    try {
      v = parseJsonStrict(decodeBase64url(c, 'etsiU'));
    } catch {
      failFormat('malformed etsiU entry');
    }
    if (!isJsonObject(v) || Object.keys(v).length !== 1) failFormat('malformed etsiU entry');
    return { value: v, encoded: c };
  });
}

function certsFromX5c(x5c: JsonValue | undefined): Uint8Array[] | null {
  if (x5c === undefined) return null;
  if (!Array.isArray(x5c) || x5c.length === 0 || x5c.length > 16) failFormat('x5c must be a non-empty array of certificates');
  return x5c.map((c) => {
    if (typeof c !== 'string') failFormat('x5c entries must be base64 strings');
    try {
      return decodeBase64Std(c, 'x5c');
    } catch {
      failFormat('malformed base64 in x5c');
    }
  });
}

function digestB64url(alg: 'sha256' | 'sha384' | 'sha512', data: Uint8Array): string {
  return encodeBase64url(createHash(alg).update(data).digest());
}

/** Find the signing certificate: x5c[0], or an etsiU xVals certificate matching x5t#S256 / x5t#o. */
function signingCertificate(h: CheckedHeaders, etsiU: EtsiUComponent[]): { leaf: Uint8Array; others: Uint8Array[] } {
  if (h.unprotectedHeader !== undefined && 'x5c' in h.unprotectedHeader) failFormat('x5c must be in the protected header');
  const x5c = certsFromX5c(h.protectedHeader['x5c']);
  const s256 = h.protectedHeader['x5t#S256'];
  const x5to = h.protectedHeader['x5t#o'];
  if (s256 !== undefined && typeof s256 !== 'string') failFormat('x5t#S256 must be a string');
  let oAlg: 'sha256' | 'sha384' | 'sha512' | undefined;
  let oVal: string | undefined;
  if (x5to !== undefined) {
    if (!isJsonObject(x5to) || typeof x5to['digAlg'] !== 'string' || typeof x5to['digVal'] !== 'string') failFormat('malformed x5t#o');
    oAlg = HASH_BY_JADES_NAME[x5to['digAlg']];
    if (oAlg === undefined) failFormat('unsupported x5t#o digest algorithm');
    oVal = x5to['digVal'];
  }
  const matches = (der: Uint8Array): boolean =>
    (s256 === undefined || digestB64url('sha256', der) === s256) && (oAlg === undefined || digestB64url(oAlg, der) === oVal);
  if (x5c !== null) {
    const leaf = x5c[0]!;
    if (!matches(leaf)) failFormat('x5t#S256 / x5t#o do not match the certificate in x5c');
    return { leaf, others: x5c.slice(1) };
  }
  if (s256 === undefined && oAlg === undefined) throw new SigFailure('INDETERMINATE', 'NO_SIGNING_CERTIFICATE_FOUND', 'no x5c and no certificate reference');
  const pool: Uint8Array[] = [];
  for (const { value: comp } of etsiU) {
    const xVals = comp['xVals'];
    if (!Array.isArray(xVals)) continue;
    for (const x of xVals) {
      const cert = isJsonObject(x) ? x['x509Cert'] : undefined;
      const val = isJsonObject(cert) ? cert['val'] : undefined;
      if (typeof val === 'string') {
        try {
          pool.push(decodeBase64Std(val, 'xVals'));
        } catch {
          failFormat('malformed certificate in xVals');
        }
      }
    }
  }
  const leaf = pool.find(matches);
  if (leaf === undefined) throw new SigFailure('INDETERMINATE', 'NO_SIGNING_CERTIFICATE_FOUND', 'the referenced signing certificate is not in the signature');
  return { leaf, others: pool.filter((c) => c !== leaf) };
}

function claimedSigningTime(h: CheckedHeaders, st: SigState): Date | null {
  const iat = h.protectedHeader['iat'];
  const sigT = h.protectedHeader['sigT'];
  if (iat !== undefined && sigT !== undefined) failFormat('both iat and sigT are present');
  if (iat !== undefined) {
    if (typeof iat !== 'number' || !Number.isInteger(iat) || iat < 0 || iat > 253402300799) failFormat('iat must be an integer NumericDate');
    return new Date(iat * 1000);
  }
  if (sigT !== undefined) {
    if (typeof sigT !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(sigT) || Number.isNaN(Date.parse(sigT))) failFormat('sigT must be an ISO 8601 UTC time');
    return new Date(sigT);
  }
  st.warnings.push('no claimed signing time (iat)');
  return null;
}

/** The bytes the JWS Payload part of the signing input stands for, with sigD and canon applied. */
function coveredPayload(parsed: ParsedJws, h: CheckedHeaders, options: VerifyJsonOptions, st: SigState): Uint8Array | null {
  const sigD = h.protectedHeader['sigD'];
  if (sigD !== undefined) {
    if (parsed.payload !== undefined) failFormat('sigD requires a detached (empty) JWS payload');
    if (!isJsonObject(sigD)) failFormat('malformed sigD');
    if (sigD['mId'] !== SIGD_OBJECT_ID_BY_URI_HASH) failFormat('unsupported sigD mechanism');
    const pars = sigD['pars'];
    const hashV = sigD['hashV'];
    const hashM = sigD['hashM'];
    if (!Array.isArray(pars) || !Array.isArray(hashV) || pars.length === 0 || pars.length !== hashV.length) failFormat('malformed sigD');
    const alg = typeof hashM === 'string' ? HASH_BY_JADES_NAME[hashM] : undefined;
    if (alg === undefined) failFormat('unsupported sigD hash algorithm');
    for (let i = 0; i < pars.length; i++) {
      const name = pars[i];
      const want = hashV[i];
      if (typeof name !== 'string' || typeof want !== 'string') failFormat('malformed sigD');
      const obj = options.detachedObjects?.[name] ?? (pars.length === 1 ? options.payload : undefined);
      if (obj === undefined) throw new SigFailure('INDETERMINATE', 'SIGNED_DATA_NOT_FOUND', `detached object ${name} not supplied`);
      // Without b64:false the object is hashed in its base64url form (TS 119 182-1 §5.2.8.3.3).
      const data = h.b64 ? encoder.encode(encodeBase64url(obj)) : obj;
      if (digestB64url(alg, data) !== want) throw new SigFailure('TOTAL_FAILED', 'HASH_FAILURE', `detached object ${name} does not match its sigD digest`);
    }
    st.warnings.push(`detached objects bound through sigD: ${pars.join(', ')}`);
    return new Uint8Array(0);
  }
  const bytes = payloadBytes(parsed, h.b64, options.payload);
  if (bytes === undefined) return null;
  const canon = h.protectedHeader[CANON_HEADER];
  if (canon === undefined) return bytes;
  if (canon !== CANON_JCS) failFormat('unsupported canon value');
  try {
    return canonicalizeToBytes(bytes);
  } catch (err) {
    failFormat(`canonical payload: ${(err as Error).message}`);
  }
}

function embeddedValidationData(etsiU: EtsiUComponent[]): { certs: Uint8Array[]; crls: Uint8Array[]; ocsps: Uint8Array[] } {
  const out = { certs: [] as Uint8Array[], crls: [] as Uint8Array[], ocsps: [] as Uint8Array[] };
  const vals = (list: JsonValue | undefined, key: string | null, into: Uint8Array[]): void => {
    if (!Array.isArray(list)) return;
    for (const item of list) {
      const holder = key === null ? item : isJsonObject(item) ? item[key] : undefined;
      const val = isJsonObject(holder) ? holder['val'] : undefined;
      if (typeof val !== 'string') continue;
      try {
        into.push(decodeBase64Std(val, 'validation data'));
      } catch {
        failFormat('malformed base64 in etsiU validation data');
      }
    }
  };
  for (const { value } of etsiU) {
    vals(value['xVals'], 'x509Cert', out.certs);
    vals(value['axVals'], 'x509Cert', out.certs);
    for (const name of ['rVals', 'arVals']) {
      const r = value[name];
      if (isJsonObject(r)) {
        vals(r['crlVals'], null, out.crls);
        vals(r['ocspVals'], null, out.ocsps);
      }
    }
  }
  return out;
}

async function verifyArchiveTimestamps(
  parsed: ParsedJws,
  raw: RawJwsSignature,
  h: CheckedHeaders,
  etsiU: EtsiUComponent[],
  options: VerifyJsonOptions,
): Promise<{ count: number; error: string | null; warning: string | null }> {
  const idx = etsiU.map((c, i) => (c.value['arcTst'] !== undefined ? i : -1)).filter((i) => i >= 0);
  if (idx.length === 0) return { count: 0, error: null, warning: null };
  if (etsiU.some((c) => c.encoded === null) || h.protectedHeader['sigD'] !== undefined) {
    return { count: 0, error: null, warning: 'archive time-stamps over clear-JSON etsiU or sigD are not validated' };
  }
  let payloadPart: string;
  if (parsed.payload !== undefined) payloadPart = parsed.payload;
  else if (options.payload !== undefined) payloadPart = h.b64 ? encodeBase64url(options.payload) : new TextDecoder().decode(options.payload);
  else return { count: 0, error: null, warning: 'archive time-stamps not validated: detached payload not supplied' };
  for (const i of idx) {
    const arcTst = etsiU[i]!.value['arcTst'];
    if (isJsonObject(arcTst) && arcTst['timeStamped'] !== undefined && arcTst['timeStamped'] !== 'all') {
      return { count: 0, error: 'unsupported timeStamped value', warning: null };
    }
    const before = etsiU.slice(0, i).map((c) => c.encoded!).join('');
    const input = encoder.encode(`${payloadPart}.${raw.protected}.${raw.signature}.${before}`);
    const check = await verifySignatureTimestamp(arcTst ?? null, input, options);
    if (!check.valid) return { count: 0, error: check.error ?? 'invalid', warning: null };
  }
  return { count: idx.length, error: null, warning: null };
}

/**
 * A counter-signature (etsiU cSig, TS 119 182-1 §5.3.2): a JWS whose payload is the JWS
 * Signature Value (octets) of the signature it counter-signs, attached or detached.
 */
async function verifyCounterSignature(cSig: JsonValue, masterSignature: Uint8Array, masterIndex: number, options: VerifyJsonOptions): Promise<SignatureReport> {
  const fail = (message: string): SignatureReport => {
    const r = emptyReport(masterIndex);
    r['counterSignatureOf'] = masterIndex;
    r.errors!.push(message);
    return r;
  };
  let parsed: ParsedJws;
  try {
    parsed = parseJws(typeof cSig === 'string' ? cSig : JSON.stringify(cSig), options.maxBytes ?? DEFAULT_MAX_JWS_BYTES);
  } catch {
    return fail('malformed counter-signature');
  }
  if (parsed.signatures.length !== 1) return fail('a counter-signature must hold exactly one signature');
  const inner: VerifyJsonOptions = { ...options, detachedObjects: {} };
  delete inner.payload;
  if (parsed.payload === undefined) {
    inner.payload = masterSignature;
  } else {
    // Attached: it must be exactly the counter-signed signature value, else it signs something else.
    let b64 = true;
    try {
      b64 = checkHeaders(parsed.signatures[0]!, { crit: UNDERSTOOD_CRIT }).b64;
    } catch {
      /* reported by verifyOne below */
    }
    let attached: Uint8Array | null = null;
    try {
      attached = b64 ? decodeBase64url(parsed.payload, 'payload') : encoder.encode(parsed.payload);
    } catch {
      return fail('malformed counter-signature payload');
    }
    if (Buffer.compare(Buffer.from(attached), Buffer.from(masterSignature)) !== 0) {
      const r = fail('the counter-signature does not sign this signature');
      r.subIndication = 'HASH_FAILURE';
      return r;
    }
  }
  const report = await verifyOne(parsed, parsed.signatures[0]!, masterIndex, inner, []);
  report['counterSignatureOf'] = masterIndex;
  return report;
}

function publicKeyOf(der: Uint8Array): KeyObject {
  try {
    return new X509Certificate(der).publicKey;
  } catch {
    failFormat('the signing certificate cannot be parsed');
  }
}

async function verifyOne(parsed: ParsedJws, raw: RawJwsSignature, index: number, options: VerifyJsonOptions, counter: SignatureReport[]): Promise<SignatureReport> {
  const report = emptyReport(index);
  const st: SigState = { errors: report.errors!, warnings: report.warnings! };
  let leafInfo: CertInfo | null = null;
  try {
    let h: CheckedHeaders;
    try {
      h = checkHeaders(raw, { crit: UNDERSTOOD_CRIT });
    } catch (err) {
      if (err instanceof SealError) failFormat(err.message);
      throw err;
    }
    report['alg'] = h.alg;
    report['canonical'] = h.protectedHeader[CANON_HEADER] !== undefined;
    const etsiU = etsiUComponents(h.unprotectedHeader);
    const { leaf, others } = signingCertificate(h, etsiU);
    try {
      leafInfo = parseCertificate(leaf);
    } catch {
      failFormat('the signing certificate cannot be parsed');
    }
    report.signer = { subject: leafInfo.subject, issuer: leafInfo.issuer, serialNumber: leafInfo.serialNumber };
    const key = publicKeyOf(leaf);
    const mismatch = keyMismatch(h.alg, key);
    if (mismatch !== null) failFormat(mismatch);
    const claimed = claimedSigningTime(h, st);
    report.signingTime = claimed?.toISOString() ?? null;
    report.signingTimeSource = claimed ? 'claimed' : null;
    let sigBytes: Uint8Array;
    try {
      sigBytes = decodeBase64url(raw.signature, 'signature');
    } catch {
      failFormat('malformed base64url in signature');
    }
    let covered: Uint8Array | null;
    try {
      covered = coveredPayload(parsed, h, options, st);
    } catch (err) {
      if (err instanceof SealError && err.code !== 'ERR_INPUT_INVALID') failFormat(err.message);
      throw err;
    }
    if (covered === null) throw new SigFailure('INDETERMINATE', 'SIGNED_DATA_NOT_FOUND', 'detached payload not supplied');
    if (!verifySignatureValue(h.alg, key, signingInput(raw.protected, covered, h.b64), sigBytes)) {
      throw new SigFailure('TOTAL_FAILED', 'SIG_CRYPTO_FAILURE', 'the signature does not verify');
    }
    report.coversWholeDocument = true;
    report.level = 'B-B';

    // B-T: signature time-stamps in etsiU.
    let tsTime: Date | null = null;
    const tsChecks: TimestampCheck[] = [];
    for (const { value: comp } of etsiU) {
      if (comp['sigTst'] === undefined) continue;
      tsChecks.push(await verifySignatureTimestamp(comp['sigTst'], encoder.encode(raw.signature), options));
    }
    const goodTs = tsChecks.find((t) => t.valid);
    const badTs = tsChecks.find((t) => !t.valid);
    if (badTs !== undefined) {
      report.timestamp = { time: badTs.time ?? '', valid: false, tsa: badTs.tsa, trusted: false } satisfies TimestampSummary;
      throw new SigFailure('TOTAL_FAILED', 'HASH_FAILURE', `signature time-stamp: ${badTs.error ?? 'invalid'}`);
    }
    if (goodTs !== undefined) {
      tsTime = new Date(goodTs.time!);
      report.timestamp = { time: goodTs.time!, valid: true, tsa: goodTs.tsa, trusted: goodTs.trusted };
      report.signingTime = goodTs.time;
      report.signingTimeSource = 'timestamp';
      report.level = 'B-T';
      if (!goodTs.trusted) st.warnings.push('the time-stamp authority is not trusted');
      if (claimed !== null && claimed.getTime() > tsTime.getTime() + 5 * 60_000) failFormat('claimed signing time is after the time-stamp');
    }
    // Validation data in etsiU (xVals certificates, rVals CRLs/OCSP) feed path validation.
    const embedded = embeddedValidationData(etsiU);
    if (embedded.crls.length + embedded.ocsps.length > 0 && report.level === 'B-T') report.level = 'B-LT';
    // B-LTA: archive time-stamps (base64url etsiU form; TS 119 182-1 §5.3.6.3.1.1).
    const arc = await verifyArchiveTimestamps(parsed, raw, h, etsiU, options);
    if (arc.error !== null) throw new SigFailure('TOTAL_FAILED', 'HASH_FAILURE', `archive time-stamp: ${arc.error}`);
    if (arc.count > 0 && report.level === 'B-LT') report.level = 'B-LTA';
    if (arc.warning) st.warnings.push(arc.warning);
    // Counter-signatures (etsiU cSig) are reported as signatures of their own.
    for (const { value: comp } of etsiU) {
      if (comp['cSig'] === undefined) continue;
      counter.push(await verifyCounterSignature(comp['cSig'], sigBytes, index, options));
    }

    const at = options.at ?? (goodTs?.trusted ? tsTime : null) ?? claimed ?? new Date();
    if (claimed !== null && claimed.getTime() > Date.now() + 5 * 60_000 && options.at === undefined) failFormat('claimed signing time is in the future');
    const path = await validateCertificatePath(leaf, {
      trustAnchors: options.trustAnchors ?? [],
      intermediates: [...others, ...embedded.certs, ...(options.intermediates ?? [])],
      at,
      timeProven: goodTs?.trusted === true,
      revocation: {
        crls: [...(options.crls ?? []), ...embedded.crls],
        ocsps: [...(options.ocsps ?? []), ...embedded.ocsps],
        ...(options.fetcher ? { fetcher: options.fetcher } : {}),
        ...(options.registry ? { registry: options.registry } : {}),
      },
      revocationPolicy: options.revocationPolicy ?? 'require',
    });
    report.trusted = path.trusted && path.indication === 'TOTAL_PASSED';
    report.revocation = path.revocation;
    report['chain'] = path.chain.map((c) => c.subject);
    report['validationTime'] = at.toISOString();
    st.errors.push(...path.errors);
    st.warnings.push(...path.warnings);
    report.indication = path.indication;
    report.subIndication = path.subIndication;
    return report;
  } catch (err) {
    if (!(err instanceof SigFailure)) throw err;
    report.indication = err.indication;
    report.subIndication = err.sub;
    report.trusted = false;
    st.errors.unshift(err.message);
    return report;
  }
}

/** A well-formed JSON object that is no JWS at all (no signature members, or an empty signatures array). */
function isUnsignedJson(input: string | Uint8Array, maxBytes: number): boolean {
  const size = typeof input === 'string' ? input.length : input.length;
  if (size > maxBytes) return false; // parseJws reports the size
  const first = typeof input === 'string' ? input.trimStart()[0] : String.fromCharCode(input.find((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) ?? 0);
  if (first !== '{') return false;
  let doc: JsonValue;
  try {
    doc = parseJsonStrict(input);
  } catch {
    return false; // parseJws reports it
  }
  if (!isJsonObject(doc)) return false;
  const sigs = doc['signatures'];
  if (Array.isArray(sigs)) return sigs.length === 0 && !('signature' in doc);
  return !('signatures' in doc) && !('signature' in doc) && !('protected' in doc);
}

/**
 * Verify a JAdES/JWS seal (compact string or JSON serialization). Throws only when no report
 * can be made: not a JWS at all (ERR_JWS_INVALID), too large (ERR_INPUT_TOO_LARGE), or
 * contradictory inputs (ERR_INPUT_INVALID).
 */
export async function verifyJson(input: string | Uint8Array, options: VerifyJsonOptions = {}): Promise<VerificationReport> {
  if (isUnsignedJson(input, options.maxBytes ?? DEFAULT_MAX_JWS_BYTES)) {
    return { indication: 'NO_SIGNATURE', signatures: [], format: 'JAdES', serialization: null };
  }
  const parsed = parseJws(input, options.maxBytes ?? DEFAULT_MAX_JWS_BYTES);
  const signatures: SignatureReport[] = [];
  for (let i = 0; i < parsed.signatures.length; i++) {
    const counter: SignatureReport[] = [];
    signatures.push(await verifyOne(parsed, parsed.signatures[i]!, i, options, counter));
    signatures.push(...counter);
  }
  return { indication: combineIndications(signatures), signatures, format: 'JAdES', serialization: parsed.serialization };
}

export type { JwsAlgorithm };
