import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** README.md and every docs/*.md: the documentation a clone carries. */
function docFiles(): string[] {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => join(ROOT, 'docs', name));
  return [join(ROOT, 'README.md'), ...docs];
}

/** Markdown links and images, `[text](target)` / `![alt](target "title")`, outside code. */
function linksOf(markdown: string): string[] {
  const prose = markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  const links: string[] = [];
  for (const match of prose.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) links.push(match[1] ?? '');
  for (const match of prose.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/gm)) links.push(match[1] ?? '');
  return links;
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to dashes. */
function anchorsOf(markdown: string): Set<string> {
  const prose = markdown.replace(/```[\s\S]*?```/g, '');
  const anchors = new Set<string>();
  for (const match of prose.matchAll(/^#{1,6}\s+(.+?)\s*$/gm)) {
    const slug = (match[1] ?? '')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    anchors.add(slug);
  }
  return anchors;
}

/** What is wrong with one link of `file`, or undefined when it resolves inside the repository. */
function problemOf(file: string, link: string, read = (p: string) => readFileSync(p, 'utf8')): string | undefined {
  if (/^(https?:|mailto:)/i.test(link)) return undefined;
  if (/^[a-z][a-z0-9+.-]*:/i.test(link)) return `scheme not allowed: ${link}`;
  const [pathPart = '', anchor] = link.split('#', 2);
  const target = pathPart === '' ? file : resolve(dirname(file), decodeURIComponent(pathPart));
  const inside = relative(ROOT, target);
  if (inside.startsWith('..') || resolve(ROOT, inside) !== target) return `leaves the repository: ${link}`;
  if (!existsSync(target)) return `no such file: ${link}`;
  if (anchor !== undefined && anchor !== '' && statSync(target).isFile() && target.endsWith('.md')) {
    if (!anchorsOf(read(target)).has(anchor)) return `no heading #${anchor} in ${relative(ROOT, target)}`;
  }
  return undefined;
}

describe('docs: links', () => {
  it('README.md and docs/*.md link only to files (and headings) inside the repository', () => {
    const problems: string[] = [];
    let count = 0;
    for (const file of docFiles()) {
      for (const link of linksOf(readFileSync(file, 'utf8'))) {
        count++;
        const problem = problemOf(file, link);
        if (problem !== undefined) problems.push(`${relative(ROOT, file)}: ${problem}`);
      }
    }
    expect(problems).toEqual([]);
    expect(count).toBeGreaterThan(20);
  });

  it('finds links and images, and refuses ../ out of the repository, missing files and anchors', () => {
    expect(linksOf('a [x](docs/a.md#b) ![i](images/p.png "t") `[no](c.md)`\n[ref]: ../out.md\n')).toEqual([
      'docs/a.md#b',
      'images/p.png',
      '../out.md',
    ]);
    const readme = join(ROOT, 'README.md');
    expect(problemOf(readme, 'docs/layout.md')).toBeUndefined();
    expect(problemOf(readme, 'https://example.org/x')).toBeUndefined();
    expect(problemOf(readme, '../shared/datasets/README.md')).toMatch(/leaves the repository/);
    expect(problemOf(join(ROOT, 'docs', 'layout.md'), '../../x.md')).toMatch(/leaves the repository/);
    expect(problemOf(readme, 'docs/nope.md')).toMatch(/no such file/);
    expect(problemOf(readme, '#no-such-heading', () => '# Pulse\n')).toMatch(/no heading/);
    expect(problemOf(readme, 'file:///etc/passwd')).toMatch(/scheme/);
  });
});
