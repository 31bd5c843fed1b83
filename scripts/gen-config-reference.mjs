#!/usr/bin/env node
// Generates docs/configuration.md, the reference of every configuration file Silo reads, from the
// zod schemas themselves, so the reference cannot drift from the code:
//
//   node scripts/gen-config-reference.mjs            write docs/configuration.md
//   node scripts/gen-config-reference.mjs --stdout   print it instead (test/docs.test.ts compares)
//   node scripts/gen-config-reference.mjs --check    exit 1 when docs/configuration.md is stale
//
// Fields, types, defaults, constraints and whether a field is required come from the schemas in
// the BUILT packages (`npm run build` first): `z.toJSONSchema()` in input mode, i.e. the file as
// a person writes it, before defaults are filled in.
//
// Descriptions: the schemas carry their documentation as TSDoc comments in the TypeScript source,
// not as `.describe()`, so this script reads them from the source with the TypeScript parser. It
// starts at the exported schema constant, follows the zod calls (`z.object`, `z.strictObject`,
// `z.discriminatedUnion`, `z.union`, `z.array`, `.extend`, and modifiers such as `.default()`),
// object spreads, local constants and functions, relative imports and `@silo/*` imports, and
// takes the `/** … */` comment right before each property (or union member). A constant's own
// comment is shown where an object or union it defines is described. A `description` in the JSON
// Schema (from `.describe()` or `.meta()`), when there is one, takes precedence over the comment.

import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { z } from 'zod';
import { coordinatorConfigSchema, runConfigSchema } from '@silo/coordinator';
import { workerConfigSchema } from '@silo/worker';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUTPUT = join(ROOT, 'docs', 'configuration.md');

/** The documented files: the schema, where its source is, and how to introduce it. */
const FILES = [
  {
    title: 'Coordinator configuration',
    command: 'silo coordinator start --config FILE',
    example: 'examples/coordinator.yaml',
    schema: coordinatorConfigSchema,
    source: 'coordinator/src/config.ts',
    constant: 'coordinatorConfigSchema',
    root: 'coordinator',
  },
  {
    title: 'Run configuration',
    command: 'silo run create --config FILE',
    example: 'examples/run.yaml',
    schema: runConfigSchema,
    source: 'coordinator/src/config.ts',
    constant: 'runConfigSchema',
    root: 'run',
  },
  {
    title: 'Worker configuration',
    command: 'silo worker start --config FILE',
    example: 'examples/worker.yaml',
    schema: workerConfigSchema,
    source: 'worker/src/config.ts',
    constant: 'workerConfigSchema',
    root: 'worker',
  },
];

/** Where the sources of `@silo/*` packages are. */
function packageSourceDir(specifier) {
  const name = specifier.slice('@silo/'.length);
  if (name === 'coordinator' || name === 'worker') return join(ROOT, name, 'src');
  return join(ROOT, 'packages', name, 'src');
}

// ---------------------------------------------------------------------------------------------
// Reading TSDoc from the TypeScript sources

const sources = new Map();

function sourceFile(path) {
  let file = sources.get(path);
  if (file === undefined) {
    file = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);
    sources.set(path, file);
  }
  return file;
}

/** The text of the last `/** … *\/` comment right before `node`, cleaned; undefined if none. */
function leadingDoc(node) {
  const file = node.getSourceFile();
  const ranges = ts.getLeadingCommentRanges(file.text, node.getFullStart()) ?? [];
  const last = ranges.at(-1);
  if (last === undefined) return undefined;
  const text = file.text.slice(last.pos, last.end);
  if (!text.startsWith('/**')) return undefined;
  const lines = text
    .replace(/^\/\*\*/, '')
    .replace(/\*\/$/, '')
    .split('\n')
    .map((line) => line.replace(/^\s*\* ?/, '').trimEnd());
  const tag = lines.findIndex((line) => /^@\w/.test(line.trim()));
  const body = (tag < 0 ? lines : lines.slice(0, tag)).join('\n').trim();
  if (body === '') return undefined;
  return body.replace(/\{@link\s+([^}|\s]+)\s*(?:\|\s*([^}]+))?\}/g, (_, target, label) =>
    label === undefined ? `\`${target}\`` : label.trim(),
  );
}

/** Top-level constants and functions of a file, by name. */
function declarations(file) {
  const found = new Map();
  for (const statement of file.statements) {
    if (ts.isVariableStatement(statement)) {
      for (const decl of statement.declarationList.declarations) {
        if (ts.isIdentifier(decl.name) && decl.initializer !== undefined) {
          found.set(decl.name.text, { init: decl.initializer, doc: leadingDoc(statement) });
        }
      }
    } else if (ts.isFunctionDeclaration(statement) && statement.name !== undefined) {
      found.set(statement.name.text, { fn: statement, doc: leadingDoc(statement) });
    }
  }
  return found;
}

function sourceFilesUnder(dir) {
  const files = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'gen') files.push(...sourceFilesUnder(path));
    } else if (/\.ts$/.test(entry.name) && !/\.(test|fixture|d)\.ts$/.test(entry.name)) {
      files.push(path);
    }
  }
  return files.sort();
}

/** The declaration `name` refers to in `file`: a local one, or one it imports. */
function resolveName(name, file) {
  const local = declarations(file).get(name);
  if (local !== undefined) return local;
  for (const statement of file.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
    const bindings = statement.importClause?.namedBindings;
    if (bindings === undefined || !ts.isNamedImports(bindings)) continue;
    const binding = bindings.elements.find((e) => e.name.text === name);
    if (binding === undefined) continue;
    const imported = (binding.propertyName ?? binding.name).text;
    const specifier = statement.moduleSpecifier.text;
    let candidates = [];
    if (specifier.startsWith('.')) {
      candidates = [resolve(dirname(file.fileName), specifier.replace(/\.js$/, '.ts'))];
    } else if (specifier.startsWith('@silo/')) {
      candidates = sourceFilesUnder(packageSourceDir(specifier));
    }
    for (const path of candidates) {
      const found = declarations(sourceFile(path)).get(imported);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/**
 * What the source says about a schema expression: `fields` (name → { doc, node }) of an object,
 * `variants` of a union (each with its own `doc`), `items` of an array, the `literal` of a
 * `z.literal`, and `typeDoc`, the comment of the constant the schema was defined as.
 */
function describe(expr, seen = new Set()) {
  if (expr === undefined) return {};
  if (ts.isParenthesizedExpression(expr) || ts.isAsExpression(expr) || ts.isSatisfiesExpression(expr)) {
    return describe(expr.expression, seen);
  }
  if (ts.isIdentifier(expr)) {
    if (seen.has(expr)) return {};
    const found = resolveName(expr.text, expr.getSourceFile());
    if (found?.init === undefined) return {};
    const node = describe(found.init, new Set([...seen, expr]));
    return found.doc === undefined || node.typeDoc !== undefined ? node : { ...node, typeDoc: found.doc };
  }
  if (!ts.isCallExpression(expr)) return {};
  const callee = expr.expression;
  const [first, second] = expr.arguments;
  if (ts.isIdentifier(callee)) {
    // A local helper that returns a schema, e.g. `listenSchema(7070)`.
    const found = resolveName(callee.text, callee.getSourceFile());
    const result = found?.fn?.body?.statements.find(ts.isReturnStatement);
    return result === undefined ? {} : describe(result.expression, seen);
  }
  if (!ts.isPropertyAccessExpression(callee)) return {};
  const method = callee.name.text;
  if (ts.isIdentifier(callee.expression) && callee.expression.text === 'z') {
    switch (method) {
      case 'object':
      case 'strictObject':
      case 'looseObject':
        return { fields: fieldsOf(first, seen) };
      case 'discriminatedUnion':
        return { variants: variantsOf(second, seen) };
      case 'union':
        return { variants: variantsOf(first, seen) };
      case 'array':
        return { items: describe(first, seen) };
      case 'literal':
        return first !== undefined && ts.isStringLiteral(first) ? { literal: first.text } : {};
      default:
        return {};
    }
  }
  if (method === 'extend' || method === 'safeExtend') {
    const base = describe(callee.expression, seen);
    return { ...base, fields: new Map([...(base.fields ?? []), ...fieldsOf(first, seen)]) };
  }
  // A modifier (`.strict()`, `.default()`, `.optional()`, `.superRefine()`, …) of a schema.
  return describe(callee.expression, seen);
}

function fieldsOf(literal, seen) {
  const fields = new Map();
  if (literal === undefined) return fields;
  if (ts.isIdentifier(literal)) {
    const found = resolveName(literal.text, literal.getSourceFile());
    return found?.init === undefined ? fields : fieldsOf(found.init, seen);
  }
  if (!ts.isObjectLiteralExpression(literal)) return fields;
  for (const property of literal.properties) {
    if (ts.isSpreadAssignment(property)) {
      for (const [name, field] of fieldsOf(property.expression, seen)) fields.set(name, field);
    } else if (ts.isPropertyAssignment(property) && property.name !== undefined) {
      const name =
        ts.isIdentifier(property.name) || ts.isStringLiteral(property.name) ? property.name.text : undefined;
      if (name !== undefined) {
        fields.set(name, { doc: leadingDoc(property), node: describe(property.initializer, seen) });
      }
    } else if (ts.isShorthandPropertyAssignment(property)) {
      fields.set(property.name.text, { doc: leadingDoc(property), node: describe(property.name, seen) });
    }
  }
  return fields;
}

function variantsOf(array, seen) {
  if (array === undefined || !ts.isArrayLiteralExpression(array)) return [];
  return array.elements.map((element) => {
    const node = describe(element, seen);
    const doc = leadingDoc(element);
    return doc === undefined ? node : { ...node, doc };
  });
}

// ---------------------------------------------------------------------------------------------
// Rendering

const code = (text) => `\`${String(text)}\``;
const cell = (text) => text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
const isUnbounded = (n) => Math.abs(n) >= Number.MAX_SAFE_INTEGER;

function unionOf(json) {
  return json.anyOf ?? json.oneOf;
}

const isObject = (json) => json.type === 'object' && json.properties !== undefined;

/**
 * `json` with every `$ref` to its `$defs` replaced by the definition, so each field reads as a
 * whole. (`z.toJSONSchema` inlines reused schemas by default; this covers schemas registered with
 * an id.) A reference that comes back to itself is left as it is.
 */
function inlineRefs(json, defs = json.$defs ?? {}, open = new Set()) {
  if (Array.isArray(json)) return json.map((item) => inlineRefs(item, defs, open));
  if (typeof json !== 'object' || json === null) return json;
  const ref = typeof json.$ref === 'string' ? /^#\/\$defs\/(.+)$/.exec(json.$ref)?.[1] : undefined;
  if (ref !== undefined && defs[ref] !== undefined && !open.has(ref)) {
    const rest = { ...json };
    delete rest.$ref;
    return { ...inlineRefs(defs[ref], defs, new Set([...open, ref])), ...rest };
  }
  const out = {};
  for (const [key, value] of Object.entries(json)) {
    if (key !== '$defs') out[key] = inlineRefs(value, defs, open);
  }
  return out;
}

/** The value of the property that tells an object variant apart, e.g. `kind: csv`. */
function discriminator(json) {
  for (const [name, property] of Object.entries(json.properties ?? {})) {
    if (property.const !== undefined) return { name, value: property.const };
  }
  return undefined;
}

function typeOf(json) {
  if (json.const !== undefined) return code(json.const);
  if (json.enum !== undefined) return `one of ${json.enum.map(code).join(', ')}`;
  const union = unionOf(json);
  if (union !== undefined) {
    const objects = union.filter(isObject).length;
    const others = union.filter((variant) => !isObject(variant)).map(typeOf);
    if (objects > 0)
      others.push(objects === 1 ? 'object (below)' : `object in one of ${objects} forms (below)`);
    return others.join(', or ');
  }
  switch (json.type) {
    case 'array':
      return `list of ${json.items === undefined ? 'values' : typeOf(json.items)}`;
    case 'object':
      return json.properties === undefined ? 'object (any keys)' : 'object (below)';
    case undefined:
      return 'any';
    default:
      return json.type;
  }
}

function constraintsOf(json) {
  const union = unionOf(json);
  if (union !== undefined && !union.every(isObject)) {
    return union
      .map((variant) => {
        const own = constraintsOf(variant);
        return own === '' ? '' : `${variant.type ?? 'value'}: ${own}`;
      })
      .filter((text) => text !== '')
      .join('; ');
  }
  const parts = [];
  if (json.minLength === 1) parts.push('not empty');
  else if (json.minLength !== undefined) parts.push(`at least ${json.minLength} characters`);
  if (json.maxLength !== undefined) parts.push(`at most ${json.maxLength} characters`);
  if (json.minimum !== undefined && !isUnbounded(json.minimum)) parts.push(`≥ ${json.minimum}`);
  if (json.exclusiveMinimum !== undefined) parts.push(`> ${json.exclusiveMinimum}`);
  if (json.maximum !== undefined && !isUnbounded(json.maximum)) parts.push(`≤ ${json.maximum}`);
  if (json.exclusiveMaximum !== undefined) parts.push(`< ${json.exclusiveMaximum}`);
  if (json.pattern !== undefined) parts.push(`matches ${code(json.pattern)}`);
  if (json.minItems !== undefined)
    parts.push(`at least ${json.minItems} ${json.minItems === 1 ? 'item' : 'items'}`);
  if (json.maxItems !== undefined) parts.push(`at most ${json.maxItems} items`);
  if (json.type === 'array' && json.items !== undefined) {
    const items = constraintsOf(json.items);
    if (items !== '') parts.push(`each ${items}`);
  }
  return parts.join(', ');
}

function defaultOf(json) {
  if (json.default === undefined) return '';
  const text = json.default;
  return code(typeof text === 'string' && text !== '' ? text : JSON.stringify(text));
}

/** A field's description: the schema's own, else its TSDoc, else its type's. */
function descriptionOf(json, field) {
  return json.description ?? field?.doc ?? field?.node?.typeDoc ?? '';
}

/**
 * Pairs the variants of a JSON Schema union with those read from the source. Both keep the
 * order of the zod union; a variant whose discriminator disagrees gets no description.
 */
function pairVariants(union, node) {
  const docs = node?.variants ?? [];
  return union.map((json, i) => {
    const doc = docs.length === union.length ? docs[i] : undefined;
    const tag = isObject(json) ? discriminator(json) : undefined;
    const literal = tag === undefined ? undefined : doc?.fields?.get(tag.name)?.node?.literal;
    return { json, node: literal === undefined || literal === tag.value ? doc : undefined };
  });
}

/**
 * Renders one object level as a table, then its nested objects, arrays of objects and unions of
 * objects as sections of their own, depth first.
 */
function renderObject(path, json, node, intro, out) {
  out.push(`### ${code(path)}`, '');
  for (const paragraph of intro) out.push(paragraph, '');
  const required = new Set(json.required ?? []);
  const rows = [
    '| field | type | required | default | constraints | description |',
    '|---|---|---|---|---|---|',
  ];
  const nested = [];
  for (const [name, property] of Object.entries(json.properties)) {
    const field = node?.fields?.get(name);
    rows.push(
      `| ${code(name)} | ${cell(typeOf(property))} | ${required.has(name) ? 'yes' : 'no'} | ${defaultOf(property)} | ` +
        `${cell(constraintsOf(property))} | ${cell(descriptionOf(property, field))} |`,
    );
    nested.push({ name, property, field });
  }
  out.push(...rows, '');
  for (const { name, property, field } of nested) renderNested(`${path}.${name}`, property, field?.node, out);
}

function renderNested(path, json, node, out) {
  const typeDoc = node?.typeDoc === undefined ? [] : [node.typeDoc];
  if (isObject(json)) {
    renderObject(path, json, node, typeDoc, out);
    return;
  }
  if (json.type === 'array' && json.items !== undefined && isObject(json.items)) {
    renderObject(
      `${path}[]`,
      json.items,
      node?.items,
      node?.items?.typeDoc === undefined ? [] : [node.items.typeDoc],
      out,
    );
    return;
  }
  const union = unionOf(json);
  if (union === undefined || !union.some(isObject)) return;
  const forms = pairVariants(union, node)
    .filter(({ json: variant }) => isObject(variant))
    .map(({ json: variant, node: variantNode }) => {
      const tag = discriminator(variant);
      return {
        label: tag === undefined ? path : `${path} (${tag.name}: ${tag.value})`,
        variant,
        variantNode,
      };
    });
  out.push(`### ${code(path)}`, '');
  for (const paragraph of typeDoc) out.push(paragraph, '');
  out.push(`Each object form has its own section: ${forms.map(({ label }) => code(label)).join(', ')}.`, '');
  for (const { label, variant, variantNode } of forms) {
    renderObject(label, variant, variantNode, variantNode?.doc === undefined ? [] : [variantNode.doc], out);
  }
}

/** The reference as Markdown. */
export function renderReference() {
  const out = [
    '# Configuration reference',
    '',
    '<!-- Generated by scripts/gen-config-reference.mjs from the zod schemas; do not edit by hand.',
    '     Regenerate with `npm run docs:config`; test/docs.test.ts fails when this file is stale. -->',
    '',
    'Every configuration file Silo reads, field by field. Each is YAML or JSON, validated when it is read:',
    'an unknown field, a wrong type or a value outside its constraints stops the command with',
    '`ERR_BAD_CONFIG` naming the field.',
    '',
    'This page is generated from the schemas the code validates with (`coordinatorConfigSchema` and',
    '`runConfigSchema` of `@silo/coordinator`, `workerConfigSchema` of `@silo/worker`), so it says what the',
    'code accepts. Types, defaults and constraints come from `z.toJSONSchema()`; descriptions are the',
    'comments on each field in the TypeScript source. **required** means the field has no default and must',
    'be written; a few rules span several fields (for example `tls` unless `insecure: true`) and are stated',
    'in the descriptions. Nested objects follow their parent as sections named by their path; a field',
    'that takes one of several object forms has a section per form, named by the field that tells them',
    'apart.',
    '',
    'Guides: [data owners](data-owner.md), [model teams](model-team.md), [auditors](auditor.md).',
    '',
  ];
  for (const file of FILES) {
    const json = inlineRefs(z.toJSONSchema(file.schema, { io: 'input', unrepresentable: 'any' }));
    const found = declarations(sourceFile(join(ROOT, file.source))).get(file.constant);
    if (found?.init === undefined) throw new Error(`${file.constant} not found in ${file.source}`);
    const node = describe(found.init);
    out.push(`## ${file.title}`, '');
    out.push(
      `Read by \`${file.command}\`; an example is [\`${file.example}\`](${relative(join(ROOT, 'docs'), join(ROOT, file.example))}).` +
        (found.doc === undefined ? '' : ` ${found.doc}`),
      '',
    );
    renderObject(file.root, json, node, [], out);
  }
  return `${out.join('\n').trimEnd()}\n`;
}

function main(args) {
  const text = renderReference();
  if (args.includes('--stdout')) {
    process.stdout.write(text);
    return;
  }
  if (args.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(OUTPUT, 'utf8');
    } catch {
      // A missing file is stale too.
    }
    if (current !== text) {
      process.stderr.write(`${relative(ROOT, OUTPUT)} is stale: run npm run docs:config\n`);
      process.exitCode = 1;
    }
    return;
  }
  writeFileSync(OUTPUT, text);
  process.stdout.write(`wrote ${relative(ROOT, OUTPUT)}\n`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2));
}
