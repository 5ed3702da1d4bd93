/**
 * The Colonies server under test, in its own process so that its CPU time and memory are its own.
 * Configured like a real deployment, from COLONIES_* environment variables (loadServerConfig).
 * Commands: mark (CPU snapshot), stats (CPU, and peak RSS since the process started),
 * profile-start / profile-stop {file} (V8 CPU profile of just that window), exit.
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { createColoniesServer } from '../server/main.ts';
import { loadServerConfig } from '../server/config.ts';
import { fatal, ready, serveParent } from './child-side.ts';

try {
  const config = loadServerConfig(process.env);
  const server = await createColoniesServer(config);
  const url = await server.listen();

  // Peak RSS as the kernel tracks it (free to read; no sampling in the process under test).
  const peakRss = () => process.resourceUsage().maxRSS * 1024;
  let session: Session | undefined;

  serveParent(
    {
      mark: () => process.cpuUsage(),
      stats: () => ({ cpu: process.cpuUsage(), peakRss: peakRss() }),
      'profile-start': async () => {
        session = new Session();
        session.connect();
        await session.post('Profiler.enable');
        await session.post('Profiler.setSamplingInterval', { interval: 200 });
        await session.post('Profiler.start');
      },
      'profile-stop': async (data) => {
        if (!session) throw new Error('no profile running');
        const { profile } = await session.post('Profiler.stop');
        session.disconnect();
        session = undefined;
        await writeFile((data as { file: string }).file, JSON.stringify(profile));
      },
    },
    async () => {
      await server.close();
    },
  );
  ready({ url });
} catch (err) {
  fatal(err);
}
