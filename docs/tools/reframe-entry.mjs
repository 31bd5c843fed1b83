// Tampering demo for docs/auditor.md: rewrites entry INDEX of a COPIED ledger's entries.log,
// replacing the text FROM by TO in its JSON, and writes a valid record frame around the new bytes
// (length ‖ payload ‖ SHA-256 of both), so that only the Merkle tree and the signatures can tell.
//
//   node docs/tools/reframe-entry.mjs COPY/entries.log INDEX FROM TO
//
// Never run it on a live ledger.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';

const [file, index, from, to] = process.argv.slice(2);
if (file === undefined || index === undefined || from === undefined || to === undefined) {
  process.stderr.write('usage: node docs/tools/reframe-entry.mjs COPY/entries.log INDEX FROM TO\n');
  process.exit(2);
}
const data = readFileSync(file);
const records = [];
let changed = false;
for (let at = 0, i = 0; at + 4 <= data.length; i++) {
  const length = data.readUInt32BE(at);
  let payload = data.subarray(at + 4, at + 4 + length);
  if (i === Number(index)) {
    const text = payload.toString('utf8');
    if (!text.includes(from)) throw new Error(`entry ${i} does not contain ${from}`);
    payload = Buffer.from(text.replace(from, to), 'utf8');
    changed = true;
  }
  const head = Buffer.alloc(4);
  head.writeUInt32BE(payload.length);
  records.push(head, payload, createHash('sha256').update(head).update(payload).digest());
  at += 4 + length + 32;
}
if (!changed) throw new Error(`no entry ${index} in ${file}`);
writeFileSync(file, Buffer.concat(records));
