#!/usr/bin/env node
// Type-checks the whole tree (strict tsc), runs the whole vitest suite, then prints the plain
// closing line CI reads: "N passed, N failed" (a type error counts as one failed check).
// Exits non-zero on any failure (or when no test ran). Extra arguments go to vitest (and skip tsc).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const outDir = join(root, '.tmp');
mkdirSync(outDir, { recursive: true });
const out = join(outDir, 'vitest-results.json');
rmSync(out, { force: true });

let typeErrors = 0;
if (process.argv.length <= 2) {
  const tsc = spawnSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
  typeErrors = tsc.status === 0 ? 0 : 1;
  process.stdout.write(typeErrors ? 'typecheck: FAILED (see tsc errors above)\n' : 'typecheck: passed\n');
}

const vitest = join(root, 'node_modules', '.bin', 'vitest');
const res = spawnSync(vitest, ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, FORCE_COLOR: process.env.CI ? '0' : process.env.FORCE_COLOR },
});

let passed = 0;
let failed = 0;
let skipped = 0;
if (existsSync(out)) {
  const r = JSON.parse(readFileSync(out, 'utf8'));
  passed = r.numPassedTests ?? 0;
  failed = (r.numFailedTests ?? 0) + (r.numRuntimeErrorTestSuites ?? 0);
  skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  // A test file that failed to load counts as a failure even if it held no tests.
  for (const f of r.testResults ?? []) if (f.status === 'failed' && (f.assertionResults ?? []).length === 0) failed += 1;
} else {
  failed = 1;
}
const code = res.status ?? 1;
if (code !== 0 && failed === 0) failed = 1;
failed += typeErrors;
process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exit(failed > 0 || code !== 0 || passed === 0 ? 1 : 0);
