/**
 * The signed-in identity. The private key stays in this tab: it is kept in sessionStorage (gone when
 * the tab closes, never sent anywhere) and used only to sign requests in the page. Nothing of it goes
 * into a URL, a cookie or a request other than as a signature.
 */
import { isPrivateKey } from './crypto.ts';

const STORAGE_KEY = 'colonies.session';

export interface Session {
  prvkey: string;
  colonyname: string;
}

export function loadSession(): Session | undefined {
  try {
    const raw = sessionStorage.getItem(STORAGE_KEY);
    if (!raw) return undefined;
    const s = JSON.parse(raw) as Partial<Session>;
    if (typeof s.prvkey === 'string' && isPrivateKey(s.prvkey) && typeof s.colonyname === 'string' && s.colonyname) {
      return { prvkey: s.prvkey, colonyname: s.colonyname };
    }
  } catch {
    /* storage disabled or garbled: sign in again */
  }
  return undefined;
}

export function saveSession(s: Session): void {
  try {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(s));
  } catch {
    /* storage disabled: the session lives in memory until reload */
  }
}

export function clearSession(): void {
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    /* nothing stored */
  }
}

/**
 * Reads a key from what the user pasted or loaded: a bare 64-hex key, the JSON of
 * `colonies key generate --json` ({"prvkey": …}), or an env file such as .colonies/dev.env
 * (COLONIES_PRVKEY, and COLONIES_COLONY_NAME for the colony).
 */
export function parseKeyText(text: string): { prvkey?: string; colonyname?: string } {
  const trimmed = text.trim();
  if (isPrivateKey(trimmed.toLowerCase())) return { prvkey: trimmed.toLowerCase() };
  if (trimmed.startsWith('{')) {
    try {
      const j = JSON.parse(trimmed) as { prvkey?: unknown; colonyname?: unknown };
      return {
        ...(typeof j.prvkey === 'string' ? { prvkey: j.prvkey.trim().toLowerCase() } : {}),
        ...(typeof j.colonyname === 'string' ? { colonyname: j.colonyname } : {}),
      };
    } catch {
      return {};
    }
  }
  const env: Record<string, string> = {};
  for (const line of trimmed.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m) env[m[1]!] = m[2]!.trim().replace(/^(['"])(.*)\1$/, '$2');
  }
  const prvkey = env.COLONIES_PRVKEY;
  return {
    ...(prvkey ? { prvkey: prvkey.toLowerCase() } : {}),
    ...(env.COLONIES_COLONY_NAME ? { colonyname: env.COLONIES_COLONY_NAME } : {}),
  };
}
