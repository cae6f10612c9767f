/**
 * The shared third-party corpus lives beside the project root (../shared/corpus) and is never
 * copied in. Tests that need it call `corpusOrReport()`: where it is absent they print so plainly.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const CORPUS_DIR = process.env['SEAL_CORPUS_DIR'] ?? resolve(PROJECT_ROOT, '../shared/corpus');
export const CORPUS_PRESENT = existsSync(join(CORPUS_DIR, 'MANIFEST.json'));

export interface ManifestEntry {
  path: string;
  expected?: Record<string, unknown> & { verdict?: string };
  independent_check?: Record<string, unknown>;
  [k: string]: unknown;
}

let manifest: ManifestEntry[] | undefined;

export function corpusManifest(): ManifestEntry[] {
  if (!CORPUS_PRESENT) return [];
  manifest ??= JSON.parse(readFileSync(join(CORPUS_DIR, 'MANIFEST.json'), 'utf8')) as ManifestEntry[];
  return manifest;
}

/** Call at the top of a corpus-driven test file; prints a plain notice when the corpus is absent. */
export function corpusOrReport(what: string): boolean {
  if (!CORPUS_PRESENT) {
    process.stdout.write(`\nNOTICE: ${what}: shared corpus not found at ${CORPUS_DIR}; these tests were NOT run.\n`);
  }
  return CORPUS_PRESENT;
}

export function corpusPath(rel: string): string {
  return join(CORPUS_DIR, rel);
}
