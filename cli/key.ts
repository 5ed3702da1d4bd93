/** `colonies key generate`: a new Ed25519 identity (private key and id). */
import type { Command } from 'commander';
import { generateKeyPair } from '../protocol/crypto.ts';
import { examples } from './context.ts';
import { print, printJson } from './output.ts';

export function registerKey(program: Command): void {
  const key = program.command('key').description('private keys and ids (an id is the public key)');
  examples(
    key
      .command('generate')
      .description('generate a new private key and print it with its id')
      .option('--json', 'print {"prvkey", "id"}')
      .action((o: { json?: boolean }) => {
        const kp = generateKeyPair();
        if (o.json) printJson(kp);
        else {
          print(`prvkey  ${kp.prvkey}`);
          print(`id      ${kp.id}`);
        }
      }),
    [
      'colonies key generate',
      'export COLONIES_SERVER_PRVKEY=$(colonies key generate --json | jq -r .prvkey)',
      'colonies colony add --name demo --colonyid <id printed by key generate>',
    ],
  );
}
