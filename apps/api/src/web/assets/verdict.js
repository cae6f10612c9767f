// @ts-check
/**
 * Plain-words verdicts for the verification page: pure functions from the service's answer
 * (VerificationReport plus the registry's view) to message keys and parameters. No DOM, no
 * I/O, so the same module runs in the browser and in the unit tests.
 */

/** @typedef {'ok' | 'bad' | 'warn'} Tone */
/** @typedef {{ tone: Tone, key: string, params: Record<string, unknown> }} Verdict */
/** @typedef {{ kind: string, page: number | null }} ChangedThing */

const PDF_MAGIC = [0x25, 0x50, 0x44, 0x46, 0x2d]; // %PDF-

/**
 * Which verify endpoint a file belongs to: 'pdf' (a %PDF- header in the first KiB, as readers
 * accept), 'json' (UTF-8 text that starts like a JSON object or a compact JWS), or null.
 * A name ending in .pdf goes to the PDF verifier even without a header: the server then says why.
 * @param {Uint8Array} bytes
 * @param {string} [name]
 * @returns {'pdf' | 'json' | null}
 */
export function sniffFormat(bytes, name = '') {
  const limit = Math.min(bytes.length - PDF_MAGIC.length, 1024);
  for (let i = 0; i <= limit; i++) {
    let hit = true;
    for (let j = 0; j < PDF_MAGIC.length; j++) {
      if (bytes[i + j] !== PDF_MAGIC[j]) { hit = false; break; }
    }
    if (hit) return 'pdf';
  }
  let text = '';
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, 4096));
  } catch {
    text = '';
  }
  const t = text.replace(/^\uFEFF/, '').trimStart();
  if (t.startsWith('{') || /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\./.test(t)) return 'json';
  if (/\.pdf$/i.test(name)) return 'pdf';
  if (/\.(json|jws|jades)$/i.test(name) && t.length > 0) return 'json';
  return null;
}

const KNOWN_KINDS = new Set(['page-content', 'annotation', 'form-fill', 'signature', 'dss']);

/**
 * What changed after sealing, from the report's modifications. The page number comes from a
 * numeric `page` field when the verifier gives one, else from "page N" in the description.
 * @param {ReadonlyArray<{kind?: unknown, description?: unknown, object?: unknown, allowed?: unknown, page?: unknown}>} mods
 * @returns {ChangedThing[]}
 */
export function changedThings(mods) {
  /** @type {ChangedThing[]} */
  const out = [];
  for (const m of mods) {
    let kind = typeof m.kind === 'string' ? m.kind : 'other';
    // A changed stream the verifier could not tie to a page is still content, not "other".
    if (!KNOWN_KINDS.has(kind) && /\bstream\b|\bcontent\b/i.test(typeof m.description === 'string' ? m.description : '')) kind = 'stream';
    const text = `${typeof m.description === 'string' ? m.description : ''} ${typeof m.object === 'string' ? m.object : ''}`;
    const pm = /\bpage\s*#?\s*(\d+)/i.exec(text);
    const field = /** @type {Record<string, unknown>} */ (m).page;
    const page = typeof field === 'number' && Number.isInteger(field) && field > 0 ? field : pm ? Number(pm[1]) : null;
    if (!out.some((o) => o.kind === kind && o.page === page)) out.push({ kind, page });
  }
  return out;
}

const UNTRUSTED = new Set([
  'NO_CERTIFICATE_CHAIN_FOUND',
  'CERTIFICATE_CHAIN_GENERAL_FAILURE',
  'NO_SIGNING_CERTIFICATE_FOUND',
  'CHAIN_CONSTRAINTS_FAILURE',
]);

/**
 * The verdict in plain words for one signature of the report.
 * @param {Record<string, any>} sig a SignatureReport
 * @returns {Verdict}
 */
export function verdictFor(sig) {
  const sub = typeof sig.subIndication === 'string' ? sig.subIndication : null;
  const mods = Array.isArray(sig.modifications) ? sig.modifications : [];
  const disallowed = mods.filter((m) => m && m.allowed === false);
  const allowed = mods.filter((m) => m && m.allowed === true);
  const rev = sig.revocation && typeof sig.revocation === 'object' ? sig.revocation : {};
  const revParams = { revokedAt: rev.revokedAt ?? null, reason: rev.reason ?? null, signingTime: sig.signingTime ?? null };

  if (sig.indication === 'TOTAL_PASSED') {
    if (disallowed.length > 0) return { tone: 'bad', key: 'v.changed', params: { things: changedThings(disallowed) } };
    if (allowed.length > 0) return { tone: 'ok', key: 'v.allowedChanges', params: { things: changedThings(allowed) } };
    return { tone: 'ok', key: 'v.unchanged', params: {} };
  }
  if (sig.indication === 'TOTAL_FAILED') {
    if (sub === 'REVOKED') return { tone: 'bad', key: 'v.revokedBefore', params: revParams };
    if (disallowed.length > 0 || sub === 'HASH_FAILURE') {
      return { tone: 'bad', key: 'v.changed', params: { things: changedThings(disallowed) } };
    }
    if (sub === 'SIG_CRYPTO_FAILURE') return { tone: 'bad', key: 'v.forged', params: {} };
    if (sub === 'EXPIRED' || sub === 'NOT_YET_VALID') return { tone: 'bad', key: 'v.expired', params: {} };
    if (sub !== null && UNTRUSTED.has(sub)) return { tone: 'bad', key: 'v.untrusted', params: {} };
    if (sub === 'FORMAT_FAILURE') return { tone: 'bad', key: 'v.malformed', params: {} };
    return { tone: 'bad', key: 'v.invalid', params: {} };
  }
  // INDETERMINATE (or anything unexpected): never reads as "valid".
  if (disallowed.length > 0) return { tone: 'bad', key: 'v.changed', params: { things: changedThings(disallowed) } };
  if (sub === 'REVOKED_NO_POE' || sub === 'REVOKED_CA_NO_POE') return { tone: 'warn', key: 'v.revokedNoProof', params: revParams };
  if (sub !== null && UNTRUSTED.has(sub)) return { tone: 'warn', key: 'v.untrusted', params: {} };
  // The sub-indication is the precise reason; `trusted: false` alone only decides when there is none.
  if (sub === 'TRY_LATER') return { tone: 'warn', key: 'v.revocationUnknown', params: {} };
  if (sub === 'OUT_OF_BOUNDS_NO_POE' || sub === 'OUT_OF_BOUNDS_NOT_REVOKED') return { tone: 'warn', key: 'v.expiredNoProof', params: {} };
  if (sub === 'SIG_FORMAT_FAILURE' || sub === 'SIGNED_DATA_NOT_FOUND') return { tone: 'warn', key: 'v.malformed', params: {} };
  if (sig.trusted === false) return { tone: 'warn', key: 'v.untrusted', params: {} };
  if (rev.status === 'unknown') return { tone: 'warn', key: 'v.revocationUnknown', params: {} };
  return { tone: 'warn', key: 'v.unconfirmed', params: {} };
}

/**
 * The headline for the whole document.
 * @param {Record<string, any>} report a VerificationReport
 * @returns {Verdict}
 */
export function documentVerdict(report) {
  const sigs = Array.isArray(report.signatures) ? report.signatures : [];
  if (report.indication === 'NO_SIGNATURE' || sigs.length === 0) return { tone: 'warn', key: 'd.noSeal', params: {} };
  const verdicts = sigs.map((s) => verdictFor(s));
  const n = sigs.length;
  if (verdicts.some((v) => v.tone === 'bad') || report.indication === 'TOTAL_FAILED') return { tone: 'bad', key: 'd.bad', params: { n } };
  if (verdicts.some((v) => v.tone === 'warn') || report.indication !== 'TOTAL_PASSED') return { tone: 'warn', key: 'd.warn', params: { n } };
  return { tone: 'ok', key: 'd.ok', params: { n } };
}

/**
 * Message key for a non-200 answer of the verify endpoints (problem+json, RFC 9457).
 * @param {number} status
 * @param {Record<string, any> | null} problem
 * @returns {string}
 */
export function problemKey(status, problem) {
  const code = problem && typeof problem.code === 'string' ? problem.code : '';
  if (code === 'ERR_PDF_ENCRYPTED') return 'e.encrypted';
  if (status === 413 || code === 'ERR_INPUT_TOO_LARGE') return 'e.tooLarge';
  if (status === 429) return 'e.busy';
  if (status === 501 || code === 'ERR_NOT_IMPLEMENTED') return 'e.unsupported';
  if (status === 400 || status === 415 || status === 422) return 'e.notSealedDocument';
  return 'e.service';
}

/**
 * @param {unknown} v
 * @returns {string | null}
 */
function str(v) {
  return typeof v === 'string' && v.trim() !== '' ? v : null;
}

/**
 * A seal picture is shown only from a data: image or a path on this service (the page's CSP
 * allows nothing else anyway).
 * @param {unknown} v
 * @returns {string | null}
 */
export function safeImageSrc(v) {
  const s = str(v);
  if (s === null) return null;
  if (/^data:image\/(png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/=\s]+$/.test(s)) return s;
  if (/^\/(?!\/)[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/.test(s)) return s;
  return null;
}

/**
 * @typedef {object} RegistryView
 * @property {string | null} agencyName
 * @property {string | null} sealName
 * @property {string | null} sealId
 * @property {string | null} image
 * @property {'active' | 'suspended' | 'revoked' | string | null} state
 * @property {string | null} since     ISO time of the suspension or revocation
 * @property {string | null} reason    RFC 5280 reason name
 * @property {string | null} entryId
 */

/**
 * Normalise the registry's view of one seal, whatever nesting the API uses:
 * `{seal: {id, name, image|imageUrl|picture}, agency: {name} | string, status: 'revoked' | {state|status, since|revokedAt|at, reason}, revokedAt, revocationReason}`.
 * @param {unknown} raw
 * @returns {RegistryView | null}
 */
export function normaliseRegistry(raw) {
  if (!raw || typeof raw !== 'object') return null;
  /** @type {Record<string, any>} */
  const r = raw;
  const seal = r.seal && typeof r.seal === 'object' ? r.seal : {};
  const agency = r.agency && typeof r.agency === 'object' ? r.agency : {};
  const st = r.status && typeof r.status === 'object' ? r.status : {};
  const state = str(typeof r.status === 'string' ? r.status : st.state ?? st.status ?? r.state ?? seal.status ?? seal.state);
  /** @type {RegistryView} */
  const view = {
    agencyName: str(typeof r.agency === 'string' ? r.agency : agency.name ?? r.agencyName),
    sealName: str(seal.name ?? r.sealName),
    sealId: str(seal.id ?? r.sealId),
    image: safeImageSrc(seal.image ?? seal.imageUrl ?? seal.picture ?? r.image ?? r.imageUrl),
    state: state === null ? null : state.toLowerCase(),
    since: str(st.since ?? st.revokedAt ?? st.suspendedAt ?? st.at ?? r.revokedAt ?? r.suspendedAt ?? seal.revokedAt),
    reason: str(st.reason ?? st.revocationReason ?? r.revocationReason ?? r.reason ?? seal.revocationReason),
    entryId: str(r.entryId ?? r.id),
  };
  return view.agencyName === null && view.sealName === null && view.state === null ? null : view;
}

/**
 * The verify endpoints answer `{report, registry: [{signature: i, seal, agency, status}]}`.
 * @param {unknown} answer
 * @returns {Record<string, any>} the VerificationReport inside
 */
export function reportOf(answer) {
  if (!answer || typeof answer !== 'object') return {};
  /** @type {Record<string, any>} */
  const a = answer;
  return a.report && typeof a.report === 'object' ? a.report : a;
}

/**
 * The registry view for signature `i` of a verify answer: the `registry` entry whose
 * `signature` is i (else the i-th), or `signatures[i].registry` inside the report.
 * @param {Record<string, any>} answer
 * @param {number} i
 * @returns {RegistryView | null}
 */
export function registryFor(answer, i) {
  const reg = answer.registry;
  if (Array.isArray(reg)) {
    const hit = reg.find((r) => r && typeof r === 'object' && r.signature === i);
    return normaliseRegistry(hit ?? (reg.every((r) => r && typeof r === 'object' && 'signature' in r) ? null : reg[i]));
  }
  const sigs = reportOf(answer).signatures;
  const sig = Array.isArray(sigs) ? sigs[i] : undefined;
  if (sig && typeof sig === 'object' && sig.registry) return normaliseRegistry(sig.registry);
  return null;
}

/**
 * The body for POST /v1/verify/json: `{jws}` with the compact JWS string or the JWS JSON object.
 * Null when the text is neither (the page then says it is not a sealed document).
 * @param {Uint8Array} bytes
 * @returns {{ jws: string | Record<string, unknown> } | null}
 */
export function jsonVerifyBody(bytes) {
  let text;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, '').trim();
  } catch {
    return null;
  }
  if (/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+$/.test(text)) return { jws: text };
  try {
    const j = JSON.parse(text);
    if (j && typeof j === 'object' && !Array.isArray(j)) return { jws: j };
  } catch {
    return null;
  }
  return null;
}

/**
 * Attribute values from an RFC 4514 / OpenSSL-style distinguished name.
 * @param {unknown} dn
 * @returns {{ cn: string | null, o: string | null }}
 */
export function dnParts(dn) {
  const s = typeof dn === 'string' ? dn : '';
  /** @param {string} key */
  const pick = (key) => {
    const m = new RegExp(`(?:^|[,/;+]\\s*)${key}\\s*=\\s*((?:\\\\.|[^,/;+])+)`, 'i').exec(s);
    return m && m[1] ? m[1].replace(/\\(.)/g, '$1').trim() : null;
  };
  return { cn: pick('CN'), o: pick('O') };
}

/**
 * Byte lengths whose prefix may be the document as it was before sealing: the whole file and
 * every end of a revision (after `%%EOF` and its end-of-line), since sealing appends.
 * @param {Uint8Array} bytes
 * @returns {number[]}
 */
export function revisionEnds(bytes) {
  /** @type {Set<number>} */
  const ends = new Set([bytes.length]);
  const pat = [0x25, 0x25, 0x45, 0x4f, 0x46]; // %%EOF
  for (let i = 0; i + pat.length <= bytes.length; i++) {
    let hit = true;
    for (let j = 0; j < pat.length; j++) if (bytes[i + j] !== pat[j]) { hit = false; break; }
    if (!hit) continue;
    let e = i + pat.length;
    ends.add(e);
    if (bytes[e] === 0x0d) ends.add(++e);
    if (bytes[e] === 0x0a) ends.add(++e);
  }
  return [...ends].sort((a, b) => a - b);
}

/**
 * The signed payload of a JWS file (compact, flattened or general JSON serialization), if any.
 * @param {Uint8Array} bytes
 * @returns {Uint8Array | null}
 */
export function jwsPayload(bytes) {
  let text;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes).trim();
  } catch {
    return null;
  }
  /** @type {unknown} */
  let b64 = null;
  const compact = /^[A-Za-z0-9_-]+\.([A-Za-z0-9_-]*)\.[A-Za-z0-9_-]+$/.exec(text);
  if (compact) b64 = compact[1];
  else {
    try {
      const j = JSON.parse(text);
      if (j && typeof j === 'object') b64 = j.payload;
    } catch {
      return null;
    }
  }
  if (typeof b64 !== 'string' || !/^[A-Za-z0-9_-]*$/.test(b64)) return null;
  const bin = atob(b64.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

/**
 * Whether a JWS keeps its payload apart (detached: compact `header..signature`, or a JSON
 * serialization without `payload`). The page then asks for the sealed document as well.
 * @param {{ jws: string | Record<string, unknown> }} body
 * @returns {boolean}
 */
export function isDetached(body) {
  const j = body.jws;
  if (typeof j === 'string') return /^[A-Za-z0-9_-]+\.\.[A-Za-z0-9_-]+$/.test(j);
  return !('payload' in j) || j.payload === '' || j.payload === null;
}

/**
 * Standard base64 of bytes (for the `payload` field of POST /v1/verify/json).
 * @param {Uint8Array} bytes
 * @returns {string}
 */
export function toBase64(bytes) {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}
