/**
 * Named crash points for fault-injection tests: `SILO_FAULT=point@round,…` makes this process
 * kill itself with SIGKILL the first time it reaches `point` in `round`, exactly as an operator's
 * `kill -9` or a machine losing power would stop it there. Unset, every call is a no-op.
 */
export type FaultPoint =
  /** An update was accepted (Redis and ledger outbox written), before the worker got its receipt. */
  | 'update-accepted'
  /** The new global weights are in the blob store, before the round is closed. */
  | 'aggregate-stored'
  /** The round is closed and its aggregate logged, before the next round is opened. */
  | 'round-closed';

const armed = new Set(
  (process.env['SILO_FAULT'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== ''),
);

/** Kills this process with SIGKILL when `point@round` is armed. */
export function faultPoint(point: FaultPoint, round: number): void {
  if (armed.size === 0 || !armed.has(`${point}@${round}`)) return;
  process.stderr.write(`silo: fault point ${point}@${round} reached: SIGKILL\n`);
  process.kill(process.pid, 'SIGKILL');
}
