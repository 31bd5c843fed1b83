// Generates packages/protocol/src/gen/ from proto/ with protobufjs's own tools (pbjs, pbts).
// With --check, generates into a temporary folder and fails if the committed files differ.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const protoDir = join(root, 'proto');
const outDir = join(root, 'packages/protocol/src/gen');
const check = process.argv.includes('--check');
const bin = (name) => join(root, 'node_modules/.bin', name);

const protos = readdirSync(join(protoDir, 'silo/v1'))
  .filter((f) => f.endsWith('.proto'))
  .sort()
  .map((f) => join(protoDir, 'silo/v1', f));

const target = check ? mkdtempSync(join(tmpdir(), 'silo-gen-')) : outDir;
mkdirSync(target, { recursive: true });
const js = join(target, 'silo.js');
const dts = join(target, 'silo.d.ts');

execFileSync(
  bin('pbjs'),
  [
    '-t',
    'static-module',
    '-w',
    'es6',
    '--no-beautify',
    '--force-number',
    '--no-delimited',
    '--no-verify',
    '--no-convert',
    '-p',
    protoDir,
    '-o',
    js,
    ...protos,
  ],
  { stdio: 'inherit' },
);
// Node's ESM loader needs the file extension, and protobufjs/minimal is CommonJS (default export only).
const source = readFileSync(js, 'utf8').replace(
  'import * as $protobuf from "protobufjs/minimal";',
  'import $protobuf from "protobufjs/minimal.js";',
);
writeFileSync(js, source);
execFileSync(bin('pbts'), ['--no-comments', '-o', dts, js], { stdio: 'inherit' });

if (check) {
  let stale = false;
  for (const name of ['silo.js', 'silo.d.ts']) {
    const want = readFileSync(join(target, name), 'utf8');
    let have = '';
    try {
      have = readFileSync(join(outDir, name), 'utf8');
    } catch {
      have = '';
    }
    if (want !== have) {
      console.error(
        `generated code is stale: packages/protocol/src/gen/${name} differs from proto/; run npm run gen`,
      );
      stale = true;
    }
  }
  rmSync(target, { recursive: true, force: true });
  process.exit(stale ? 1 : 0);
}
console.log(`generated ${js} and ${dts}`);
