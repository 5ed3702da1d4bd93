/** The README's code blocks, so that tests run them as written rather than a copy that drifts. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const README = fileURLToPath(new URL('../../README.md', import.meta.url));

/** A fenced block of README.md: its language, the `## ` section it is in, and where its text starts. */
export interface ReadmeBlock {
  lang: string;
  /** The title of the last `## ` heading above it ('' before the first). */
  section: string;
  /** The README's line number (1-based) of the block's first line of text, after the opening fence. */
  line: number;
  /** The text between the fences, each line ending with a newline. */
  text: string;
}

/** Every fenced block of README.md in order, or those whose language is one of `langs`. */
export function readmeBlocks(langs?: string[]): ReadmeBlock[] {
  const blocks: ReadmeBlock[] = [];
  let section = '';
  let open: ReadmeBlock | undefined;
  readFileSync(README, 'utf8')
    .split('\n')
    .forEach((l, i) => {
      if (open) {
        if (l === '```') {
          blocks.push(open);
          open = undefined;
        } else open.text += l + '\n';
      } else if (l.startsWith('```')) open = { lang: l.slice(3).trim(), section, line: i + 2, text: '' };
      else if (l.startsWith('## ')) section = l.slice(3).trim();
    });
  if (open) throw new Error(`README.md: the block at line ${open.line - 1} is not closed`);
  return langs ? blocks.filter((b) => langs.includes(b.lang)) : blocks;
}

/** The one fenced block of `lang` in README.md whose text contains `marker`; throws when there is not exactly one. */
export function readmeBlock(lang: string, marker: string): string {
  const blocks = readmeBlocks([lang]).filter((b) => b.text.includes(marker));
  if (blocks.length !== 1) throw new Error(`README.md has ${blocks.length} \`${lang}\` blocks containing "${marker}", not one`);
  return blocks[0]!.text;
}
