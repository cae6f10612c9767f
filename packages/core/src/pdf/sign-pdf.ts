/**
 * signPdf: seal a PDF as an incremental update (PAdES B-B, or B-T with a time-stamp).
 *
 *   const out = await signPdf(bytes, signer, { reason: 'Issued', visible: { page: 1, rect: [50, 50, 120, 120], image } });
 *
 * Composition: parse (only the trailer chain, catalog, target page, AcroForm) -> placeholder sized
 * from the real CMS estimate -> one hash pass over the two ByteRange views (no copy) -> CMS from
 * the Signer -> /Contents patched in place. The input is a byte-identical prefix of the output.
 */
import { X509Certificate, createHash } from 'node:crypto';
import { AlgorithmUnsupportedError, InputInvalidError, SealError } from '../errors/index.js';
import { createCmsSignature, estimateCmsSize, type CmsHash, type CmsSignatureSetup, type Timestamper } from '../cms/sign.js';
import { createGmCmsSignature, estimateGmCmsSize } from '../cn/gm-cms.js';
import { parseCertificateInfo } from '../asn1/certificate.js';
import { checkCertificateUsable } from '../signer/load-key.js';
import type { Signer } from '../signer/signer.js';
import { buildSealAppearance } from './appearance/seal-appearance.js';
import { parsePdf } from './parser/document.js';
import { concatOutput } from './writer/incremental.js';
import { prepareSignature, type SignatureSetup, type SubFilter } from './writer/signature.js';
import { extendPdf, type ExtendPdfOptions } from './ltv/extend.js';

export type PadesLevel = 'B-B' | 'B-T' | 'B-LT' | 'B-LTA';

export interface VisibleSealOptions {
  /** 1-based page number. */
  page: number;
  /** [x, y, width, height] in PDF points from the page's lower-left corner. */
  rect: readonly [number, number, number, number];
  /** PNG (transparency kept) or JPEG bytes. Without it a framed caption is drawn. */
  image?: Uint8Array;
  /** Text (e.g. a verification URL) drawn as a QR code at the right of the rectangle. */
  qr?: string;
  /** Caption when there is no image (default: the signer's name). */
  text?: string;
}

export interface SignPdfOptions {
  /** 'B-B' (default), 'B-T', 'B-LT' or 'B-LTA' (the last three need `tsaUrl` or `timestamper`). */
  level?: PadesLevel;
  /** B-LT/B-LTA: where the DSS's validation data comes from (CRLs, fetcher, trust anchors; see extendPdf). */
  ltv?: Omit<ExtendPdfOptions, 'level' | 'tsa' | 'hash'>;
  tsaUrl?: string;
  timestamper?: Timestamper;
  /** 'ETSI.CAdES.detached' (default) or 'adbe.pkcs7.detached'. */
  subFilter?: SubFilter;
  /** Digest for the document and signed attributes (default SHA-256). */
  hash?: CmsHash;
  /** RSA keys: PKCS#1 v1.5 (default) or PSS. */
  rsaScheme?: 'RSA-PKCS1' | 'RSA-PSS';
  reason?: string;
  location?: string;
  contactInfo?: string;
  /** Signing time (/M); default now. The seal certificate must be valid at this time. */
  signingTime?: Date;
  /** Sign into this existing empty signature field (or name the new one so). */
  field?: string;
  /** Place a visible seal; invisible when absent. */
  visible?: VisibleSealOptions;
  /** Certify (DocMDP) with P = 1, 2 or 3; only allowed as the first signature. */
  certify?: 1 | 2 | 3;
  /** Skip the seal certificate validity check (tests of expired material only). Default false. */
  allowInvalidCertificate?: boolean;
}

/** The seal certificate's validity window, read once per Signer (checkCertificateUsable parses the certificate). */
const validityCache = new WeakMap<Signer, { leaf: Uint8Array; from: number; to: number }>();

function checkValidity(signer: Signer, leaf: Uint8Array, at: Date): void {
  let v = validityCache.get(signer);
  if (!v || v.leaf !== leaf) {
    const info = parseCertificateInfo(leaf);
    v = { leaf, from: info.notBefore.getTime(), to: info.notAfter.getTime() };
    validityCache.set(signer, v);
  }
  const t = at.getTime();
  // Outside the window: let checkCertificateUsable raise its ERR_CERT_EXPIRED with the dates.
  if (t < v.from || t > v.to) checkCertificateUsable(leaf, at);
}

/** Estimates per signer and CMS setup: the CMS layout is the same for every seal with one key. */
const sizeCache = new WeakMap<Signer, Map<string, number>>();

async function contentsSize(setup: CmsSignatureSetup, key: string): Promise<number> {
  let m = sizeCache.get(setup.signer);
  if (!m) {
    m = new Map();
    sizeCache.set(setup.signer, m);
  }
  let size = m.get(key);
  if (size === undefined) {
    size = await estimateCmsSize(setup);
    if (m.size > 32) m.clear();
    m.set(key, size);
  }
  return size;
}

function commonName(signer: Signer): string | undefined {
  const leaf = signer.certificateChain[0];
  if (!leaf) return undefined;
  try {
    const m = /^CN=(.*)$/m.exec(new X509Certificate(leaf).subject);
    return m?.[1];
  } catch {
    return undefined;
  }
}

/** Seal `bytes` with `signer`; returns the new file (input bytes + one incremental update). */
export async function signPdf(bytes: Uint8Array, signer: Signer, options: SignPdfOptions = {}): Promise<Uint8Array> {
  const { input, update } = await signPdfParts(bytes, signer, options);
  return concatOutput(input, update);
}

export interface SignPdfParts {
  input: Uint8Array;
  update: Uint8Array;
  /** The CMS SignedData embedded in the new signature's /Contents (e.g. for a usage log). */
  cms: Uint8Array;
}

/**
 * signPdf without the final copy: the output file is `input` (the very bytes given) followed by
 * `update`. Write both to a file (fs.writev) to seal large files without copying them.
 */
export async function signPdfParts(bytes: Uint8Array, signer: Signer, options: SignPdfOptions = {}): Promise<SignPdfParts> {
  const level = options.level ?? 'B-B';
  if (level === 'B-LT' || level === 'B-LTA') {
    // B-T, then the DSS (and for B-LTA a document time-stamp) as further incremental updates
    if (!options.tsaUrl && !options.timestamper) throw new InputInvalidError(`level ${level} needs a TSA (tsaUrl)`);
    const signed = await signPdfParts(bytes, signer, { ...options, level: 'B-T' });
    const out = await extendPdf(concatOutput(signed.input, signed.update), {
      ...options.ltv,
      level,
      tsa: options.timestamper ?? options.tsaUrl!,
      ...(options.hash ? { hash: options.hash } : {}),
    });
    return { input: bytes, update: out.subarray(bytes.length), cms: signed.cms };
  }
  if (level !== 'B-B' && level !== 'B-T') throw new InputInvalidError(`unsupported PAdES level ${String(level)}`);
  if (level === 'B-T' && !options.tsaUrl && !options.timestamper) throw new InputInvalidError('level B-T needs a TSA (tsaUrl)');
  if (level === 'B-B' && (options.tsaUrl || options.timestamper)) throw new InputInvalidError('a TSA was given for level B-B; use level B-T');
  const leaf = signer.certificateChain[0];
  if (!leaf) throw new SealError('ERR_CERT_INVALID', 'the signer has no certificate');
  const signingTime = options.signingTime ?? new Date();
  if (Number.isNaN(signingTime.getTime())) throw new InputInvalidError('invalid signing time');
  if (!options.allowInvalidCertificate) checkValidity(signer, leaf, signingTime);
  const hash = options.hash ?? 'SHA-256';
  const subFilter = options.subFilter ?? 'ETSI.CAdES.detached';
  if (subFilter !== 'ETSI.CAdES.detached' && subFilter !== 'adbe.pkcs7.detached') throw new InputInvalidError(`unsupported SubFilter ${String(subFilter)}`);
  // SM2 keys: a GM/T 0010 SignedData with SM3 and SM2-with-SM3 (cn/gm-cms.ts); B-B only
  const gm = signer.keyType === 'SM2';
  if (gm && options.hash !== undefined) throw new AlgorithmUnsupportedError(`an SM2 key signs with SM3, not ${options.hash}`);
  if (gm && level !== 'B-B') throw new AlgorithmUnsupportedError(`level ${level} is not supported with an SM2 key (B-B only)`);

  const cmsSetup: CmsSignatureSetup = {
    hash,
    signer,
    profile: subFilter === 'ETSI.CAdES.detached' ? 'cades' : 'pkcs7',
    ...(options.rsaScheme ? { rsaScheme: options.rsaScheme } : {}),
    ...(subFilter === 'adbe.pkcs7.detached' ? { signingTime } : {}),
    ...(level === 'B-T' ? (options.timestamper ? { timestamper: options.timestamper } : { timestampUrl: options.tsaUrl! }) : {}),
  };
  const cacheKey = `${hash} ${cmsSetup.profile} ${options.rsaScheme ?? ''} ${level === 'B-T' ? (options.tsaUrl ?? 'custom') : ''}`;
  const canCache = level === 'B-B' || !options.timestamper;
  let size = gm
    ? await estimateGmCmsSize(signer, cmsSetup.profile, subFilter === 'adbe.pkcs7.detached' ? signingTime : undefined)
    : canCache
      ? await contentsSize(cmsSetup, cacheKey)
      : await estimateCmsSize(cmsSetup);

  const doc = parsePdf(bytes);
  const vis = options.visible;
  const setupBase: Omit<SignatureSetup, 'contentsSize'> = {
    subFilter,
    signingTime,
    ...(options.reason !== undefined ? { reason: options.reason } : {}),
    ...(options.location !== undefined ? { location: options.location } : {}),
    ...(options.contactInfo !== undefined ? { contactInfo: options.contactInfo } : {}),
    ...(options.field !== undefined ? { fieldName: options.field } : {}),
    ...(options.certify !== undefined ? { certify: options.certify } : {}),
    ...(vis
      ? {
          page: vis.page,
          rect: vis.rect,
          appearance: (upd, w, h, rotate) =>
            buildSealAppearance(upd, w, h, {
              rotate,
              ...(vis.image ? { image: vis.image } : {}),
              ...(vis.qr !== undefined ? { qr: vis.qr } : {}),
              text: vis.text ?? commonName(signer) ?? 'Sealed',
            }),
        }
      : {}),
  };

  for (let attempt = 0; ; attempt++) {
    const prepared = prepareSignature(doc, { ...setupBase, contentsSize: size });
    const h = createHash(gm ? 'sm3' : hash === 'SHA-256' ? 'sha256' : hash === 'SHA-384' ? 'sha384' : 'sha512');
    for (const part of prepared.signedParts()) h.update(part);
    const cms = gm
      ? await createGmCmsSignature({ signer, contentDigest: h.digest(), ...(cmsSetup.profile ? { profile: cmsSetup.profile } : {}), ...(cmsSetup.signingTime ? { signingTime: cmsSetup.signingTime } : {}) })
      : await createCmsSignature({ ...cmsSetup, contentDigest: h.digest() });
    if (cms.length <= prepared.contentsSize) {
      prepared.embed(cms);
      return { input: prepared.input, update: prepared.update, cms };
    }
    // The estimate was short (a longer time-stamp token than probed): size from the real CMS once.
    if (attempt > 0) throw new SealError('ERR_INTERNAL', 'the CMS signature does not fit its placeholder');
    size = cms.length + 512;
    sizeCache.get(signer)?.delete(cacheKey);
  }
}
