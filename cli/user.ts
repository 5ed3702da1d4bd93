/** `colonies user add | ls | remove`: the members who submit and inspect work (added by the colony owner). */
import type { Command } from 'commander';
import { clientFor, examples, withConnection, type ConnectionFlags } from './context.ts';
import { note, print, printJson, renderTable } from './output.ts';

type Flags = ConnectionFlags & { json?: boolean };

export function registerUser(program: Command): void {
  const user = program.command('user').description("a colony's users (added and removed by the colony owner)");

  examples(
    withConnection(
      user
        .command('add')
        .description('add a user to the colony (colony owner)')
        .requiredOption('--name <name>', 'user name')
        .requiredOption('--userid <id>', "the user's id (from colonies key generate)")
        .option('--json', 'print the added user as JSON'),
      'owner',
    ).action(async (o: Flags & { name: string; userid: string }) => {
      const u = await clientFor(o, 'owner').addUser(o.name, o.userid);
      if (o.json) printJson(u);
      else print(`User ${u.username} added to colony ${u.colonyname}`);
    }),
    ['colonies key generate', 'colonies user add --name alice --userid 9b1c…'],
  );

  examples(
    withConnection(user.command('ls').description("list the colony's users").option('--json', 'print the raw API objects'), 'member').action(
      async (o: Flags) => {
        const list = await clientFor(o, 'member').listUsers();
        if (o.json) printJson(list);
        else if (list.length === 0) note('No users found');
        else
          print(
            renderTable(
              ['USERNAME', 'USER ID'],
              list.map((u) => [u.username, u.userid]),
            ),
          );
      },
    ),
    ['colonies user ls', 'colonies user ls --json'],
  );

  examples(
    withConnection(user.command('remove').description('remove a user (colony owner)').requiredOption('--name <name>', 'user name'), 'owner').action(
      async (o: Flags & { name: string }) => {
        await clientFor(o, 'owner').removeUser(o.name);
        print(`User ${o.name} removed`);
      },
    ),
    ['colonies user remove --name alice'],
  );
}
