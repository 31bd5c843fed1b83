import type {
  AuditCheck,
  AuditCheckName,
  AuditFinding,
  AuditReport,
  AuditWarning,
  ConsistencyProof,
  InclusionProof,
  ProofRoot,
} from '@silo/audit';

// Human-readable renderings of audit reports and proofs; `--json` prints the values instead.

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** What each check's count means, as a line of the summary. */
const CHECK_LINES: Record<AuditCheckName, (n: number, report: AuditReport) => string> = {
  checkpoints: (n, r) =>
    `${plural(n, 'checkpoint')} verified (signature, root over the entries, consistency); ` +
    `${plural(r.verifiedSize, 'entry', 'entries')} of ${r.entries} covered`,
  schema: (n) => `${plural(n, 'entry', 'entries')} decoded against the ledger schema`,
  keys: (n) =>
    `${plural(n, 'key enrolment or revocation', 'key enrolments and revocations')} replayed in ledger order`,
  runs: (n) => `${plural(n, 'run')} naming the coordinator key, a valid layout and strategy`,
  'update-signatures': (n) => `${plural(n, 'update signature')} verified against keys enrolled at the time`,
  updates: (n) =>
    `${plural(n, 'update entry', 'update entries')} matching their signed manifests (run, round, base, fresh nonce)`,
  'aggregate-signatures': (n) => `${plural(n, 'aggregate record')} signed by the coordinator key`,
  aggregates: (n) => `${plural(n, 'aggregate record')} listing earlier updates of their round, each once`,
  blobs: (n) => `${plural(n, 'blob')} hashing to their names`,
  recompute: (n) => `${plural(n, 'aggregate')} recomputed bit for bit from the blobs`,
  privacy: (n) =>
    `${plural(n, 'private round')} applying the run's mechanism, with ε recomputed within budget and noise of the declared scale`,
  'run-ended': (n) => `${plural(n, 'run end')} matching the last aggregate`,
  rejections: (n, r) => {
    const codes = Object.entries(r.rejections).map(([code, k]) => `${code} ${k}`);
    return `${plural(n, 'rejection')} counted${codes.length === 0 ? '' : ` (${codes.join(', ')})`}`;
  },
  declines: (n) => `${plural(n, 'decline')} by workers, each signed by a key enrolled at the time`,
  evaluations: (n) =>
    `${plural(n, 'evaluation report')} by workers, each signed by a key enrolled at the time, of the checkpoint its round produced`,
};

function checkLine(check: AuditCheck, report: AuditReport): string {
  const line = CHECK_LINES[check.name](check.passed, report);
  return check.problems === 0 ? `✓ ${line}` : `✗ ${line}; ${plural(check.problems, 'problem')}`;
}

function where(finding: AuditFinding | AuditWarning): string {
  if (finding.entry !== undefined) return `entry ${finding.entry}`;
  if ('checkpoint' in finding && finding.checkpoint !== undefined) return `checkpoint ${finding.checkpoint}`;
  return 'ledger';
}

/** The summary of `silo audit verify`: one line per check, then every warning and problem. */
export function formatReport(dir: string, report: AuditReport): string {
  const lines = [
    `ledger ${dir}: ${plural(report.entries, 'entry', 'entries')}, ${plural(report.checkpoints, 'checkpoint')}, ` +
      `origin ${report.origin}, coordinator key ${report.coordinatorKeyId}`,
    ...report.checks.map((check) => checkLine(check, report)),
    ...report.warnings.map((w) => `warning: ${where(w)}: ${w.code} ${w.reason}`),
    ...report.problems.map((p) => `${where(p)}: ${p.code} ${p.reason}`),
    report.ok
      ? `OK: every check passed${report.warnings.length === 0 ? '' : ` (${plural(report.warnings.length, 'warning')})`}`
      : `FAILED: ${plural(report.problems.length, 'problem')}`,
  ];
  return `${lines.join('\n')}\n`;
}

function rootLine(label: string, root: ProofRoot): string {
  const checkpoint = root.checkpoint;
  const source =
    checkpoint === undefined
      ? `computed from the local entries: no checkpoint has size ${root.size}, so this proves nothing to others`
      : `checkpoint ${checkpoint.index}, ${
          checkpoint.signature === 'verified'
            ? 'signature verified'
            : 'signature NOT checked (pass --coordinator-key)'
        }`;
  return `${label} ${root.root}  (tree size ${root.size}; ${source})`;
}

function noteLines(root: ProofRoot): string[] {
  if (root.checkpoint === undefined) return [];
  return [
    `checkpoint note (size ${root.size}):`,
    ...root.checkpoint.note
      .trimEnd()
      .split('\n')
      .map((l) => (l === '' ? '' : `  ${l}`)),
  ];
}

/** `silo audit prove` output. */
export function formatInclusion(proof: InclusionProof): string {
  const lines = [
    `entry ${proof.index}`,
    `leaf hash ${proof.leafHash}`,
    rootLine('root     ', proof.tree),
    `inclusion proof (${plural(proof.proof.length, 'hash', 'hashes')}, leaf to root):`,
    ...proof.proof.map((h) => `  ${h}`),
    ...noteLines(proof.tree),
    `✓ inclusion verified: entry ${proof.index} is in the tree of ${proof.tree.size} entries with this root`,
  ];
  return `${lines.join('\n')}\n`;
}

/** `silo audit consistency` output. */
export function formatConsistency(proof: ConsistencyProof): string {
  const lines = [
    rootLine('old root', proof.old),
    rootLine('new root', proof.new),
    `consistency proof (${plural(proof.proof.length, 'hash', 'hashes')}):`,
    ...proof.proof.map((h) => `  ${h}`),
    ...noteLines(proof.old),
    ...noteLines(proof.new),
    `✓ consistency verified: the tree of ${proof.old.size} entries is a prefix of the tree of ${proof.new.size}`,
  ];
  return `${lines.join('\n')}\n`;
}

/** A proof as JSON-ready data. */
export function proofJson(proof: InclusionProof | ConsistencyProof): unknown {
  const root = (r: ProofRoot) => ({
    size: r.size,
    root: r.root,
    checkpoint:
      r.checkpoint === undefined
        ? null
        : { index: r.checkpoint.index, signature: r.checkpoint.signature, note: r.checkpoint.note },
  });
  if ('index' in proof) {
    return {
      index: proof.index,
      leafHash: proof.leafHash,
      tree: root(proof.tree),
      proof: proof.proof,
      verified: true,
    };
  }
  return { old: root(proof.old), new: root(proof.new), proof: proof.proof, verified: true };
}
