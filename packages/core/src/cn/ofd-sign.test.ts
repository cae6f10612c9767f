import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { corpusOrReport, corpusPath } from '../../../../test-support/corpus.js';
import { readOfdZip, writeOfdZip } from './ofd-zip.js';
import { signOfd } from './ofd-sign.js';
import { verifyOfd } from './ofd-verify.js';
import { createSm2TestPki, createTestSesSeal, type Sm2TestPki } from './sm2-test-pki.js';
import { parseXml, findAll } from './xml.js';

const HAVE = corpusOrReport('OFD signing tests');
const at = new Date('2025-06-01T00:00:00Z');

describe.runIf(HAVE)('signOfd', () => {
  let pki: Sm2TestPki;
  let seal: Uint8Array;
  beforeAll(async () => {
    pki = await createSm2TestPki();
    seal = await createTestSesSeal(pki, { esId: 'OFD-SIGN', name: 'OFD signing seal' });
  });

  it('seals an unsigned OFD: TOTAL_PASSED, whole document covered, stamp on page 1', async () => {
    const out = await signOfd(new Uint8Array(readFileSync(corpusPath('cn/ofd/helloworld-unsigned.ofd'))), { seal, signer: pki.holder, time: at });
    const r = verifyOfd(out, { trustAnchors: [pki.rootCert], at });
    expect(r.indication).toBe('TOTAL_PASSED');
    expect(r.signatures).toHaveLength(1);
    expect(r.signatures[0]!.coversWholeDocument).toBe(true);
    const files = readOfdZip(out);
    const sx = parseXml(files.get('Doc_0/Signs/Sign_0/Signature.xml')!);
    expect(findAll(sx, 'StampAnnot')[0]!.attrs['PageRef']).toBe('1');
    // Tampering afterwards fails.
    const content = Uint8Array.from(files.get('Doc_0/Pages/Page_0/Content.xml')!);
    content[content.indexOf(0x22) + 1]! ^= 1;
    files.set('Doc_0/Pages/Page_0/Content.xml', content);
    expect(verifyOfd(writeOfdZip(files), { trustAnchors: [pki.rootCert], at }).indication).toBe('TOTAL_FAILED');
  });

  it('adds a second signature to a real e-invoice without breaking the tax bureau seal', async () => {
    const inv = new Uint8Array(readFileSync(corpusPath('cn/ofd/signedFile-jiangsu-tax.ofd')));
    const out = await signOfd(inv, { seal, signer: pki.holder, time: at });
    const r = verifyOfd(out, { trustAnchors: [pki.rootCert], at });
    expect(r.signatures).toHaveLength(2);
    expect(r.signatures[0]!['valid']).toBe(true);
    expect(r.signatures[0]!.indication).toBe('INDETERMINATE'); // the bureau's root is not trusted here
    expect(r.signatures[1]!.indication).toBe('TOTAL_PASSED');
    expect(r.signatures[1]!.coversWholeDocument).toBe(true);
    const sigs = parseXml(readOfdZip(out).get('Doc_0/Signs/Signatures.xml')!);
    expect(findAll(sigs, 'Signature').map((s) => s.attrs['ID'])).toEqual(['2', '3']);
  });

  it('refuses a signer outside the seal and a page that does not exist', async () => {
    const hw = new Uint8Array(readFileSync(corpusPath('cn/ofd/helloworld-unsigned.ofd')));
    await expect(signOfd(hw, { seal, signer: pki.maker, time: at })).rejects.toMatchObject({ code: 'ERR_CERT_INVALID' });
    await expect(signOfd(hw, { seal, signer: pki.holder, time: at, page: 5 })).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
  });
});
