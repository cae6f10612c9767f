/**
 * The verification page in a real browser (Debian chromium via playwright-core) against the
 * API's buildApp on loopback.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
// Temporary: the stub server takes fastify from the API package (the root has none).
const Fastify = createRequire(new URL('../apps/api/package.json', import.meta.url))('fastify') as typeof import('../apps/api/node_modules/fastify/fastify.js').default;
type FastifyInstance = ReturnType<typeof Fastify>;
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VerificationReport } from '../packages/core/src/index.js';
import { entryLookupFromRegistry, verificationUrl, webPlugin } from '../apps/api/src/web/index.js';
import { checkFile, launchChromium, screenshot } from './web-browser.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

// --- documents -------------------------------------------------------------------------------
const original = Buffer.from('%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');
const sealedPdf = Buffer.concat([original, Buffer.from('% seal revision\n%SEALED\n%%EOF\n')]);
const changedPdf = Buffer.concat([sealedPdf, Buffer.from('% later revision replacing page 1 content\n%%EOF\n')]);
const sealedJson = Buffer.from(JSON.stringify({ payload: 'eyJhIjoxfQ', signatures: [{ protected: 'eyJhbGciOiJFUzI1NiJ9', signature: 'c2ln' }] }));
const junk = randomBytes(4096);
junk[0] = 0xff; // never a %PDF header or UTF-8 text

function sigReport(over: Partial<VerificationReport['signatures'][number]>): VerificationReport['signatures'][number] {
  return {
    indication: 'TOTAL_PASSED',
    subIndication: null,
    signer: { subject: 'CN=Agency A RSA seal,O=Agency A,C=CN', issuer: 'CN=Agency Seal CA,O=Seal Service Dev', serialNumber: '1a2b' },
    signingTime: '2026-11-26T01:00:00.000Z',
    trusted: true,
    revocation: { status: 'good', reason: null, revokedAt: null },
    coversWholeDocument: true,
    modifications: [],
    timestamp: null,
    level: 'B-B',
    ...over,
  };
}

/** Recorded answers, in the API's shape ({report, registry}), until the real service lands. */
function verifyAnswer(report: VerificationReport) {
  return {
    report,
    registry: report.signatures.map((_, i) => ({
      signature: i,
      seal: { id: 'seal-a', name: 'Agency A RSA seal', kind: 'official', algorithm: 'RSA' },
      agency: { id: 'ag-a', name: 'Agency A' },
      status: { state: 'active', revokedAt: null, reason: null },
    })),
  };
}

const problem = { type: '/problems/pdf-malformed', title: 'Malformed PDF', status: 400, code: 'ERR_PDF_MALFORMED', detail: 'not a PDF' };

async function startStubService(): Promise<FastifyInstance> {
  const stub = Fastify();
  stub.addContentTypeParser('application/pdf', { parseAs: 'buffer', bodyLimit: 50 * 1024 * 1024 }, (_r, body, done) => done(null, body));
  stub.post('/v1/verify/pdf', async (req, reply) => {
    const b = req.body as Buffer;
    if (b.equals(sealedPdf)) return verifyAnswer({ indication: 'TOTAL_PASSED', signatures: [sigReport({})] });
    if (b.equals(changedPdf)) {
      return verifyAnswer({
        indication: 'TOTAL_FAILED',
        signatures: [sigReport({
          indication: 'TOTAL_FAILED', subIndication: 'SIG_CONSTRAINTS_FAILURE', coversWholeDocument: false,
          modifications: [{ revision: 2, object: '4 0 R', kind: 'page-content', allowed: false, description: 'content of page 1 replaced' }],
        })],
      });
    }
    return reply.code(400).type('application/problem+json').send(problem);
  });
  stub.post('/v1/verify/json', async (req, reply) => {
    const body = req.body as { jws?: unknown };
    if (body && typeof body.jws === 'object') return verifyAnswer({ indication: 'TOTAL_PASSED', signatures: [sigReport({ level: 'JAdES B-B' })] });
    return reply.code(400).type('application/problem+json').send({ ...problem, code: 'ERR_JWS_INVALID' });
  });
  const lookupEntry = entryLookupFromRegistry({
    getUsage: async (i) => (i === 5 ? { time: '2026-11-26T01:00:00Z', sealId: 'seal-a', agencyId: 'ag-a', documentKind: 'pdf', documentSha256: sha(original) } : null),
    getSeal: async (id) => (id === 'seal-a' ? { id, name: 'Agency A RSA seal', state: 'active', stateChangedAt: '2026-11-26T00:00:00Z', revocation: null } : null),
    getAgency: async (id) => (id === 'ag-a' ? { id, name: 'Agency A' } : null),
  });
  await stub.register(webPlugin, { lookupEntry });
  return stub;
}

// --- service and browser ----------------------------------------------------------------------
let app: FastifyInstance;
let base = '';
let browser: Browser;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  app = await startStubService();
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

async function freshPage(locale: 'zh-CN' | 'en-US'): Promise<Page> {
  await context?.close();
  context = await browser.newContext({ locale, timezoneId: 'Asia/Shanghai', viewport: { width: 1000, height: 800 } });
  page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // Script errors only: the browser also logs every 4xx answer, which some cases expect.
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text()); });
  (page as Page & { jsErrors?: string[] }).jsErrors = errors;
  return page;
}

const jsErrors = (p: Page) => (p as Page & { jsErrors?: string[] }).jsErrors ?? [];

describe('verification page in chromium', () => {
  it('a sealed PDF shows "authentic" with agency, seal, time and status', async () => {
    const p = await freshPage('en-US');
    await p.goto(`${base}/`);
    await expect.poll(() => p.getAttribute('html', 'lang')).toBe('en');
    await checkFile(p, 'sealed.pdf', 'application/pdf', sealedPdf);
    await screenshot(p, 'web-sealed-pdf');
    const results = p.locator('#results');
    expect(await results.locator('[data-result]').getAttribute('data-result')).toBe('d.ok');
    expect(await results.locator('[data-verdict]').getAttribute('data-verdict')).toBe('v.unchanged');
    const text = await results.innerText();
    expect(text).toContain('Authentic, unchanged since sealing');
    expect(text).toContain('Agency A');
    expect(text).toContain('Agency A RSA seal');
    expect(text).toContain('Active');
    expect(text).toMatch(/November 26, 2026/);
    // The technical report is folded underneath.
    expect(await results.locator('details').first().getAttribute('open')).toBeNull();
    expect(jsErrors(p)).toEqual([]);
  });

  it('the same PDF with an incremental update after sealing shows "changed"', async () => {
    await checkFile(page, 'changed.pdf', 'application/pdf', changedPdf);
    await screenshot(page, 'web-changed-pdf');
    const results = page.locator('#results');
    expect(await results.locator('[data-result]').getAttribute('data-result')).toBe('d.bad');
    expect(await results.locator('[data-verdict]').getAttribute('data-verdict')).toBe('v.changed');
    expect(await results.innerText()).toContain('Changed after sealing: content of page 1');
  });

  it('a sealed JSON shows "authentic"', async () => {
    await checkFile(page, 'sealed.json', 'application/json', sealedJson);
    await screenshot(page, 'web-sealed-json');
    expect(await page.locator('#results [data-verdict]').getAttribute('data-verdict')).toBe('v.unchanged');
    expect(await page.locator('#results').innerText()).toContain('Authentic, unchanged since sealing');
  });

  it('random bytes show a clear message, whatever the file is called', async () => {
    await checkFile(page, 'random.bin', 'application/octet-stream', junk);
    expect(await page.locator('#results [data-result]').getAttribute('data-result')).toBe('e.notSealedDocument');
    await checkFile(page, 'random.pdf', 'application/pdf', junk);
    await screenshot(page, 'web-random-bytes');
    expect(await page.locator('#results [data-result]').getAttribute('data-result')).toBe('e.notSealedDocument');
    expect(await page.locator('#results').innerText()).toContain('This file is not a sealed document');
    expect(jsErrors(page)).toEqual([]);
  });

  it('the language switch works, is remembered, and re-renders the result', async () => {
    const p = await freshPage('zh-CN');
    await p.goto(`${base}/`);
    expect(await p.getAttribute('html', 'lang')).toBe('zh-CN');
    expect(await p.locator('h1').innerText()).toBe('电子印章核验');
    await checkFile(p, '已盖章.pdf', 'application/pdf', sealedPdf);
    expect(await p.locator('#results').innerText()).toContain('真实有效，盖章后未被改动');
    await screenshot(p, 'web-lang-zh');
    // Keyboard only: tab to the English button and press it.
    const en = p.locator('button[data-lang="en"]');
    await en.focus();
    await p.keyboard.press('Enter');
    expect(await en.getAttribute('aria-pressed')).toBe('true');
    expect(await p.getAttribute('html', 'lang')).toBe('en');
    expect(await p.locator('h1').innerText()).toBe('Check an electronic seal');
    expect(await p.locator('#results').innerText()).toContain('Authentic, unchanged since sealing');
    await screenshot(p, 'web-lang-en');
    await p.reload();
    expect(await p.locator('h1').innerText()).toBe('Check an electronic seal');
    await p.locator('button[data-lang="zh-CN"]').click();
    expect(await p.locator('h1').innerText()).toBe('电子印章核验');
    expect(jsErrors(p)).toEqual([]);
  });

  it('the QR link shows the sealing record and recognises the sealed document', async () => {
    const url = verificationUrl(base, '5', sha(original));
    const p = await freshPage('en-US');
    await p.goto(url);
    const entry = p.locator('#entry');
    await expect.poll(() => entry.innerText()).toContain('Agency A RSA seal');
    expect(await entry.innerText()).toContain('Agency A');
    await checkFile(p, 'sealed.pdf', 'application/pdf', sealedPdf);
    await screenshot(p, 'web-qr-landing');
    const text = await p.locator('#results').innerText();
    expect(text).toContain('This file contains exactly the document sealed under record 5');
    await checkFile(p, 'other.pdf', 'application/pdf', Buffer.from('%PDF-1.7\n% another document\n%%EOF\n'));
    expect(await p.locator('#results').innerText()).toContain('This file is NOT the document sealed under record 5');
    // A forged link (wrong digest) gets no record.
    await p.goto(verificationUrl(base, '5', 'ab'.repeat(32)));
    await expect.poll(() => entry.innerText()).toContain('no sealing record 5');
  });
});
