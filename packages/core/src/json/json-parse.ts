/**
 * A strict JSON parser (RFC 8259 + I-JSON, RFC 7493) for everything security-relevant: JWS
 * headers, JWS JSON serializations and canonical payloads. Unlike JSON.parse it refuses
 * duplicate member names (JSON.parse keeps the last one silently), lone surrogates, invalid
 * UTF-8, a byte-order mark, nesting beyond a limit, and plain integer literals beyond 2^53 that
 * a double would change (9007199254740993 would otherwise become 9007199254740992, so two
 * different documents would share one canonical form).
 */
import { SealError } from '../errors/index.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
/** Objects come back with a null prototype, so a "__proto__" member is just data. */
export interface JsonObject {
  [key: string]: JsonValue;
}

export interface StrictJsonOptions {
  /** Deepest allowed nesting of arrays/objects (default 128). */
  maxDepth?: number;
}

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const TWO_53 = 2n ** 53n;

function fail(message: string): never {
  throw new SealError('ERR_JSON_INVALID', message);
}

/** Decode UTF-8 strictly: invalid sequences and a leading BOM are errors. */
export function decodeUtf8Strict(bytes: Uint8Array): string {
  let text: string;
  try {
    text = fatalUtf8.decode(bytes);
  } catch {
    fail('JSON is not valid UTF-8');
  }
  return text;
}

export function parseJsonStrict(input: string | Uint8Array, options: StrictJsonOptions = {}): JsonValue {
  const text = typeof input === 'string' ? input : decodeUtf8Strict(input);
  const maxDepth = options.maxDepth ?? 128;
  let pos = 0;
  const n = text.length;

  const ws = (): void => {
    while (pos < n) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) pos++;
      else break;
    }
  };

  const value = (depth: number): JsonValue => {
    ws();
    if (pos >= n) fail('unexpected end of JSON');
    const c = text.charCodeAt(pos);
    switch (c) {
      case 0x7b: // {
        return object(depth + 1);
      case 0x5b: // [
        return array(depth + 1);
      case 0x22: // "
        return string();
      case 0x74: // t
        return literal('true', true);
      case 0x66: // f
        return literal('false', false);
      case 0x6e: // n
        return literal('null', null);
      default:
        if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return number();
        fail(`unexpected character at offset ${pos}`);
    }
  };

  const literal = <T extends JsonValue>(word: string, v: T): T => {
    if (text.startsWith(word, pos)) {
      pos += word.length;
      return v;
    }
    fail(`invalid literal at offset ${pos}`);
  };

  const object = (depth: number): JsonObject => {
    if (depth > maxDepth) fail('JSON nested too deeply');
    pos++; // {
    const out = Object.create(null) as JsonObject;
    ws();
    if (text.charCodeAt(pos) === 0x7d) {
      pos++;
      return out;
    }
    for (;;) {
      ws();
      if (text.charCodeAt(pos) !== 0x22) fail(`expected a member name at offset ${pos}`);
      const key = string();
      if (Object.prototype.hasOwnProperty.call(out, key)) fail('duplicate member name in JSON object');
      ws();
      if (text.charCodeAt(pos) !== 0x3a) fail(`expected ':' at offset ${pos}`);
      pos++;
      out[key] = value(depth);
      ws();
      const d = text.charCodeAt(pos);
      if (d === 0x2c) {
        pos++;
        continue;
      }
      if (d === 0x7d) {
        pos++;
        return out;
      }
      fail(`expected ',' or '}' at offset ${pos}`);
    }
  };

  const array = (depth: number): JsonValue[] => {
    if (depth > maxDepth) fail('JSON nested too deeply');
    pos++; // [
    const out: JsonValue[] = [];
    ws();
    if (text.charCodeAt(pos) === 0x5d) {
      pos++;
      return out;
    }
    for (;;) {
      out.push(value(depth));
      ws();
      const d = text.charCodeAt(pos);
      if (d === 0x2c) {
        pos++;
        continue;
      }
      if (d === 0x5d) {
        pos++;
        return out;
      }
      fail(`expected ',' or ']' at offset ${pos}`);
    }
  };

  const hex4 = (): number => {
    const h = text.slice(pos, pos + 4);
    if (!/^[0-9A-Fa-f]{4}$/.test(h)) fail(`invalid \\u escape at offset ${pos}`);
    pos += 4;
    return parseInt(h, 16);
  };

  const string = (): string => {
    pos++; // opening quote
    let out = '';
    let start = pos;
    for (;;) {
      if (pos >= n) fail('unterminated string');
      const c = text.charCodeAt(pos);
      if (c === 0x22) {
        out += text.slice(start, pos);
        pos++;
        return out;
      }
      if (c < 0x20) fail(`control character in string at offset ${pos}`);
      if (c >= 0xd800 && c <= 0xdfff) {
        // Raw surrogates can only come from a string input (UTF-8 input cannot carry them).
        const next = text.charCodeAt(pos + 1);
        if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          pos += 2;
          continue;
        }
        fail('lone surrogate in string');
      }
      if (c !== 0x5c) {
        pos++;
        continue;
      }
      out += text.slice(start, pos);
      pos++; // backslash
      const e = text.charCodeAt(pos);
      pos++;
      switch (e) {
        case 0x22: out += '"'; break;
        case 0x5c: out += '\\'; break;
        case 0x2f: out += '/'; break;
        case 0x62: out += '\b'; break;
        case 0x66: out += '\f'; break;
        case 0x6e: out += '\n'; break;
        case 0x72: out += '\r'; break;
        case 0x74: out += '\t'; break;
        case 0x75: {
          const u = hex4();
          if (u >= 0xd800 && u <= 0xdbff) {
            if (text.charCodeAt(pos) !== 0x5c || text.charCodeAt(pos + 1) !== 0x75) fail('lone surrogate in string');
            pos += 2;
            const lo = hex4();
            if (lo < 0xdc00 || lo > 0xdfff) fail('lone surrogate in string');
            out += String.fromCharCode(u, lo);
          } else if (u >= 0xdc00 && u <= 0xdfff) {
            fail('lone surrogate in string');
          } else {
            out += String.fromCharCode(u);
          }
          break;
        }
        default:
          fail(`invalid escape at offset ${pos - 1}`);
      }
      start = pos;
    }
  };

  const NUMBER = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
  const number = (): number => {
    NUMBER.lastIndex = pos;
    const m = NUMBER.exec(text);
    if (m === null || m[0] === '-') fail(`invalid number at offset ${pos}`);
    const lit = m[0];
    pos += lit.length;
    const v = Number(lit);
    if (!Number.isFinite(v)) fail('number out of range');
    if (m[1] === undefined && m[2] === undefined) {
      // A plain integer literal beyond 2^53 must already be written the way ECMAScript writes
      // its double (its own RFC 8785 form). 9007199254740993 (which a double turns into
      // ...992) is refused, so no two different integer literals can share a canonical form.
      const big = BigInt(lit);
      if ((big > TWO_53 || big < -TWO_53) && String(v) !== lit) fail('integer beyond 2^53 that a double cannot carry unchanged');
    }
    return v;
  };

  const result = value(0);
  ws();
  if (pos !== n) fail(`trailing data at offset ${pos}`);
  return result;
}

export function isJsonObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
