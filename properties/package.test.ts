/**
 * The repository and the package as a dependent app meets them: it stands alone (no
 * tracked file points outside it), its modules form no import cycle, and the tarball
 * ships the library, the CLI, the reference, the fixtures and the math, with no code
 * that imports a devDependency.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, normalize } from 'node:path';
import madge from 'madge';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as {
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
};
const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: root }).toString().split('\0').filter(Boolean);
const isText = (path: string) => /\.(ts|md|json|yml|yaml|py|wat|sh)$/.test(path) || path.startsWith('.ci/');

describe('the repository stands alone', () => {
  it('no tracked file refers to a path outside the repository', () => {
    const outside: string[] = [];
    for (const path of tracked.filter(isText)) {
      // Generated records that quote other files' text: the lock file, and Stryker's
      // incremental results (which embed every test file's source).
      if (path === 'package-lock.json' || path === 'mutation/stryker-incremental.json') continue;
      const text = readFileSync(`${root}${path}`, 'utf8');
      // Module specifiers resolve from their file; prose is read from the file and from
      // the root alike, so a relative path anywhere else must stay inside both ways.
      const code = /(?:\bfrom\s*|\bimport\s*\(\s*|\bnew URL\(\s*)['"`](\.[^'"`]*)['"`]/g;
      for (const match of text.matchAll(code)) {
        if (normalize(`${dirname(path)}/${match[1]}`).startsWith('..')) outside.push(`${path}: ${match[1]}`);
      }
      for (const match of text.replace(code, '').matchAll(/(?:^|[\s(`'"[])((?:\.\.\/)+)(\w[\w.-]*)/gm)) {
        const relative = `${match[1]}${match[2]}`;
        if ([dirname(path), '.'].some((from) => normalize(`${from}/${relative}`).startsWith('..'))) outside.push(`${path}: ${relative}`);
      }
    }
    expect(outside).toEqual([]);
  });

  it('no import cycle among the modules of src, reference, benchmarks, scripts and fixtures', async () => {
    const graph = await madge(['src', 'reference', 'benchmarks', 'scripts', 'fixtures'].map((d) => `${root}${d}`), {
      fileExtensions: ['ts'],
      tsConfig: `${root}tsconfig.json`,
      baseDir: root,
    });
    expect(graph.circular()).toEqual([]);
    // reference/ imports nothing outside itself but its one runtime dependency.
    const leaks = Object.entries(graph.obj())
      .filter(([file]) => file.startsWith('reference/'))
      .flatMap(([file, deps]) => deps.filter((dep) => !dep.startsWith('reference/')).map((dep) => `${file} → ${dep}`));
    expect(leaks).toEqual([]);
  });
});

describe('the packed tarball', () => {
  const packed = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }).toString()) as [
    { files: { path: string }[] },
  ];
  const files = packed[0].files.map((f) => f.path);

  it('ships the library, the CLI, the reference, the fixtures and the math, and no bench, script or test', () => {
    for (const path of ['dist/src/index.js', 'dist/src/cli/main.js', 'dist/reference/index.js', 'reference/closed-form.ts', 'fixtures/conformance.json', 'docs/MATH.md']) {
      expect(files).toContain(path);
    }
    expect(files.filter((f) => /^dist\/(benchmarks|scripts|properties)\/|\.test\.ts$|^properties\//.test(f))).toEqual([]);
  });

  it('holds no JavaScript that imports a package outside its dependencies and peer dependencies', () => {
    const allowed = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {}), ...builtinModules]);
    const bad: string[] = [];
    for (const path of files.filter((f) => f.endsWith('.js'))) {
      const text = readFileSync(`${root}${path}`, 'utf8');
      for (const match of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"./][^'"]*)['"]/g)) {
        const spec = match[1].replace(/^node:/, '');
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
        if (!allowed.has(name)) bad.push(`${path}: ${match[1]}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
