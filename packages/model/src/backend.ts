import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from './wasm-kernels/index.js';

/** A TensorFlow.js backend Silo can run on, fastest first: native libtensorflow, WebAssembly, plain JS. */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

const DEFAULT_ORDER: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

/** Serialises initialisation, so concurrent callers share one attempt. */
let pending: Promise<BackendName> | undefined;

/**
 * Selects and initialises the fastest working TensorFlow.js backend and returns its name, which
 * callers should print (throughput differs by 4–100× between them).
 *
 * Tries `preferred` first, then `tensorflow` (only if `@tensorflow/tfjs-node` happens to be
 * installed — it is an optional extra, never a dependency), then `wasm` (SIMD build, single
 * thread in Node), then `cpu`, falling through on any failure. Once a backend is running, later
 * calls return it unchanged unless they ask for a different `preferred` backend.
 */
export async function initBackend(preferred?: BackendName): Promise<BackendName> {
  const previous = pending;
  const next = (async () => {
    const current = previous ? await previous.catch(() => undefined) : undefined;
    if (current !== undefined && (preferred === undefined || preferred === current)) return current;
    const order = preferred ? [preferred, ...DEFAULT_ORDER.filter((b) => b !== preferred)] : DEFAULT_ORDER;
    const failures: string[] = [];
    for (const name of order) {
      try {
        if (await tryBackend(name)) return name;
        failures.push(`${name}: not available`);
      } catch (err) {
        failures.push(`${name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    throw new Error(`no TensorFlow.js backend could be initialised (${failures.join('; ')})`);
  })();
  pending = next;
  return next;
}

/** The name of the backend TensorFlow.js is using now, if it is one Silo knows. */
export function currentBackend(): BackendName | undefined {
  const name = tf.getBackend();
  return (DEFAULT_ORDER as readonly string[]).includes(name) ? (name as BackendName) : undefined;
}

async function tryBackend(name: BackendName): Promise<boolean> {
  if (name === 'tensorflow') {
    // A variable specifier keeps TypeScript and bundlers from requiring the optional package;
    // importing it registers the 'tensorflow' backend as a side effect.
    const optional = '@tensorflow/tfjs-node';
    await import(optional);
  }
  if (name === 'wasm') {
    configureWasmPaths();
    registerWasmTrainingKernels();
  }
  const ok = await tf.setBackend(name);
  await tf.ready();
  return ok && tf.getBackend() === name;
}

let wasmPathsSet = false;

/**
 * Points the wasm backend at the `.wasm` binaries inside its npm package. Node loads them with
 * `fs`, so a file-system directory with a trailing separator works where a browser needs a URL.
 */
function configureWasmPaths(): void {
  if (wasmPathsSet) return;
  const require = createRequire(import.meta.url);
  const dist = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  setWasmPaths(dist + path.sep);
  wasmPathsSet = true;
}
