// tsc does not copy JavaScript inputs: put the generated protocol code beside the compiled
// package so that dist/index.js can import ./gen/silo.js and its types resolve.
import { cpSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

const pkg = resolve(import.meta.dirname, '../packages/protocol');
mkdirSync(join(pkg, 'dist/gen'), { recursive: true });
for (const name of ['silo.js', 'silo.d.ts']) {
  cpSync(join(pkg, 'src/gen', name), join(pkg, 'dist/gen', name));
}
