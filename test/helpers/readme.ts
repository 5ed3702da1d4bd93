/** The README's code blocks, so that tests run them as written rather than a copy that drifts. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const README = fileURLToPath(new URL('../../README.md', import.meta.url));

/** The one fenced block of `lang` in README.md whose text contains `marker`; throws when there is not exactly one. */
export function readmeBlock(lang: string, marker: string): string {
  const text = readFileSync(README, 'utf8');
  const blocks = [...text.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].filter((m) => m[1] === lang && m[2]!.includes(marker)).map((m) => m[2]!);
  if (blocks.length !== 1) throw new Error(`README.md has ${blocks.length} \`${lang}\` blocks containing "${marker}", not one`);
  return blocks[0]!;
}
