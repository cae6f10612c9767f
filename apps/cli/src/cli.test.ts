import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../test-support/corpus.js';

const TSX = join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');
const MAIN = join(PROJECT_ROOT, 'apps', 'cli', 'src', 'main.ts');

function seal(...args: string[]) {
  const res = spawnSync(TSX, [MAIN, ...args], { encoding: 'utf8', cwd: PROJECT_ROOT });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

describe('seal CLI contract', () => {
  it('--help lists every command of the contract', () => {
    const { code, stdout } = seal('--help');
    expect(code).toBe(0);
    for (const line of [
      'seal pdf sign IN.pdf -o OUT.pdf KEY',
      'seal pdf extend IN.pdf -o OUT.pdf --level B-LT|B-LTA',
      'seal pdf verify IN.pdf',
      'seal json sign IN.json -o OUT KEY',
      'seal json verify IN',
      'seal ses verify FILE',
      'seal ofd verify FILE.ofd',
      'seal serve',
      '--p12 FILE --password PW',
      '--cert PEM --key PEM [--key-password PW]',
    ]) {
      expect(stdout).toContain(line);
    }
  });

  it('no arguments is a usage error (64) that still prints the usage', () => {
    const { code, stdout } = seal();
    expect(code).toBe(64);
    expect(stdout).toContain('Usage:');
  });

  it('unknown commands and sub-commands exit 64 with one line on stderr, no stack trace', () => {
    for (const args of [['frobnicate'], ['pdf', 'frobnicate'], ['json'], ['ses', 'sign']]) {
      const { code, stderr } = seal(...args);
      expect(code, args.join(' ')).toBe(64);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).not.toMatch(/\n\s+at /);
    }
  });
});
