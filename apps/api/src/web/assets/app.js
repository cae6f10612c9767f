// @ts-check
/**
 * The verification page: choose or drop a file, send it to POST /v1/verify/{pdf|json}, show the
 * answer in plain words. On /v/{entryId} it also shows the sealing record and compares the
 * dropped file's SHA-256 with the digest in the link's fragment (never sent to the server).
 * All text reaches the DOM through textContent: nothing from a report is parsed as HTML.
 */
import { MESSAGES, pickLang, t as translate } from './i18n.js';
import { sha256Hex } from './sha256.js';
import {
  documentVerdict, dnParts, isDetached, jsonVerifyBody, toBase64, jwsPayload, normaliseRegistry, problemKey, registryFor,
  reportOf, revisionEnds, sniffFormat, verdictFor,
} from './verdict.js';

const LANG_KEY = 'seal.verify.lang';

/** @type {{ lang: import('./i18n.js').Lang, result: any, entry: any }} */
const state = {
  lang: pickLang(readStored(), navigator.languages ?? [navigator.language]),
  result: null,
  entry: null,
};

function readStored() {
  try { return localStorage.getItem(LANG_KEY); } catch { return null; }
}

/** @param {string} key @param {Record<string, unknown>} [params] */
function t(key, params) { return translate(state.lang, key, params); }

/**
 * @param {string} tag
 * @param {Record<string, string>} [attrs]
 * @param {Array<Node | string | null>} [children]
 */
function el(tag, attrs = {}, children = []) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) if (c !== null) e.append(c);
  return e;
}

/** @param {string | null | undefined} iso */
function fmtTime(iso) {
  if (!iso) return t('time.unknown');
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(state.lang, { dateStyle: 'long', timeStyle: 'long' }).format(d);
}

/** @param {string | null} reason */
function fmtReason(reason) {
  if (!reason) return null;
  const key = `reason.${reason}`;
  return key in MESSAGES.en ? t(key) : reason;
}

/** @param {Array<{kind: string, page: number | null}>} things */
function fmtThings(things) {
  if (things.length === 0) return t('thing.content');
  const words = things.map((x) => {
    if (x.page !== null) return t('thing.page', { page: x.page });
    const key = `thing.${x.kind}`;
    return key in MESSAGES.en ? t(key) : t('thing.other');
  });
  return [...new Set(words)].join(state.lang === 'zh-CN' ? '、' : ', ');
}

/** @param {{tone: string, key: string, params: Record<string, any>}} v */
function verdictText(v) {
  const p = { ...v.params };
  if (Array.isArray(p.things)) p.things = fmtThings(p.things);
  return t(v.key, p);
}

/** @param {string} tone @param {string} text @param {string} [tag] */
function banner(tone, text, tag = 'p') {
  const icon = tone === 'ok' ? '✓' : tone === 'bad' ? '✗' : '!';
  return el(tag, { class: `banner tone-${tone}` }, [el('span', { class: 'icon', 'aria-hidden': 'true' }, [icon]), el('span', {}, [text])]);
}

/**
 * "Status now" of a seal: the registry's view, else what the report says about revocation.
 * @param {import('./verdict.js').RegistryView | null} reg
 * @param {Record<string, any>} sig
 */
function statusNode(reg, sig) {
  const dd = el('dd');
  if (reg && reg.state) {
    const since = reg.since ? fmtTime(reg.since) : null;
    let text;
    if (reg.state === 'revoked') text = since ? t('status.revokedOn', { since }) : t('status.revoked');
    else if (reg.state === 'suspended') text = since ? t('status.suspendedSince', { since }) : t('status.suspended');
    else if (reg.state === 'active') text = t('status.active');
    else text = reg.state;
    const reason = fmtReason(reg.reason);
    if (reason && reg.state !== 'active') text += ` (${t('status.reason', { reason })})`;
    dd.append(el('span', { class: `st-${reg.state}` }, [text]));
    if (reg.state !== 'active' && reg.since && sig.signingTime && sig.indication === 'TOTAL_PASSED'
        && Date.parse(reg.since) > Date.parse(sig.signingTime)) {
      dd.append(el('span', { class: 'note' }, [t('status.afterSealing')]));
    }
    return dd;
  }
  const rev = sig.revocation && typeof sig.revocation === 'object' ? sig.revocation : {};
  const st = rev.status === 'good' || rev.status === 'revoked' ? rev.status : 'unknown';
  let text = t(`status.fromReport.${st}`);
  if (st === 'revoked') {
    const reason = fmtReason(rev.reason ?? null);
    if (rev.revokedAt) text = `${text}: ${fmtTime(rev.revokedAt)}`;
    if (reason) text += ` (${t('status.reason', { reason })})`;
  }
  dd.append(el('span', { class: st === 'revoked' ? 'st-revoked' : '' }, [text]));
  if (!reg) dd.append(el('span', { class: 'note' }, [t('status.unknownSeal')]));
  return dd;
}

/** @param {Record<string, any>} answer @param {Record<string, any>} sig @param {number} i @param {number} n */
function sealCard(answer, sig, i, n) {
  const reg = registryFor(answer, i);
  const v = verdictFor(sig);
  const signer = sig.signer && typeof sig.signer === 'object' ? sig.signer : {};
  const subj = dnParts(signer.subject);
  const iss = dnParts(signer.issuer);
  const agency = reg?.agencyName ?? subj.o ?? '—';
  const sealName = reg?.sealName ?? subj.cn ?? '—';
  const src = sig.signingTimeSource ?? (sig.timestamp && sig.timestamp.valid ? 'timestamp' : sig.signingTime ? 'claimed' : null);

  const dl = el('dl');
  /** @param {string} key @param {Node | string} value */
  const row = (key, value) => { dl.append(el('dt', {}, [t(key)]), value instanceof Node ? value : el('dd', {}, [value])); };
  row('field.agency', agency);
  row('field.seal', sealName);
  const when = el('dd', {}, [fmtTime(sig.signingTime)]);
  if (src === 'timestamp' || src === 'claimed') when.append(el('span', { class: 'note' }, [t(`time.${src}`)]));
  row('field.time', when);
  row('field.status', statusNode(reg, sig));
  if (subj.cn && reg?.sealName && subj.cn !== reg.sealName) row('field.signer', subj.cn);
  if (iss.cn || iss.o) row('field.issuer', iss.cn ?? iss.o ?? '');
  if (typeof sig.level === 'string') row('field.level', sig.level);

  const body = el('div', { class: 'seal-body' });
  const picture = reg?.image ?? (reg?.sealId ? `/web/seals/${encodeURIComponent(reg.sealId)}/picture` : null);
  if (picture) {
    const img = el('img', { class: 'seal-pic', src: picture, alt: t('picture.alt', { name: sealName }) });
    img.addEventListener('error', () => img.remove()); // a seal without a picture
    body.append(img);
  }
  body.append(dl);
  const pre = el('pre', { tabindex: '0' }, [JSON.stringify(sig, null, 2)]);
  const verdictBanner = banner(v.tone, verdictText(v));
  verdictBanner.classList.add('verdict');
  verdictBanner.setAttribute('data-verdict', v.key);
  return el('article', { class: 'seal', 'aria-label': t('seal.n', { i: i + 1, n }) }, [
    el('h3', {}, [t('seal.n', { i: i + 1, n })]),
    verdictBanner,
    body,
    el('details', {}, [el('summary', {}, [t('tech.summary')]), pre]),
  ]);
}

function renderResults() {
  const root = /** @type {HTMLElement} */ (document.getElementById('results'));
  root.replaceChildren();
  const r = state.result;
  if (!r) return;
  const h = el('h2', { id: 'result-heading', tabindex: '-1' }, [t('result.for', { name: r.name })]);
  root.append(h);
  if (r.digest) {
    const d = r.digest;
    if (d.expected.length > 0) root.append(banner(d.match ? 'ok' : 'bad', t(d.match ? 'entry.match' : 'entry.mismatch', { id: d.entryId })));
  }
  if (r.kind === 'detached') {
    const b = banner('warn', t('e.detached'));
    b.setAttribute('data-result', 'e.detached');
    const input = el('input', { type: 'file', id: 'payload-file', class: 'file-input', accept: '.json,application/json,*/*' });
    input.addEventListener('change', () => {
      const f = /** @type {HTMLInputElement} */ (input).files?.[0];
      if (f) void verifyDetached(r, f);
    });
    root.append(b, el('div', { class: 'picker detached' }, [input, el('label', { for: 'payload-file', class: 'file-button' }, [t('detached.label')])]));
    return;
  }
  if (r.kind === 'error') {
    root.append(banner('warn', t(r.key, r.params ?? {}), 'p'));
    root.lastElementChild?.setAttribute('data-result', r.key);
    return;
  }
  const answer = r.answer;
  const report = reportOf(answer);
  const dv = documentVerdict(report);
  const top = banner(dv.tone, t(dv.key, dv.params));
  top.setAttribute('data-result', dv.key);
  root.append(top);
  const sigs = Array.isArray(report.signatures) ? report.signatures : [];
  sigs.forEach((s, i) => root.append(sealCard(answer, s, i, sigs.length)));
  root.append(el('details', { class: 'all' }, [
    el('summary', {}, [t('tech.all')]),
    el('pre', { tabindex: '0' }, [JSON.stringify(answer, null, 2)]),
  ]));
}

function renderEntry() {
  const sec = /** @type {HTMLElement} */ (document.getElementById('entry'));
  const e = state.entry;
  if (!e) { sec.hidden = true; return; }
  sec.hidden = false;
  /** @type {HTMLElement} */ (document.getElementById('entry-heading')).textContent = t('entry.heading', { id: e.id });
  const body = /** @type {HTMLElement} */ (document.getElementById('entry-body'));
  body.replaceChildren();
  if (e.loading) { body.append(el('p', {}, [t('entry.loading')])); return; }
  if (e.error) { body.append(banner('bad', e.error === 404 ? t('entry.notFound', { id: e.id }) : t('e.service', { status: e.error }))); }
  if (e.record) {
    const reg = normaliseRegistry(e.record);
    const dl = el('dl');
    /** @param {string} k @param {Node} v */
    const row = (k, v) => dl.append(el('dt', {}, [t(k)]), v);
    row('field.agency', el('dd', {}, [reg?.agencyName ?? '—']));
    row('field.seal', el('dd', {}, [reg?.sealName ?? '—']));
    row('field.time', el('dd', {}, [fmtTime(e.record.sealedAt ?? e.record.time ?? null)]));
    row('field.status', statusNode(reg, {}));
    const wrap = el('div', { class: 'seal-body' });
    if (reg?.image) wrap.append(el('img', { class: 'seal-pic', src: reg.image, alt: t('picture.alt', { name: reg.sealName ?? '' }) }));
    wrap.append(dl);
    body.append(wrap);
  }
  if (e.digest) {
    body.append(el('p', {}, [t('entry.digest'), ': ', el('span', { class: 'digest' }, [e.digest])]));
    body.append(el('p', {}, [t('entry.invite')]));
  } else {
    body.append(banner('warn', t('entry.noDigest')));
  }
}

function applyLanguage() {
  document.documentElement.lang = state.lang;
  document.title = t('app.title');
  for (const node of document.querySelectorAll('[data-i18n]')) {
    node.textContent = t(/** @type {string} */ (node.getAttribute('data-i18n')));
  }
  for (const b of document.querySelectorAll('button[data-lang]')) {
    b.setAttribute('aria-pressed', String(b.getAttribute('data-lang') === state.lang));
  }
  /** @type {HTMLElement} */ (document.getElementById('privacy')).textContent = t('privacy', { host: location.host });
  const status = /** @type {HTMLElement} */ (document.getElementById('status'));
  if (status.dataset.key) status.textContent = t(status.dataset.key, JSON.parse(status.dataset.params ?? '{}'));
  renderEntry();
  renderResults();
}

/** @param {string | null} key @param {Record<string, unknown>} [params] */
function setStatus(key, params = {}) {
  const status = /** @type {HTMLElement} */ (document.getElementById('status'));
  if (key === null) { delete status.dataset.key; status.textContent = ''; return; }
  status.dataset.key = key;
  status.dataset.params = JSON.stringify(params);
  status.textContent = t(key, params);
}

/**
 * Compare the file with the digest of the QR link (and of the registry record, when it has one).
 * @param {Uint8Array} bytes
 */
async function compareDigest(bytes) {
  const e = state.entry;
  if (!e) return null;
  /** @type {string[]} */
  const expected = e.digest ? [e.digest] : [];
  if (expected.length === 0) return { entryId: e.id, expected, match: false };
  /** @type {Uint8Array[]} */
  const candidates = revisionEnds(bytes).map((end) => bytes.subarray(0, end));
  const payload = jwsPayload(bytes);
  if (payload) candidates.push(payload);
  let match = false;
  for (const c of candidates) {
    if (expected.includes(await sha256Hex(c))) { match = true; break; }
  }
  return { entryId: e.id, expected, match };
}

/**
 * Turn a verify answer into the page's result.
 * @param {Response | null} res
 * @param {string} name
 * @param {unknown} digest
 */
async function answerToResult(res, name, digest) {
  if (res === null) return { kind: 'error', name, key: 'e.network', digest };
  let body = null;
  try { body = await res.json(); } catch { body = null; }
  if (res.ok && body && typeof body === 'object' && Array.isArray(reportOf(body).signatures)) return { kind: 'report', name, answer: body, digest };
  if (res.ok) return { kind: 'error', name, key: 'e.service', params: { status: res.status }, digest };
  return { kind: 'error', name, key: problemKey(res.status, body), params: { status: res.status }, digest };
}

/**
 * Verify a detached JWS with the document chosen in the second picker.
 * @param {{ name: string, body: { jws: unknown }, digest: unknown }} pending
 * @param {File} file
 */
async function verifyDetached(pending, file) {
  const name = `${pending.name} + ${file.name}`;
  setStatus('busy', { name });
  /** @type {any} */
  let result;
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    let res = null;
    try {
      res = await fetch('/v1/verify/json', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ jws: pending.body.jws, payload: toBase64(bytes) }),
      });
    } catch {
      res = null;
    }
    result = await answerToResult(res, name, pending.digest);
  } catch {
    result = { kind: 'error', name, key: 'e.read' };
  }
  state.result = result;
  setStatus(null);
  renderResults();
  /** @type {HTMLElement | null} */ (document.getElementById('result-heading'))?.focus();
}

/** @param {File} file */
async function checkFile(file) {
  setStatus('busy', { name: file.name });
  document.getElementById('results')?.setAttribute('aria-busy', 'true');
  /** @type {any} */
  let result;
  try {
    let bytes;
    try {
      bytes = new Uint8Array(await file.arrayBuffer());
    } catch {
      result = { kind: 'error', name: file.name, key: 'e.read' };
    }
    if (bytes) {
      const digest = await compareDigest(bytes);
      const fmt = sniffFormat(bytes, file.name);
      if (fmt === null) {
        result = { kind: 'error', name: file.name, key: 'e.notSealedDocument', digest };
      } else {
        const jsonBody = fmt === 'json' ? jsonVerifyBody(bytes) : null;
        /** @type {Response | null} */
        let res = null;
        if (fmt === 'pdf' || (jsonBody !== null && !isDetached(jsonBody))) {
          try {
            res = await fetch(`/v1/verify/${fmt}`, {
              method: 'POST',
              headers: { 'content-type': fmt === 'pdf' ? 'application/pdf' : 'application/json', accept: 'application/json' },
              body: fmt === 'pdf' ? bytes : JSON.stringify(jsonBody),
            });
          } catch {
            res = null;
          }
        }
        if (fmt === 'json' && jsonBody === null) result = { kind: 'error', name: file.name, key: 'e.notSealedDocument', digest };
        else if (jsonBody !== null && isDetached(jsonBody)) result = { kind: 'detached', name: file.name, body: jsonBody, digest };
        else result = await answerToResult(res, file.name, digest);
      }
    }
  } finally {
    document.getElementById('results')?.removeAttribute('aria-busy');
  }
  state.result = result;
  setStatus(null);
  renderResults();
  /** @type {HTMLElement | null} */ (document.getElementById('result-heading'))?.focus();
}

async function loadEntry() {
  const m = /^\/v\/([A-Za-z0-9._~-]{1,128})\/?$/.exec(location.pathname);
  if (!m || !m[1]) return;
  const id = m[1];
  const h = /^#sha256=([0-9a-fA-F]{64})$/.exec(location.hash);
  const digest = h && h[1] ? h[1].toLowerCase() : null;
  state.entry = { id, digest, loading: digest !== null, record: null, error: null };
  renderEntry();
  if (digest === null) return;
  try {
    const res = await fetch(`/v/${encodeURIComponent(id)}/record?sha256=${digest}`, { headers: { accept: 'application/json' } });
    if (res.ok) state.entry.record = await res.json();
    else state.entry.error = res.status;
  } catch {
    state.entry.error = 503;
  }
  state.entry.loading = false;
  renderEntry();
}

/** Forget the previous answer at once, then check the new file. @param {File} f */
function start(f) {
  /** @type {HTMLElement} */ (document.getElementById('file-name')).textContent = f.name;
  state.result = null;
  renderResults();
  void checkFile(f);
}

function init() {
  for (const b of document.querySelectorAll('button[data-lang]')) {
    b.addEventListener('click', () => {
      const lang = b.getAttribute('data-lang');
      if (lang !== 'en' && lang !== 'zh-CN') return;
      state.lang = lang;
      try { localStorage.setItem(LANG_KEY, lang); } catch { /* private mode: choice lasts for this page only */ }
      applyLanguage();
    });
  }
  const input = /** @type {HTMLInputElement} */ (document.getElementById('file'));
  input.addEventListener('change', () => {
    const f = input.files && input.files[0];
    if (f) start(f);
  });
  const drop = /** @type {HTMLElement} */ (document.getElementById('drop'));
  drop.addEventListener('dragover', (ev) => { ev.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (ev) => {
    ev.preventDefault();
    drop.classList.remove('over');
    const f = ev.dataTransfer && ev.dataTransfer.files[0];
    if (f) start(f);
  });
  // A file dropped outside the zone must not make the browser navigate away from the page.
  window.addEventListener('dragover', (ev) => ev.preventDefault());
  window.addEventListener('drop', (ev) => ev.preventDefault());
  // A QR link opened again with another digest is a same-document navigation.
  window.addEventListener('hashchange', () => {
    state.result = null;
    renderResults();
    void loadEntry();
  });
  applyLanguage();
  void loadEntry();
}

init();
