// Entry of the embedded store's thread (pglite-thread.ts): a worker thread loads TypeScript through
// tsx like the rest of the server, whichever way the main thread was started.
import { register } from 'tsx/esm/api';

register();
await import('./pglite-thread.ts');
