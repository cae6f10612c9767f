/**
 * The verification page in a real browser (Debian chromium via playwright-core) against the real
 * service on loopback: startServer (registry, dev PKI, demo agencies, in-process engine) with the
 * page registered by buildApp. Documents are sealed through the API as an agency operator would.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../apps/api/src/testing/harness.js';
import type { RunningServer } from '../apps/api/src/server.js';
import { verificationUrl } from '../apps/api/src/web/index.js';
import { buildPdf, onePageObjects } from '../packages/core/src/pdf/testing/build-pdf.js';
import { checkFile, launchChromium, screenshot } from './web-browser.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A later revision that replaces the page's content stream (object 4): a change after sealing. */
function appendContentChange(pdf: Buffer): Buffer {
  const tail = pdf.subarray(Math.max(0, pdf.length - 1024)).toString('latin1');
  const m = /startxref\s+(\d+)\s+%%EOF\s*$/.exec(tail);
  const sizes = [...pdf.toString('latin1').matchAll(/\/Size\s+(\d+)/g)].map((x) => Number(x[1]));
  if (!m || sizes.length === 0) throw new Error('sealed PDF has no trailer to extend');
  const content = 'BT /F1 24 Tf 72 720 Td (Amount: 9,999,999) Tj ET';
  const obj = `4 0 obj\n<< /Length ${content.length} >>\nstream\n${content}\nendstream\nendobj\n`;
  const objOffset = pdf.length + 1;
  const xrefOffset = objOffset + obj.length;
  const update =
    `\n${obj}xref\n0 1\n0000000000 65535 f \n4 1\n${String(objOffset).padStart(10, '0')} 00000 n \n` +
    `trailer\n<< /Size ${Math.max(...sizes)} /Root 1 0 R /Prev ${m[1]} >>\nstartxref\n${xrefOffset}\n%%EOF\n`;
  return Buffer.concat([pdf, Buffer.from(update, 'latin1')]);
}

let harness: Harness;
let server: RunningServer;
let browser: Browser;
let context: BrowserContext | undefined;

const original = Buffer.from(buildPdf({ objects: onePageObjects('Licence no. 2026-0001'), root: 1 }));
let sealedPdf: Buffer;
let changedPdf: Buffer;
let sealedJson: Buffer;
let laterRevokedPdf: Buffer;
let detachedSig: Buffer;
const detachedDoc = { invoice: 'INV-2026-042', amount: 1280.5, payer: '某某公司' };
let pdfEntry = '';
const junk = randomBytes(4096);
junk[0] = 0xff; // never a %PDF header or UTF-8 text

beforeAll(async () => {
  // The API's own test harness: startServer on loopback with a temp registry, the dev PKI and demo data.
  harness = await startHarness();
  server = harness.server;
  const agency = server.credentials?.agencies[0];
  const seal = agency?.seals[0];
  if (!agency || !seal) throw new Error('the demo data has no agency with a seal');
  const auth = { authorization: `Bearer ${agency.keys.operator}` };

  const pdfRes = await fetch(`${server.url}/v1/seals/${seal.id}/pdf`, { method: 'POST', headers: { ...auth, 'content-type': 'application/pdf' }, body: original });
  if (pdfRes.status !== 200) throw new Error(`PDF sealing failed: ${pdfRes.status} ${await pdfRes.text()}`);
  pdfEntry = pdfRes.headers.get('seal-log-entry') ?? '';
  sealedPdf = Buffer.from(await pdfRes.arrayBuffer());
  changedPdf = appendContentChange(sealedPdf);

  const jsonRes = await fetch(`${server.url}/v1/seals/${seal.id}/json`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ payload: { licence: '2026-0001', holder: '张三' }, format: 'json' }),
  });
  if (jsonRes.status !== 200) throw new Error(`JSON sealing failed: ${jsonRes.status} ${await jsonRes.text()}`);
  const { signature } = (await jsonRes.json()) as { signature: unknown };
  sealedJson = Buffer.from(typeof signature === 'string' ? signature : JSON.stringify(signature, null, 2));

  // A second document sealed with the agency's other seal, which is revoked afterwards.
  const seal2 = agency.seals[1];
  if (!seal2) throw new Error('the demo agency has no second seal');
  const res2 = await fetch(`${server.url}/v1/seals/${seal2.id}/pdf`, { method: 'POST', headers: { ...auth, 'content-type': 'application/pdf' }, body: original });
  if (res2.status !== 200) throw new Error(`PDF sealing failed: ${res2.status} ${await res2.text()}`);
  laterRevokedPdf = Buffer.from(await res2.arrayBuffer());
  const rev = await fetch(`${server.url}/v1/seals/${seal2.id}/revoke`, {
    method: 'POST',
    headers: { authorization: `Bearer ${agency.keys.officer}`, 'content-type': 'application/json' },
    body: JSON.stringify({ reason: 'keyCompromise' }),
  });
  if (rev.status !== 200) throw new Error(`revocation failed: ${rev.status} ${await rev.text()}`);

  // A detached JSON seal: the signature file and the document travel apart.
  const detRes = await fetch(`${server.url}/v1/seals/${seal.id}/json`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ payload: detachedDoc, format: 'json', detached: true }),
  });
  if (detRes.status !== 200) throw new Error(`detached JSON sealing failed: ${detRes.status} ${await detRes.text()}`);
  const det = (await detRes.json()) as { signature: unknown };
  detachedSig = Buffer.from(typeof det.signature === 'string' ? det.signature : JSON.stringify(det.signature));

  browser = await launchChromium();
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await harness?.close();
});

const pageErrors = new WeakMap<Page, string[]>();

async function freshPage(locale: 'zh-CN' | 'en-US', o: { withoutWebCrypto?: boolean } = {}): Promise<Page> {
  await context?.close();
  context = await browser.newContext({ locale, timezoneId: 'Asia/Shanghai', viewport: { width: 1000, height: 800 } });
  // Plain http on a LAN is not a secure context: no crypto.subtle. Loopback is, so take it away.
  if (o.withoutWebCrypto) await context.addInitScript('Object.defineProperty(Crypto.prototype, "subtle", { get: () => undefined });');
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // Script errors only: the browser also logs every 4xx answer, which some cases expect.
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text());
  });
  pageErrors.set(page, errors);
  return page;
}

const result = (p: Page) => p.locator('#results [data-result]').getAttribute('data-result');
const verdicts = (p: Page) => p.locator('#results [data-verdict]').evaluateAll((els) => els.map((e) => e.getAttribute('data-verdict')));

describe('verification page in chromium, against the running service', () => {
  let page: Page | undefined;
  /** The English page the first cases share (opened here when a case runs alone). */
  async function englishPage(): Promise<Page> {
    if (page === undefined || page.isClosed()) {
      page = await freshPage('en-US');
      await page.goto(`${server.url}/`);
    }
    return page;
  }

  it('a sealed PDF shows "authentic" with agency, seal, time and status', async () => {
    const page = await englishPage();
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await checkFile(page, 'licence.pdf', 'application/pdf', sealedPdf);
    await screenshot(page, 'web-sealed-pdf');
    expect(await result(page)).toBe('d.ok');
    expect(await verdicts(page)).toEqual(['v.unchanged']);
    const text = await page.locator('#results').innerText();
    expect(text).toContain('Authentic, unchanged since sealing');
    expect(text).toContain('Demo Agency A');
    expect(text).toContain(server.credentials?.agencies[0]?.seals[0]?.name ?? '(no seal name)');
    expect(text).toContain('Active');
    // The technical report is folded underneath.
    expect(await page.locator('#results details').first().getAttribute('open')).toBeNull();
    expect(pageErrors.get(page)).toEqual([]);
  });

  it('the same PDF with an incremental update after sealing shows "changed"', async () => {
    const page = await englishPage();
    await checkFile(page, 'licence-edited.pdf', 'application/pdf', changedPdf);
    await screenshot(page, 'web-changed-pdf');
    expect(await result(page)).toBe('d.bad');
    expect(await verdicts(page)).toEqual(['v.changed']);
    expect(await page.locator('#results [data-verdict]').innerText()).toMatch(/^.*Changed after sealing: .+/s);
  });

  it('a sealed JSON shows "authentic"', async () => {
    const page = await englishPage();
    await checkFile(page, 'licence.json', 'application/json', sealedJson);
    await screenshot(page, 'web-sealed-json');
    expect(await result(page)).toBe('d.ok');
    expect(await verdicts(page)).toEqual(['v.unchanged']);
    expect(await page.locator('#results').innerText()).toContain('Demo Agency A');
  });

  it('a seal revoked after sealing shows its status now: revoked, with date and reason', async () => {
    const page = await englishPage();
    await checkFile(page, 'revoked-later.pdf', 'application/pdf', laterRevokedPdf);
    await screenshot(page, 'web-revoked-later');
    const text = await page.locator('#results').innerText();
    expect(text).toMatch(/Revoked on .*\d{4}.*\(reason: key compromised\)/);
    // Never reads as a plain "authentic" while the seal is revoked without proof of the sealing time.
    const v = await verdicts(page);
    expect(v).toHaveLength(1);
    expect(['v.revokedNoProof', 'v.unchanged', 'v.revokedBefore']).toContain(v[0]);
    if (v[0] === 'v.unchanged') expect(text).toContain('This happened after the document was sealed');
  });

  it('a detached JSON seal asks for its document, then shows "authentic"; another document shows a failure', async () => {
    const page = await englishPage();
    await checkFile(page, 'invoice.sig.json', 'application/json', detachedSig);
    expect(await result(page)).toBe('e.detached');
    await screenshot(page, 'web-detached-prompt');
    await page.setInputFiles('#payload-file', { name: 'invoice.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(detachedDoc, null, 2)) });
    await page.locator('#results [data-verdict]').first().waitFor({ state: 'visible', timeout: 20_000 });
    await screenshot(page, 'web-detached-json');
    expect(await result(page)).toBe('d.ok');
    expect(await verdicts(page)).toEqual(['v.unchanged']);
    await checkFile(page, 'invoice.sig.json', 'application/json', detachedSig);
    await page.setInputFiles('#payload-file', { name: 'invoice.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify({ ...detachedDoc, amount: 9280.5 })) });
    await page.locator('#results [data-verdict]').first().waitFor({ state: 'visible', timeout: 20_000 });
    expect(await result(page)).toBe('d.bad');
  });

  it('random bytes show a clear message, whatever the file is called', async () => {
    const page = await englishPage();
    await checkFile(page, 'random.bin', 'application/octet-stream', junk);
    expect(await result(page)).toBe('e.notSealedDocument');
    await checkFile(page, 'random.pdf', 'application/pdf', junk);
    await screenshot(page, 'web-random-bytes');
    expect(await result(page)).toBe('e.notSealedDocument');
    expect(await page.locator('#results').innerText()).toContain('This file is not a sealed document');
    expect(pageErrors.get(page)).toEqual([]);
  });

  it('the language switch works by keyboard, is remembered, and re-renders the result', async () => {
    const p = await freshPage('zh-CN');
    await p.goto(`${server.url}/`);
    expect(await p.getAttribute('html', 'lang')).toBe('zh-CN');
    expect(await p.locator('h1').innerText()).toBe('电子印章核验');
    await checkFile(p, '执照.pdf', 'application/pdf', sealedPdf);
    expect(await p.locator('#results').innerText()).toContain('真实有效，盖章后未被改动');
    await screenshot(p, 'web-lang-zh');
    const en = p.locator('button[data-lang="en"]');
    await en.focus();
    await p.keyboard.press('Enter');
    expect(await en.getAttribute('aria-pressed')).toBe('true');
    expect(await p.getAttribute('html', 'lang')).toBe('en');
    expect(await p.locator('h1').innerText()).toBe('Check an electronic seal');
    expect(await p.locator('#results').innerText()).toContain('Authentic, unchanged since sealing');
    await screenshot(p, 'web-lang-en');
    // Keyboard order: from the language switch, Tab reaches the file chooser.
    await p.keyboard.press('Tab');
    expect(await p.evaluate('document.activeElement && document.activeElement.id')).toBe('file');
    await p.reload();
    expect(await p.locator('h1').innerText()).toBe('Check an electronic seal');
    await p.locator('button[data-lang="zh-CN"]').click();
    expect(await p.locator('h1').innerText()).toBe('电子印章核验');
    expect(pageErrors.get(p)).toEqual([]);
  });

  it('the QR link shows the sealing record and recognises the sealed document', async () => {
    expect(pdfEntry).toMatch(/^\d+$/);
    const p = await freshPage('en-US');
    await p.goto(verificationUrl(server.url, pdfEntry, sha(original)));
    const entry = p.locator('#entry');
    await expect.poll(() => entry.innerText(), { timeout: 15_000 }).toContain('Demo Agency A');
    expect(await entry.innerText()).toContain('Active');
    await checkFile(p, 'licence.pdf', 'application/pdf', sealedPdf);
    await screenshot(p, 'web-qr-landing');
    expect(await p.locator('#results').innerText()).toContain(`This file contains exactly the document sealed under record ${pdfEntry}`);
    await checkFile(p, 'other.pdf', 'application/pdf', Buffer.from(buildPdf({ objects: onePageObjects('Another document'), root: 1 })));
    expect(await p.locator('#results').innerText()).toContain(`This file is NOT the document sealed under record ${pdfEntry}`);
    expect(pageErrors.get(p)).toEqual([]);
    // The same without WebCrypto (the page's own SHA-256, as on a LAN over plain http).
    const lan = await freshPage('en-US', { withoutWebCrypto: true });
    await lan.goto(verificationUrl(server.url, pdfEntry, sha(original)));
    expect(await lan.evaluate('typeof crypto.subtle')).toBe('undefined');
    await expect.poll(() => lan.locator('#entry').innerText(), { timeout: 15_000 }).toContain('Demo Agency A');
    await checkFile(lan, 'licence.pdf', 'application/pdf', sealedPdf);
    expect(await lan.locator('#results').innerText()).toContain(`This file contains exactly the document sealed under record ${pdfEntry}`);
    expect(pageErrors.get(lan)).toEqual([]);
    // A link with another digest gets no record.
    await lan.goto(verificationUrl(server.url, pdfEntry, 'ab'.repeat(32)));
    await expect.poll(() => lan.locator('#entry').innerText(), { timeout: 15_000 }).toContain(`no sealing record ${pdfEntry}`);
  });
});
