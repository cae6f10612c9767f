#!/usr/bin/env node
// `pnpm bench`: runs every benchmark in bench/ (or those named on the command line) one after
// another, so that their figures are not disturbed by each other. Each prints its own table,
// side by side with its peer tool measured in the same run.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dir = join(root, 'bench');
const wanted = process.argv.slice(2);
const scripts = readdirSync(dir)
  .filter((f) => /\.(mjs|ts)$/.test(f) && !f.startsWith('_'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.includes(w)))
  .sort();
let failed = 0;
for (const script of scripts) {
  process.stdout.write(`\n=== bench/${script} ===\n`);
  const runner = script.endsWith('.ts') ? [join(root, 'node_modules', '.bin', 'tsx'), [join(dir, script)]] : [process.execPath, ['--expose-gc', join(dir, script)]];
  const res = spawnSync(runner[0], runner[1], { cwd: root, stdio: 'inherit' });
  if (res.status !== 0) failed += 1;
}
process.exit(failed ? 1 : 0);
