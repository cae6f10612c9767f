/** `seal ses verify FILE`: a GB/T 38540 SES_Seal or SES_Signature (detected from its structure). */
import { readFileSync } from 'node:fs';
import {
  exitCodeForReport,
  InputInvalidError,
  parseSm2Crl,
  parseSm2PemCertificates,
  verifySes,
  type Sm2ParsedCertificate,
  type VerificationReport,
} from '@seal/core';
import { parse, parseAt, subcommand, VERIFY_OPTIONS } from '../args.js';

function readInput(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch {
    throw new InputInvalidError(`cannot read ${path}`);
  }
}

/** Certificates from PEM files (one file may hold several). */
export function readCertificates(paths: readonly string[] | undefined): Sm2ParsedCertificate[] {
  const out: Sm2ParsedCertificate[] = [];
  for (const p of paths ?? []) {
    let text: string;
    try {
      text = readFileSync(p, 'utf8');
    } catch {
      throw new InputInvalidError(`cannot read ${p}`);
    }
    const certs = parseSm2PemCertificates(text);
    if (certs.length === 0) throw new InputInvalidError(`no certificate in ${p}`);
    out.push(...certs);
  }
  return out;
}

/** CRL files, DER or PEM (-----BEGIN X509 CRL-----; one file may hold several). */
export function readCrls(paths: readonly string[] | undefined): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const p of paths ?? []) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(p);
    } catch {
      throw new InputInvalidError(`cannot read ${p}`);
    }
    const text = bytes.toString('latin1');
    const pems = [...text.matchAll(/-----BEGIN X509 CRL-----([\s\S]*?)-----END X509 CRL-----/g)];
    if (pems.length > 0) for (const m of pems) out.push(new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64')));
    else out.push(new Uint8Array(bytes));
  }
  for (const c of out) parseSm2Crl(c); // unreadable CRL files are input errors (65), not silently ignored
  return out;
}

/** Print a report as JSON or as readable text; return the contract exit code. */
export function printReport(report: VerificationReport, json: boolean, title: string): number {
  if (json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return exitCodeForReport(report);
  }
  const lines = [`${title}: ${report.indication}`];
  report.signatures.forEach((s, i) => {
    lines.push(`  [${i + 1}] ${s.level ?? ''}: ${s.indication}${s.subIndication ? ` / ${s.subIndication}` : ''}`);
    if (typeof s['sealName'] === 'string') lines.push(`      seal: ${s['sealName']}`);
    const seal = s['seal'] as { sealName?: string } | undefined;
    if (seal?.sealName !== undefined) lines.push(`      seal: ${seal.sealName}`);
    if (s.signer) lines.push(`      signer: ${s.signer.subject}`, `      issuer: ${s.signer.issuer}  serial: ${s.signer.serialNumber}`);
    if (s.signingTime) lines.push(`      time: ${s.signingTime} (${s.signingTimeSource ?? 'claimed'})`);
    lines.push(`      trusted: ${s.trusted ? 'yes' : 'no'}  covers whole document: ${s.coversWholeDocument ? 'yes' : 'no'}`);
    for (const e of s.errors ?? []) lines.push(`      ! ${e}`);
    for (const w of s.warnings ?? []) lines.push(`      - ${w}`);
  });
  process.stdout.write(`${lines.join('\n')}\n`);
  return exitCodeForReport(report);
}

export async function sesCommand(argv: string[]): Promise<number> {
  const [, rest] = subcommand('ses', argv, ['verify']);
  const { values, positionals } = parse(rest, { ...VERIFY_OPTIONS, data: { type: 'string' } }, { min: 1, max: 1, names: 'FILE' });
  const bytes = readInput(positionals[0]!);
  const trustAnchors = readCertificates(values.trust);
  const data = values.data === undefined ? undefined : readInput(values.data);
  const at = parseAt(values.at);
  const crls = readCrls(values.crl);
  const report = verifySes(bytes, { trustAnchors, crls, ...(at ? { at } : {}), ...(data ? { data } : {}) });
  return printReport(report, values.json === true, report.kind === 'seal' ? 'SES_Seal' : 'SES_Signature');
}
