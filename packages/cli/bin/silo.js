#!/usr/bin/env node
import { main } from '../dist/main.js';

main(process.argv).catch((err) => {
  const code = err && typeof err.code === 'string' ? err.code : 'ERR_INTERNAL';
  process.stderr.write(`silo: ${code}: ${err && err.message ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
