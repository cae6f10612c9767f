/**
 * A minimal, strict XML reader for OFD's small control files (OFD.xml, Signatures.xml,
 * Signature.xml, OFDEntries.xml). Elements, attributes, text, CDATA and the five predefined
 * entities plus character references. DOCTYPE and external entities are refused outright
 * (no XXE, no entity expansion). Namespace prefixes are kept in `name`; `local` drops them.
 */
import { SealError } from '../errors/index.js';

export interface XmlElement {
  name: string;
  local: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const MAX_DEPTH = 64;
const MAX_ELEMENTS = 200_000;

function xmlError(message: string): SealError {
  return new SealError('ERR_INPUT_INVALID', `XML: ${message}`);
}

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);|&/g, (m, e: string | undefined) => {
    if (e === undefined) throw xmlError('bare "&"');
    if (e[0] === '#') {
      const cp = e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      if (!Number.isFinite(cp) || cp > 0x10ffff) throw xmlError('bad character reference');
      return String.fromCodePoint(cp);
    }
    const map: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
    const v = map[e];
    if (v === undefined) throw xmlError(`unknown entity ${m}`);
    return v;
  });
}

export function parseXml(input: Uint8Array | string): XmlElement {
  let s: string;
  try {
    s = typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: true }).decode(input);
  } catch {
    throw xmlError('not UTF-8');
  }
  if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
  let i = 0;
  let count = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  const nameRe = /[A-Za-z_\u00c0-\uffff][\w.\-:\u00b7\u00c0-\uffff]*/y;
  while (i < s.length) {
    const lt = s.indexOf('<', i);
    const textEnd = lt === -1 ? s.length : lt;
    if (textEnd > i) {
      const text = s.slice(i, textEnd);
      const top = stack[stack.length - 1];
      if (top !== undefined) top.text += decodeEntities(text);
      else if (text.trim() !== '') throw xmlError('text outside the root element');
    }
    if (lt === -1) break;
    i = lt;
    if (s.startsWith('<?', i)) {
      const e = s.indexOf('?>', i);
      if (e === -1) throw xmlError('unterminated processing instruction');
      i = e + 2;
    } else if (s.startsWith('<!--', i)) {
      const e = s.indexOf('-->', i);
      if (e === -1) throw xmlError('unterminated comment');
      i = e + 3;
    } else if (s.startsWith('<![CDATA[', i)) {
      const e = s.indexOf(']]>', i);
      if (e === -1) throw xmlError('unterminated CDATA');
      const top = stack[stack.length - 1];
      if (top === undefined) throw xmlError('CDATA outside the root element');
      top.text += s.slice(i + 9, e);
      i = e + 3;
    } else if (s.startsWith('<!', i)) {
      throw xmlError('DOCTYPE and entity declarations are not allowed');
    } else if (s.startsWith('</', i)) {
      nameRe.lastIndex = i + 2;
      const m = nameRe.exec(s);
      if (m === null) throw xmlError('bad end tag');
      const gt = s.indexOf('>', nameRe.lastIndex);
      if (gt === -1 || s.slice(nameRe.lastIndex, gt).trim() !== '') throw xmlError('bad end tag');
      const top = stack.pop();
      if (top === undefined || top.name !== m[0]) throw xmlError('mismatched end tag');
      i = gt + 1;
    } else {
      nameRe.lastIndex = i + 1;
      const m = nameRe.exec(s);
      if (m === null) throw xmlError('bad start tag');
      const name = m[0];
      let p = nameRe.lastIndex;
      const attrs: Record<string, string> = {};
      let selfClose = false;
      for (;;) {
        while (p < s.length && /\s/.test(s[p]!)) p++;
        if (s[p] === '>') {
          p++;
          break;
        }
        if (s.startsWith('/>', p)) {
          selfClose = true;
          p += 2;
          break;
        }
        nameRe.lastIndex = p;
        const a = nameRe.exec(s);
        if (a === null) throw xmlError('bad attribute');
        p = nameRe.lastIndex;
        while (/\s/.test(s[p] ?? '')) p++;
        if (s[p] !== '=') throw xmlError('attribute without value');
        p++;
        while (/\s/.test(s[p] ?? '')) p++;
        const q = s[p];
        if (q !== '"' && q !== "'") throw xmlError('unquoted attribute');
        const e = s.indexOf(q, p + 1);
        if (e === -1) throw xmlError('unterminated attribute');
        const raw = s.slice(p + 1, e);
        if (raw.includes('<')) throw xmlError('"<" in attribute');
        if (Object.prototype.hasOwnProperty.call(attrs, a[0])) throw xmlError('duplicate attribute');
        attrs[a[0]] = decodeEntities(raw);
        p = e + 1;
      }
      if (++count > MAX_ELEMENTS) throw xmlError('too many elements');
      const colon = name.indexOf(':');
      const el: XmlElement = { name, local: colon === -1 ? name : name.slice(colon + 1), attrs, children: [], text: '' };
      const parent = stack[stack.length - 1];
      if (parent !== undefined) parent.children.push(el);
      else if (root === null) root = el;
      else throw xmlError('more than one root element');
      if (!selfClose) {
        stack.push(el);
        if (stack.length > MAX_DEPTH) throw xmlError('nesting too deep');
      }
      i = p;
    }
  }
  if (stack.length > 0 || root === null) throw xmlError('unterminated document');
  return root;
}

/** First child (by local name). */
export function child(el: XmlElement, local: string): XmlElement | undefined {
  return el.children.find((c) => c.local === local);
}

export function childrenNamed(el: XmlElement, local: string): XmlElement[] {
  return el.children.filter((c) => c.local === local);
}

/** Depth-first search by local name. */
export function findAll(el: XmlElement, local: string, out: XmlElement[] = []): XmlElement[] {
  for (const c of el.children) {
    if (c.local === local) out.push(c);
    findAll(c, local, out);
  }
  return out;
}
