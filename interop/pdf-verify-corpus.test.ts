/**
 * Every signed PDF of the shared corpus (pdf/valid, pdf/tampered) gets its MANIFEST.json verdict.
 * Anchors: the roots `independent_check.chain_check` names. Time: inside every signer
 * certificate's validity (the files' certificates have mostly expired). Revocation: what the
 * files carry (no network). A valid file is never TOTAL_FAILED (and its signatures are intact);
 * a tampered file is never TOTAL_PASSED, and TOTAL_FAILED unless its fault is an algorithm policy.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { corpusManifest, corpusOrReport, corpusPath, type ManifestEntry } from '../test-support/corpus.js';
import { verifyPdf, certificatesFromPemOrDer, type VerificationReport } from '../packages/core/src/index.js';

const present = corpusOrReport('PDF verification corpus');
const entries = corpusManifest().filter((e) => e.path.startsWith('pdf/valid/') || e.path.startsWith('pdf/tampered/'));

/** Faults that are policy decisions (weak or inconsistent algorithms): INDETERMINATE is the right answer. */
const POLICY_FAULTS = /algorithm policy|inconsistent algorithms|inconsistent RSASSA-PSS|no parseable signature/;

interface SigDict {
  signer_cert_validity?: [string, string];
}

function anchorsFor(e: ManifestEntry): Uint8Array[] {
  const ic = e.independent_check ?? {};
  const checks = (ic['chain_check(openssl verify -no_check_time)'] ?? []) as ({ chains_to?: unknown } | null)[];
  const out: Uint8Array[] = [];
  for (const c of checks) {
    if (c && typeof c.chains_to === 'string' && c.chains_to.startsWith('certs/')) out.push(...certificatesFromPemOrDer(readFileSync(corpusPath(c.chains_to))));
  }
  return out;
}

/** A time inside every signer certificate's validity, if the certificates have expired. */
function validationTime(e: ManifestEntry): Date | undefined {
  const sigs = ((e.independent_check ?? {})['signature_dicts_found'] ?? []) as (SigDict | null)[];
  let notBefore = 0;
  let notAfter = Infinity;
  for (const s of sigs) {
    const v = s?.signer_cert_validity;
    if (!v) continue;
    notBefore = Math.max(notBefore, Date.parse(v[0].replace(' ', 'T')));
    notAfter = Math.min(notAfter, Date.parse(v[1].replace(' ', 'T')));
  }
  // no common window (signatures years apart): each signature is validated at its own signing time
  if (notAfter === Infinity || notAfter > Date.now() || notBefore >= notAfter) return undefined;
  const t = Math.min(notBefore + 86_400_000, notAfter - 1000);
  return new Date(t);
}

function verdictOf(report: VerificationReport | Error): string {
  if (report instanceof Error) return `error:${(report as { code?: string }).code ?? 'none'}`;
  return report.indication;
}

describe.runIf(present)('PDF corpus verdicts', () => {
  for (const e of entries) {
    const expected = String(e.expected?.verdict ?? '');
    const valid = e.path.startsWith('pdf/valid/');
    it(`${e.path}: ${expected}`, async () => {
      const bytes = new Uint8Array(readFileSync(corpusPath(e.path)));
      const at = validationTime(e);
      let report: VerificationReport | Error;
      try {
        report = await verifyPdf(bytes, { trustAnchors: anchorsFor(e), revocationPolicy: 'if-available', ...(at ? { at } : {}) });
      } catch (err) {
        report = err as Error;
      }
      const got = verdictOf(report);
      if (valid) {
        const intact = !(report instanceof Error) && report.signatures.every((s) => s.intact === true);
        expect({ verdict: got === 'TOTAL_FAILED' || got.startsWith('error') ? got : 'not failed', intact }).toEqual({ verdict: 'not failed', intact: true });
      } else if (POLICY_FAULTS.test(expected)) {
        expect(['TOTAL_FAILED', 'INDETERMINATE', 'error:ERR_PDF_MALFORMED']).toContain(got);
      } else {
        expect(['TOTAL_FAILED', 'error:ERR_PDF_MALFORMED']).toContain(got);
      }
    });
  }
});
