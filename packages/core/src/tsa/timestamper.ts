/**
 * Where signature time-stamps come from: an RFC 3161 TSA over HTTP (client.ts), the in-process
 * authority (authority.ts), or anything else that returns a TimeStampToken.
 */
import type { CmsHash } from '../cms/signed-data.js';

export interface Timestamper {
  /** A DER TimeStampToken (CMS ContentInfo) whose message imprint is `digest`, computed with `hash`. */
  timestamp(digest: Uint8Array, hash: CmsHash): Promise<Uint8Array>;
  /** The size in bytes of the tokens this source returns for `hash` (used to size PDF placeholders). */
  estimateTokenSize(hash: CmsHash): Promise<number>;
}
