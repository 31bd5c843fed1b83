import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { SiloError } from './errors.js';

/**
 * Parses a YAML or JSON text against a schema. A bad value fails with ERR_BAD_CONFIG naming
 * the field path, so a person can fix the file without reading code.
 */
export function parseConfig<S extends z.ZodType>(schema: S, text: string, source: string): z.output<S> {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new SiloError('ERR_BAD_CONFIG', `${source}: not valid YAML or JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return validateConfig(schema, raw ?? {}, source);
}

/** Validates an already-parsed value against a schema, naming the first bad fields. */
export function validateConfig<S extends z.ZodType>(schema: S, raw: unknown, source: string): z.output<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
  throw new SiloError('ERR_BAD_CONFIG', `${source}: ${problems}`, { cause: result.error });
}

/** Reads and validates a YAML or JSON configuration file. */
export async function loadConfigFile<S extends z.ZodType>(schema: S, path: string): Promise<z.output<S>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new SiloError('ERR_BAD_CONFIG', `cannot read config file ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return parseConfig(schema, text, path);
}
