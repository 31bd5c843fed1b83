// Writes the compose configs that carry this deployment's secrets, for init.sh:
//   <out>/coordinator/coordinator.yaml  = coordinator.yaml + apiToken (from <out>/api-token)
//   <out>/<worker>/worker.yaml          = <worker>.yaml + coordinatorKey (verifier key of <out>/keys/coordinator.key.json)
//   <out>/coordinator-verifier.key      = that verifier key, for auditors
// Usage: node render-configs.mjs OUT WORKER...
// The configs are YAML without includes or variables, so the secret values are written into copies.
import { createPrivateKey } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { ed25519PublicKeyRaw, formatVerifierKey } from '@silo/ledger';

const here = import.meta.dirname;
const [out, ...workers] = process.argv.slice(2);
if (out === undefined || workers.length === 0) {
  process.stderr.write('usage: node render-configs.mjs OUT WORKER...\n');
  process.exit(2);
}

/** Parses an example config, refusing one that already sets the field this script adds. */
function example(name, field) {
  const path = join(here, name);
  const doc = parseDocument(readFileSync(path, 'utf8'));
  if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors[0].message}`);
  if (doc.has(field)) throw new Error(`${path}: ${field} is written by init.sh; remove it from the example`);
  return doc;
}

function write(path, source, doc) {
  const header = `# Written by deploy/compose/init.sh from deploy/compose/${source}: edit that file, not this one.\n`;
  writeFileSync(path, header + doc.toString({ lineWidth: 0 }), { mode: 0o600 });
}

const coordinator = example('coordinator.yaml', 'apiToken');
const ledgerName = coordinator.get('ledgerName');
if (typeof ledgerName !== 'string') throw new Error('coordinator.yaml: set ledgerName');
coordinator.set('apiToken', readFileSync(join(out, 'api-token'), 'utf8').trim());
write(join(out, 'coordinator', 'coordinator.yaml'), 'coordinator.yaml', coordinator);

const jwk = JSON.parse(readFileSync(join(out, 'keys', 'coordinator.key.json'), 'utf8'));
const verifierKey = formatVerifierKey(
  ledgerName,
  ed25519PublicKeyRaw(createPrivateKey({ key: jwk, format: 'jwk' })),
);
writeFileSync(join(out, 'coordinator-verifier.key'), `${verifierKey}\n`, { mode: 0o644 });

for (const worker of workers) {
  const doc = example(`${worker}.yaml`, 'coordinatorKey');
  doc.set('coordinatorKey', verifierKey);
  write(join(out, worker, 'worker.yaml'), `${worker}.yaml`, doc);
}
