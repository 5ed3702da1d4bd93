/** Registers tsx's hooks once, so that TypeScript modules load from here on (cli/typescript.mjs). */
export function loadTypeScript(): Promise<void>;
