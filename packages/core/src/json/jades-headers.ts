/**
 * JAdES (ETSI TS 119 182-1) header vocabulary used by this service, and our one extension:
 * `canon`, which says the payload was signed in its RFC 8785 canonical form.
 */

/** Protected header parameter announcing canonical signing; always listed in crit. */
export const CANON_HEADER = 'canon';
/** Its only defined value. */
export const CANON_JCS = 'RFC8785';

/** sigD mechanism for detached objects bound by hash (TS 119 182-1 §5.2.8.3). */
export const SIGD_OBJECT_ID_BY_URI_HASH = 'http://uri.etsi.org/19182/ObjectIdByURIHash';

/**
 * crit entries the verifier accepts. b64, sigD and canon change what is signed and are
 * processed; sigT, x5t#o and sigX5ts are read; the others are signed claims (commitment type,
 * production place, policy id, signer attributes, content time-stamps) that are reported but
 * carry no verification rule here. Anything else in crit fails the signature.
 */
export const UNDERSTOOD_CRIT: readonly string[] = ['b64', 'sigD', CANON_HEADER, 'sigT', 'x5t#o', 'sigX5ts', 'srCms', 'sigPl', 'sigPId', 'srAts', 'adoTst', 'sigPSp'];

export const HASH_BY_JADES_NAME: Readonly<Record<string, 'sha256' | 'sha384' | 'sha512'>> = { S256: 'sha256', S384: 'sha384', S512: 'sha512' };
