/** Cleanup actions (drop a database, remove a directory, kill children), run last-in first-out exactly once. */
const actions: { name: string; run: () => Promise<void> }[] = [];

/** Registers an action; the returned function runs it now (and unregisters it). */
export function onCleanup(name: string, run: () => Promise<void>): () => Promise<void> {
  const a = { name, run };
  actions.push(a);
  return async () => {
    const i = actions.indexOf(a);
    if (i < 0) return;
    actions.splice(i, 1);
    await a.run();
  };
}

export async function runCleanup(log: (msg: string) => void): Promise<void> {
  while (actions.length > 0) {
    const a = actions.pop()!;
    try {
      await a.run();
    } catch (err) {
      log(`cleanup "${a.name}" failed: ${(err as Error).message}`);
    }
  }
}
