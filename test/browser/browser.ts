/**
 * Browser tests' helpers: Debian's Chromium (/usr/bin/chromium, installed by .ci/ensure-chromium)
 * driven by playwright-core, a fresh dashboard build, and screenshots under test-artifacts/.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

const root = fileURLToPath(new URL('../../', import.meta.url));
export const CHROMIUM = process.env.COLONIES_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOTS = join(root, 'test-artifacts', 'screenshots');

// The flags this machine needs: no sandbox as root, and no background calls to Google's hosts.
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The browser, or the reason it cannot start (the tests are then skipped with that reason). */
export async function launch(): Promise<Browser | string> {
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (run: bash .ci/ensure-chromium)`;
  try {
    return await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, timeout: 30_000 });
  } catch (err) {
    return `Chromium did not start: ${(err as Error).message.split('\n')[0]}`;
  }
}

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Builds the dashboard when dashboard/dist is missing or older than its sources. */
export function ensureBuilt(): void {
  const index = join(root, 'dashboard', 'dist', 'index.html');
  const sources = Math.max(
    newest(join(root, 'dashboard', 'src')),
    newest(join(root, 'protocol')),
    statSync(join(root, 'dashboard', 'index.html')).mtimeMs,
    statSync(join(root, 'dashboard', 'build.mjs')).mtimeMs,
  );
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  const r = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm run build failed:\n${r.stdout}\n${r.stderr}`);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: false });
}

export interface Gate {
  wait: Promise<void>;
  open(): void;
}

/** A promise the test resolves when it wants a served function to go on. */
export function gate(): Gate {
  let open!: () => void;
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}
