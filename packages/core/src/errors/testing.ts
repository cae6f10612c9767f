/** Test helpers around SealError. */
import { SealError } from './index.js';

/** The indication of a verification, or the code of the SealError it threw instead; anything else is rethrown. */
export function indicationOrCode(fn: () => { indication: string }): string {
  try {
    return fn().indication;
  } catch (err) {
    if (err instanceof SealError) return err.code;
    throw err;
  }
}
