import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const docs = join(root, 'docs');
const guides = readdirSync(docs)
  .filter((name) => name.endsWith('.md'))
  .sort();

const withoutCodeBlocks = (markdown: string): string =>
  markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');

/** Link targets of a Markdown text outside code, except URLs with a scheme (`https:`, `mailto:`). */
function localLinks(markdown: string): string[] {
  const prose = withoutCodeBlocks(markdown).replace(/`[^`\n]*`/g, '');
  const targets = [...prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!);
  return targets.filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

/** The anchors GitHub gives the headings of a Markdown text (`## A: b` → `a-b`). */
function headingAnchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const [, text] of withoutCodeBlocks(markdown).matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const slug = text!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** The links of `docs/<name>` to files or headings that do not exist. */
function brokenLinks(name: string): string[] {
  const from = join(docs, name);
  return localLinks(readFileSync(from, 'utf8')).filter((target) => {
    const [pathPart = '', fragment] = target.split('#', 2);
    const path =
      pathPart === '' ? from : resolve(dirname(from), decodeURIComponent(pathPart.replace(/\?.*$/, '')));
    if (!existsSync(path)) return true;
    if (fragment === undefined || !path.endsWith('.md')) return false;
    return !headingAnchors(readFileSync(path, 'utf8')).has(decodeURIComponent(fragment));
  });
}

describe('docs/', () => {
  it('configuration.md is what scripts/gen-config-reference.mjs generates from the schemas', async () => {
    // The script imports the built packages, exactly as `npm run docs:config` does.
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(root, 'scripts/gen-config-reference.mjs'), '--stdout'],
      { cwd: root, maxBuffer: 16 * 1024 * 1024 },
    );
    const committed = readFileSync(join(docs, 'configuration.md'), 'utf8');
    // Line by line, so a stale file fails with a readable diff.
    expect(committed.split('\n'), 'docs/configuration.md is stale: run `npm run docs:config`').toEqual(
      stdout.split('\n'),
    );
  });

  it.each(guides)('%s links only to files and headings that exist', (name) => {
    expect(brokenLinks(name)).toEqual([]);
  });

  it('README.md indexes every guide', () => {
    const linked = new Set(
      localLinks(readFileSync(join(docs, 'README.md'), 'utf8')).map((t) => t.replace(/[?#].*$/, '')),
    );
    expect(guides.filter((name) => name !== 'README.md' && !linked.has(name))).toEqual([]);
  });

  it('the link check sees links outside code, and anchors as GitHub makes them', () => {
    const text = [
      '## Getting a copy: `silo audit fetch`',
      'See [a](a.md) and [b](./b.md#x "title"), [web](https://example.org), [up](#top).',
      '`[c](c.md)`',
      '```sh',
      '# not a heading',
      'echo [d](d.md)',
      '```',
      '## Getting a copy: `silo audit fetch`',
    ].join('\n');
    expect(localLinks(text)).toEqual(['a.md', './b.md#x', '#top']);
    expect([...headingAnchors(text)]).toEqual([
      'getting-a-copy-silo-audit-fetch',
      'getting-a-copy-silo-audit-fetch-1',
    ]);
  });
});
