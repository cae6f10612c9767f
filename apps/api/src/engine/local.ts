/**
 * The in-process engine: @seal/core's sealing and verification functions behind EnginePort.
 * Used inside the pool's workers, and directly when no pool is wanted (tests, small tools).
 */
import {
  AlgorithmUnsupportedError,
  checkCrl,
  checkOcsp,
  concatOutput,
  extendPdf,
  gatherValidationData,
  isIssuedBy,
  listFields,
  parseCertificate,
  parseCrl,
  parseOcspResponse,
  parsePdf,
  PdfDocument,
  PdfMalformedError,
  SealError,
  signJson,
  signPdfParts,
  verifyJson,
  verifyPdf,
  type CertInfo,
  type ParsedCrl,
  type ParsedOcsp,
  type SignPdfOptions,
  type Signer,
  type VerificationReport,
} from '@seal/core';
import type { EnginePort, LtvMaterial, SealJsonInput, SealPdfInput, TrustInput } from '../deps.js';

export interface LocalEngineOptions {
  /** Where the verification page lives; a `qr` seal links to it. */
  baseUrl?: string;
  /** TSA URL for PAdES B-T, B-LT and B-LTA (signature and document time-stamps). */
  tsaUrl?: string;
}

export function createLocalEngine(options: LocalEngineOptions = {}): EnginePort {
  return {
    async signPdf(input: SealPdfInput, signer: Signer): Promise<{ pdf: Uint8Array; signatureValue: Uint8Array }> {
      const o = input.options;
      const opts: SignPdfOptions = {};
      const level = o.level ?? 'B-B';
      const ltv = level === 'B-LT' || level === 'B-LTA';
      if (level !== 'B-B') {
        // The core's rule (SM2 seals are B-B only), checked here so that it answers before the
        // TSA and validation-data checks below, which would otherwise report a misleading 503.
        if (signer.keyType === 'SM2') throw new AlgorithmUnsupportedError(`level ${level} is not supported with an SM2 key (B-B only)`);
        if (options.tsaUrl === undefined) throw new SealError('ERR_KEY_UNAVAILABLE', `PAdES ${level} needs a time-stamp authority, and this service has none configured`);
        // B-LT/B-LTA: a B-T signature first, then the DSS (and the document time-stamp) below.
        opts.level = 'B-T';
        opts.tsaUrl = options.tsaUrl;
      } else if (o.level !== undefined) {
        opts.level = 'B-B';
      }
      // P=1 permits no later change, so neither the DSS nor a document time-stamp could follow.
      if (ltv && o.certify === 1) throw new SealError('ERR_INPUT_INVALID', `certify 1 (no changes permitted) cannot be combined with level ${level}`);
      const material = ltv ? ltvMaterialOf(input, level) : undefined;
      if (o.reason !== undefined) opts.reason = o.reason;
      if (o.location !== undefined) opts.location = o.location;
      if (o.certify !== undefined) opts.certify = o.certify;
      if (o.visible || o.rect !== undefined || o.page !== undefined || o.qr) {
        const visible: NonNullable<typeof opts.visible> = { page: o.page ?? 1, rect: o.rect ?? [36, 36, 180, 90] };
        if (o.qr && input.qrUrl !== undefined) visible.qr = input.qrUrl;
        else if (o.qr && options.baseUrl !== undefined) visible.qr = `${options.baseUrl}/`;
        opts.visible = visible;
      }
      if (material !== undefined) await checkLtvMaterial(input.pdf, signer, material, level);
      const sealed = await signPdfParts(input.pdf, signer, opts);
      let pdf = concatOutput(sealed.input, sealed.update);
      if (material !== undefined && (level === 'B-LT' || level === 'B-LTA')) pdf = await extendSealed(pdf, material, level, options.tsaUrl!);
      // The usage log records the hash of the signature value: for PAdES, the CMS SignedData.
      return { pdf, signatureValue: sealed.cms };
    },
    async signJson(input: SealJsonInput, signer: Signer): Promise<{ signature: unknown; signatureValue: Uint8Array }> {
      const r = await signJson(input.payload, { signer, format: input.format, detached: input.detached, canonical: input.canonical });
      const signature: unknown = r.format === 'json' ? JSON.parse(r.jws) : r.jws;
      return { signature, signatureValue: new TextEncoder().encode(r.jws) };
    },
    async verifyPdf(pdf: Uint8Array, trust: TrustInput): Promise<VerificationReport> {
      return verifyPdf(pdf, { trustAnchors: trust.trustAnchors, crls: trust.crls });
    },
    async verifyJson(jws: string, payload: Uint8Array | null, trust: TrustInput): Promise<VerificationReport> {
      const o: { payload?: Uint8Array; trustAnchors: Uint8Array[]; crls: Uint8Array[] } = { trustAnchors: trust.trustAnchors, crls: trust.crls };
      if (payload !== null) o.payload = payload;
      return verifyJson(jws, o);
    },
  };
}


function ltvMaterialOf(input: SealPdfInput, level: string): LtvMaterial {
  // The sealing route makes it (ltv-material.ts); without it there is nothing to put in the DSS.
  if (input.ltv === undefined) throw new SealError('ERR_UPSTREAM', `PAdES ${level}: no validation data (CRL, OCSP) was supplied for the seal`);
  return input.ltv;
}

function parsedMaterial(m: LtvMaterial): { crls: ParsedCrl[]; ocsps: ParsedOcsp[]; anchors: CertInfo[] } {
  return {
    crls: m.crls.map(parseCrl).filter((c): c is ParsedCrl => c !== null),
    ocsps: m.ocsps.map(parseOcspResponse).filter((r): r is ParsedOcsp => r !== null),
    anchors: m.trustAnchors.map((c) => parseCertificate(c)),
  };
}

/**
 * Before anything is signed: the service's material must cover the seal's own chain (revocation
 * data for every certificate below the trust anchor), else 503 naming the certificate; and the
 * signatures already in the document must be extendable with it, else the caller's document is
 * the problem (the core's typed 4xx error, which names the signature).
 */
async function checkLtvMaterial(pdf: Uint8Array, signer: Signer, m: LtvMaterial, level: string): Promise<void> {
  const { crls, ocsps, anchors } = parsedMaterial(m);
  const chain = signer.certificateChain.map((c) => parseCertificate(c));
  const now = new Date();
  for (let i = 0; i < chain.length; i++) {
    const cert = chain[i]!;
    if (anchors.some((a) => a.fingerprint === cert.fingerprint)) break;
    const issuer = chain[i + 1] ?? anchors.find((a) => isIssuedBy(cert, a));
    if (issuer === undefined) throw new SealError('ERR_UPSTREAM', `PAdES ${level}: the chain of "${cert.subject}" does not reach a trust anchor of this service`);
    const covered =
      ocsps.some((r) => {
        const st = checkOcsp(r, cert, issuer, now);
        return st !== null && st.status !== 'unknown';
      }) || crls.some((c) => checkCrl(c, cert, issuer, now) !== null);
    if (!covered) throw new SealError('ERR_UPSTREAM', `PAdES ${level}: this service has no current revocation data (CRL or OCSP) for "${cert.subject}"`);
  }
  let doc: PdfDocument;
  try {
    doc = parsePdf(pdf);
  } catch {
    return; // not a readable PDF: signPdfParts refuses it with its usual error
  }
  try {
    if (hasSignatures(doc)) await gatherValidationData(doc, gatherOptions(m));
  } catch (err) {
    if (err instanceof SealError) throw err;
    throw new PdfMalformedError('malformed PDF: its signatures cannot be read', { cause: err });
  }
}

function gatherOptions(m: LtvMaterial): { crls: Uint8Array[]; ocsps: Uint8Array[]; certificates: Uint8Array[]; trustAnchors: Uint8Array[] } {
  return { crls: m.crls, ocsps: m.ocsps, certificates: m.certificates, trustAnchors: m.trustAnchors };
}

/** Whether the document already holds a signed signature field. */
function hasSignatures(doc: PdfDocument): boolean {
  return listFields(doc, doc.resolveDict(doc.catalog().get('AcroForm'))).some((f) => f.dict.getName('FT') === 'Sig' && f.dict.has('V'));
}

/**
 * The DSS (and for B-LTA the document time-stamp) over our fresh B-T seal, from the given material
 * only (never online). The document's own signatures were checked before signing, so a failure
 * here is the service's (its TSA's chain lacks data, the TSA did not answer): 503.
 */
async function extendSealed(pdf: Uint8Array, m: LtvMaterial, level: 'B-LT' | 'B-LTA', tsaUrl: string): Promise<Uint8Array> {
  try {
    return await extendPdf(pdf, { level, tsa: tsaUrl, ...gatherOptions(m) });
  } catch (err) {
    if (err instanceof SealError && err.code !== 'ERR_INTERNAL') throw new SealError('ERR_UPSTREAM', `PAdES ${level}: ${err.message}`, { cause: err });
    throw err;
  }
}
