/** `seal ofd verify FILE.ofd`: every signature of an OFD document (or its GM/T 0099 integrity protection). */
import { readFileSync } from 'node:fs';
import { InputInvalidError, verifyOfd } from '@seal/core';
import { parse, parseAt, subcommand, VERIFY_OPTIONS } from '../args.js';
import { printReport, readCertificates, readCrls } from './ses.js';

export async function ofdCommand(argv: string[]): Promise<number> {
  const [, rest] = subcommand('ofd', argv, ['verify']);
  const { values, positionals } = parse(rest, { ...VERIFY_OPTIONS, 'signer-cert': { type: 'string', multiple: true } }, { min: 1, max: 1, names: 'FILE.ofd' });
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(positionals[0]!));
  } catch {
    throw new InputInvalidError(`cannot read ${positionals[0]!}`);
  }
  const at = parseAt(values.at);
  const report = verifyOfd(bytes, {
    trustAnchors: readCertificates(values.trust),
    signerCertificates: readCertificates(values['signer-cert']),
    crls: readCrls(values.crl),
    ...(at ? { at } : {}),
  });
  return printReport(report, values.json === true, 'OFD');
}
