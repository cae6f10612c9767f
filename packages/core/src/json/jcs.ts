/**
 * RFC 8785 JSON Canonicalization Scheme. Input text goes through the strict parser (no
 * duplicate names, no lone surrogates, no inexact big integers), then is written with members
 * sorted by UTF-16 code units, ECMAScript number formatting and minimal string escaping.
 */
import { SealError } from '../errors/index.js';
import { parseJsonStrict, type JsonValue } from './json-parse.js';

const encoder = new TextEncoder();

/** Canonical form (RFC 8785) of a JSON text, as a string. Throws ERR_JSON_INVALID on bad input. */
export function canonicalize(json: string | Uint8Array): string {
  return canonicalizeValue(parseJsonStrict(json));
}

/** Canonical form as UTF-8 bytes (what gets signed). */
export function canonicalizeToBytes(json: string | Uint8Array): Uint8Array {
  return encoder.encode(canonicalize(json));
}

function bad(message: string): never {
  throw new SealError('ERR_JSON_INVALID', message);
}

/** Canonical form of an in-memory value (plain objects, arrays, strings, finite numbers, booleans, null). */
export function canonicalizeValue(value: unknown): string {
  const parts: string[] = [];
  write(value, parts, 0);
  return parts.join('');
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function writeString(s: string, parts: string[]): void {
  if (LONE_SURROGATE.test(s)) bad('lone surrogate in string');
  // JSON.stringify escapes exactly what RFC 8785 §3.2.2.2 asks: '"', '\\', the two-letter
  // forms \b \f \n \r \t, other controls as \u00xx (lower-case hex), everything else verbatim.
  parts.push(JSON.stringify(s));
}

function write(v: unknown, parts: string[], depth: number): void {
  if (depth > 128) bad('JSON nested too deeply');
  if (v === null) {
    parts.push('null');
    return;
  }
  switch (typeof v) {
    case 'boolean':
      parts.push(v ? 'true' : 'false');
      return;
    case 'number':
      if (!Number.isFinite(v)) bad('NaN and Infinity have no JSON form');
      // Number.prototype.toString is the ECMAScript formatting RFC 8785 §3.2.2.3 requires; -0 → "0".
      parts.push(Object.is(v, -0) ? '0' : String(v));
      return;
    case 'string':
      writeString(v, parts);
      return;
    case 'object': {
      if (Array.isArray(v)) {
        parts.push('[');
        for (let i = 0; i < v.length; i++) {
          if (i > 0) parts.push(',');
          write(v[i] as JsonValue, parts, depth + 1);
        }
        parts.push(']');
        return;
      }
      const proto = Object.getPrototypeOf(v) as unknown;
      if (proto !== null && proto !== Object.prototype) bad('only plain objects can be canonicalized');
      const rec = v as Record<string, unknown>;
      // Default sort compares UTF-16 code units, as RFC 8785 §3.2.3 requires.
      const keys = Object.keys(rec).sort();
      parts.push('{');
      let first = true;
      for (const k of keys) {
        const member = rec[k];
        if (member === undefined) bad('undefined has no JSON form');
        if (!first) parts.push(',');
        first = false;
        writeString(k, parts);
        parts.push(':');
        write(member, parts, depth + 1);
      }
      parts.push('}');
      return;
    }
    default:
      bad(`a ${typeof v} has no JSON form`);
  }
}
