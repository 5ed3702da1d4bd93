/**
 * The Colonies server under test, in its own process so that its CPU time and memory are its own.
 * Configured like a real deployment, from COLONIES_* environment variables (loadServerConfig).
 * Commands: mark (CPU and statements sent to PostgreSQL so far), stats (the same, and peak RSS since the process started), analyze and vacuum (the store),
 * profile-start / profile-stop {file} (V8 CPU profile of just that window, see child-side.ts), exit.
 */
import { createColoniesServer } from '../server/main.ts';
import { loadServerConfig } from '../server/config.ts';
import { fatal, ready, serveParent } from './child-side.ts';
import { installPgCounter } from './pg-count.ts';

try {
  const pgStatements = installPgCounter();
  const config = loadServerConfig(process.env);
  const server = await createColoniesServer(config);
  const url = await server.listen();

  // Peak RSS as the kernel tracks it (free to read; no sampling in the process under test).
  const peakRss = () => process.resourceUsage().maxRSS * 1024;
  // API requests served so far: the sum of the server's own request counter (GET /metrics).
  const httpRequests = async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    let n = 0;
    for (const m of text.matchAll(/^colonies_http_requests_total\{[^}]*\} (\d+)$/gm)) n += Number(m[1]);
    return n;
  };

  serveParent(
    {
      mark: async () => ({ cpu: process.cpuUsage(), pgStatements: pgStatements(), httpRequests: await httpRequests() }),
      stats: async () => ({ cpu: process.cpuUsage(), peakRss: peakRss(), pgStatements: pgStatements(), httpRequests: await httpRequests() }),
      // The embedded store is reachable only from here (the bench vacuums and analyzes PostgreSQL databases itself).
      analyze: async () => {
        await server.db.query('ANALYZE');
        return true;
      },
      vacuum: async () => {
        await server.db.query('VACUUM (ANALYZE)');
        return true;
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
