/**
 * `seal pdf verify IN.pdf [--trust PEM]... [--crl FILE]... [--at ISO-8601] [--json] [--offline] [--soft-revocation]`
 * Exit codes: 0 all TOTAL_PASSED, 1 any TOTAL_FAILED, 2 INDETERMINATE, 3 no signature, 64 usage, 65 unreadable input.
 */
import {
  UsageError,
  certificatesFromPemOrDer,
  createHttpRevocationFetcher,
  exitCodeForReport,
  verifyPdf,
  type PdfSignatureReport,
  type VerificationReport,
  type VerifyPdfOptions,
} from '@seal/core';
import { OFFLINE_OPTION, parse, parseAt, VERIFY_OPTIONS } from '../args.js';
import { readInputFile } from '../files.js';

const OPTIONS = {
  ...VERIFY_OPTIONS,
  ...OFFLINE_OPTION,
  'soft-revocation': { type: 'boolean' },
} as const;

function describe(s: PdfSignatureReport, i: number): string {
  const lines = [
    `${s.kind === 'document-timestamp' ? 'Document time-stamp' : 'Signature'} #${i + 1} (field "${s.fieldName}", ${s.subFilter ?? 'no /SubFilter'})`,
    `  indication:    ${s.indication}${s.subIndication ? ` / ${s.subIndication}` : ''}`,
    `  signer:        ${s.signer ? s.signer.subject : '(unknown)'}`,
  ];
  if (s.signer) lines.push(`  issuer:        ${s.signer.issuer}`, `  serial:        ${s.signer.serialNumber}`);
  lines.push(
    `  signing time:  ${s.signingTime ?? '(none)'}${s.signingTimeSource ? ` (${s.signingTimeSource})` : ''}`,
    `  integrity:     ${s.intact ? 'digest matches' : 'DIGEST MISMATCH OR NOT CHECKED'}, ${s.valid ? 'signature valid' : 'SIGNATURE INVALID OR NOT CHECKED'}${s.algorithm ? ` (${s.algorithm})` : ''}`,
    `  trusted:       ${s.trusted ? 'yes' : 'no'}`,
    `  revocation:    ${s.revocation.status}${s.revocation.reason ? ` (${s.revocation.reason}${s.revocation.revokedAt ? ` at ${s.revocation.revokedAt}` : ''})` : ''}${s.revocation.source ? ` [${s.revocation.source}]` : ''}`,
    `  coverage:      ${s.coversWholeDocument ? 'whole document' : `revision ${s.revision ?? '?'} of the document (later changes listed below)`}`,
  );
  if (s.timestamp) lines.push(`  time-stamp:    ${s.timestamp.time} by ${s.timestamp.tsa ?? '?'} (${s.timestamp.valid ? 'valid' : 'not validated'}${s.timestamp.trusted ? ', trusted' : ''})`);
  if (s.level) lines.push(`  level:         ${s.level}`);
  if (s.certification) lines.push(`  certification: DocMDP P=${s.certification.permissions}`);
  for (const m of s.modifications) lines.push(`  change:        rev ${m.revision} ${m.object}: ${m.description} [${m.allowed ? 'allowed' : 'NOT ALLOWED'}]`);
  for (const e of s.errors ?? []) lines.push(`  reason:        ${e}`);
  for (const w of s.warnings ?? []) lines.push(`  note:          ${w}`);
  return lines.join('\n');
}

export function formatPdfReport(report: VerificationReport): string {
  const sigs = report.signatures as PdfSignatureReport[];
  const head = report.indication === 'NO_SIGNATURE' ? 'Verification: NO_SIGNATURE (the document has no signature)' : `Verification: ${report.indication} (${sigs.length} signature${sigs.length === 1 ? '' : 's'})`;
  return [head, ...sigs.map(describe)].join('\n') + '\n';
}

export async function pdfVerifyCommand(argv: string[]): Promise<number> {
  const { values: v, positionals } = parse(argv, OPTIONS, { min: 1, max: 1, names: 'IN.pdf' });
  const at = parseAt(v.at);
  const trustAnchors = (v.trust ?? []).flatMap((p) => certificatesFromPemOrDer(readInputFile(p, 'trust file')));
  const crls = (v.crl ?? []).map((p) => readInputFile(p, 'CRL'));
  const bytes = readInputFile(positionals[0]!, 'PDF');
  const options: VerifyPdfOptions = {
    trustAnchors,
    crls,
    revocationPolicy: v['soft-revocation'] ? 'if-available' : 'require',
    ...(at !== undefined ? { at } : {}),
    ...(v.offline ? {} : { fetcher: createHttpRevocationFetcher({ timeoutMs: 3000 }) }),
  };
  const report = await verifyPdf(bytes, options);
  if (v.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  else process.stdout.write(formatPdfReport(report));
  return exitCodeForReport(report);
}
