/** The routes an express app really serves, as "METHOD /path" (walks the router, including sub-routers). */
import type { Express } from 'express';

type Layer = { rawPath?: string; route?: { path: string; methods: Record<string, boolean> }; handle: { stack?: Layer[] } };

export function appRoutes(app: Express): Set<string> {
  const found = new Set<string>();
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      const base = prefix + (layer.rawPath && layer.rawPath !== '/' ? layer.rawPath : '');
      if (layer.route) {
        for (const [m, on] of Object.entries(layer.route.methods))
          if (on && m !== '_all') found.add(`${m.toUpperCase()} ${prefix}${layer.route.path}`);
      } else if (layer.handle.stack) walk(layer.handle.stack, base);
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return found;
}
