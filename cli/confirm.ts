/** Confirmation of bulk removals: asked on a terminal unless --yes; refused without --yes when stdin is not a terminal. */
import { createInterface } from 'node:readline/promises';
import { CliError, EXIT } from './errors.ts';

export async function confirm(question: string, yes: boolean | undefined): Promise<void> {
  if (yes) return;
  if (!process.stdin.isTTY) {
    throw new CliError('CONFIRMATION_REQUIRED', `${question}: stdin is not a terminal, pass --yes to confirm`, EXIT.usage);
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = (await rl.question(`${question} [y/N] `)).trim().toLowerCase();
    if (answer !== 'y' && answer !== 'yes') throw new CliError('ABORTED', 'nothing removed', EXIT.failed);
  } finally {
    rl.close();
  }
}
