/**
 * JAdES time-stamps in etsiU (TS 119 182-1 §5.3.4 sigTst, §5.3.6 arcTst): RFC 3161 tokens in
 * `{ tstTokens: [{ val }] }`. The token itself is checked by tsa/verifyTimestampToken (CMS
 * signature, imprint, TSA path with EKU timeStamping); this file only reads the JSON container.
 */
import type { RevocationFetcher } from '../pki/index.js';
import { verifyTimestampToken } from '../tsa/verify.js';
import { decodeBase64Std } from './base64url.js';
import { isJsonObject, type JsonValue } from './json-parse.js';

export interface TimestampCheck {
  /** Token intact, its signature valid and its imprint matching the data. */
  valid: boolean;
  /** ISO time from TSTInfo genTime (when the token could be parsed). */
  time: string | null;
  tsa: string | null;
  /** The TSA path reached a trust anchor. */
  trusted: boolean;
  error: string | null;
}

export interface TimestampTrust {
  trustAnchors?: readonly Uint8Array[];
  intermediates?: readonly Uint8Array[];
  crls?: readonly Uint8Array[];
  fetcher?: RevocationFetcher;
}

/** Verify an etsiU sigTst/arcTst value over `data`. Never throws: the result says why not. */
export async function verifySignatureTimestamp(value: JsonValue, data: Uint8Array, trust: TimestampTrust): Promise<TimestampCheck> {
  const bad = (error: string): TimestampCheck => ({ valid: false, time: null, tsa: null, trusted: false, error });
  if (!isJsonObject(value)) return bad('malformed time-stamp container');
  const tokens = value['tstTokens'];
  if (!Array.isArray(tokens) || tokens.length === 0 || tokens.length > 16) return bad('malformed time-stamp container');
  if (value['canonAlg'] !== undefined) return bad('canonAlg is not supported');
  let first: TimestampCheck | null = null;
  for (const t of tokens) {
    if (!isJsonObject(t) || typeof t['val'] !== 'string') return bad('malformed time-stamp token entry');
    if (t['encoding'] !== undefined && t['encoding'] !== 'http://uri.etsi.org/19182/DER') return bad('unsupported time-stamp token encoding');
    let der: Uint8Array;
    try {
      der = decodeBase64Std(t['val'], 'time-stamp token');
    } catch {
      return bad('malformed base64 in time-stamp token');
    }
    const r = await verifyTimestampToken(der, {
      data: [data],
      trustAnchors: trust.trustAnchors ?? [],
      intermediates: trust.intermediates ?? [],
      revocation: { ...(trust.crls ? { crls: trust.crls } : {}), ...(trust.fetcher ? { fetcher: trust.fetcher } : {}) },
      revocationPolicy: 'if-available',
    });
    const check: TimestampCheck = {
      valid: r.valid && r.imprintMatches,
      time: r.genTime?.toISOString() ?? null,
      tsa: r.tsa,
      trusted: r.trusted && r.indication === 'TOTAL_PASSED',
      error: r.valid && r.imprintMatches ? null : (r.errors[0] ?? 'invalid time-stamp token'),
    };
    if (!check.valid) return check;
    first ??= check;
  }
  return first!;
}
