// TypeScript at run time, for what loads it: the CLI's own sources when its bundle is stale
// (bin/colonies.mjs), the server's modules (`colonies dev`, `server start`) and a functions module
// (`executor start --functions x.ts`); the other commands run from the bundle without it. JavaScript, so
// that bin/colonies.mjs can load it before TypeScript can be. Both of tsx's hooks, as `node --import
// tsx` has them: a .ts or .js module outside a "type": "module" package (a functions module in any
// folder) is CommonJS to Node and goes through require(), which reads TypeScript or `export` only with
// tsx's CommonJS hook (without it: "Cannot require() ES Module … in a cycle").
let loaded = false;

export async function loadTypeScript() {
  if (loaded) return;
  const [{ register: registerCommonJs }, { register }] = await Promise.all([import('tsx/cjs/api'), import('tsx/esm/api')]);
  registerCommonJs();
  register();
  loaded = true;
}
