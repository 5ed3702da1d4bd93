/** Pure checks of a workflow's graph, run before anything is written. */

export interface DagNode {
  nodename: string;
  dependencies: readonly string[];
}

export type DagProblem =
  | { code: 'DUPLICATE_NODENAME'; message: string; details: { nodename: string } }
  | { code: 'UNKNOWN_DEPENDENCY'; message: string; details: { nodename: string; dependency: string } }
  | { code: 'DEPENDENCY_CYCLE'; message: string; details: { cycle: string[] } };

/** Returns the first problem found, or null when the nodes form a valid DAG. O(nodes + edges). */
export function checkDag(nodes: readonly DagNode[]): DagProblem | null {
  const byName = new Map<string, DagNode>();
  for (const n of nodes) {
    if (byName.has(n.nodename)) {
      return {
        code: 'DUPLICATE_NODENAME',
        message: `nodename "${n.nodename}" is used by more than one function spec`,
        details: { nodename: n.nodename },
      };
    }
    byName.set(n.nodename, n);
  }
  for (const n of nodes) {
    for (const d of n.dependencies) {
      if (!byName.has(d)) {
        return {
          code: 'UNKNOWN_DEPENDENCY',
          message: `"${n.nodename}" depends on "${d}", which is not a nodename of this workflow`,
          details: { nodename: n.nodename, dependency: d },
        };
      }
    }
  }
  const cycle = findCycle(nodes, byName);
  if (cycle) {
    return { code: 'DEPENDENCY_CYCLE', message: `dependency cycle: ${cycle.join(' -> ')}`, details: { cycle } };
  }
  return null;
}

/** Iterative DFS (deep chains must not overflow the stack); returns the cycle as a closed path a → … → a. */
function findCycle(nodes: readonly DagNode[], byName: Map<string, DagNode>): string[] | null {
  const state = new Map<string, 1 | 2>(); // 1 = on the current path, 2 = done
  for (const start of nodes) {
    if (state.has(start.nodename)) continue;
    const path: string[] = [];
    const stack: { name: string; next: number }[] = [{ name: start.nodename, next: 0 }];
    state.set(start.nodename, 1);
    path.push(start.nodename);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const deps = byName.get(top.name)!.dependencies;
      if (top.next < deps.length) {
        const dep = deps[top.next++]!;
        const s = state.get(dep);
        if (s === 1) {
          // dependencies point child → parent; report the cycle in data-flow order (parent first).
          const cyc = path.slice(path.indexOf(dep));
          return [...cyc.reverse(), cyc[0]!];
        }
        if (s === undefined) {
          state.set(dep, 1);
          path.push(dep);
          stack.push({ name: dep, next: 0 });
        }
      } else {
        state.set(top.name, 2);
        path.pop();
        stack.pop();
      }
    }
  }
  return null;
}
