/** The README's "library in one glance" example, run as written against the dev PKI. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../test-support/corpus.js';
import { buildPdf } from './pdf/testing/build-pdf.js';
import { certificatesFromPemOrDer, loadSignerFromKeyFiles, signPdf, verifyPdf } from './index.js';

describe('README library example', () => {
  it('seals a PDF with the dev P12 and verifies it against the dev root', async () => {
    const pdfBytes = buildPdf({
      objects: {
        1: '<< /Type /Catalog /Pages 2 0 R >>',
        2: '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
        3: '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>',
      },
      root: 1,
    });
    const rootPem = readFileSync(join(PROJECT_ROOT, 'certs-dev', 'root-ca.pem'));
    const signer = loadSignerFromKeyFiles({ p12: join(PROJECT_ROOT, 'certs-dev', 'agency-a-rsa.p12'), password: 'dev-only' }, []);
    const sealed = await signPdf(pdfBytes, signer, { reason: 'Issued', visible: { page: 1, rect: [400, 50, 150, 150] } });
    expect(Buffer.from(sealed.subarray(0, pdfBytes.length)).equals(Buffer.from(pdfBytes))).toBe(true);
    const report = await verifyPdf(sealed, { trustAnchors: certificatesFromPemOrDer(rootPem), revocationPolicy: 'if-available' });
    expect(report.signatures).toHaveLength(1);
    expect(report.signatures[0]).toMatchObject({ trusted: true, coversWholeDocument: true });
    expect(report.signatures[0]!.signer?.subject).toContain('Demo City Market Supervision Bureau');
    // No CRL or OCSP answer is at hand here: 'if-available' passes with the status shown as unknown.
    expect(report.signatures[0]!.revocation.status).toBe('unknown');
    expect(report.indication).toBe('TOTAL_PASSED');
    // The default policy requires revocation data: the same seal is then INDETERMINATE, never passed.
    const strict = await verifyPdf(sealed, { trustAnchors: certificatesFromPemOrDer(rootPem) });
    expect(strict.indication).toBe('INDETERMINATE');
  });
});
