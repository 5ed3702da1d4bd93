/** Workflow actions: cancel and remove, each behind a confirmation; halt and resume (each undoes the other). */
import { confirmDialog, h, toast } from '../dom.ts';
import type { Ctx } from '../context.ts';
import { FINISHED_STATES } from '../../../protocol/states.ts';
import type { ProcessGraph } from '../../../protocol/types.ts';
import { plural, shortId } from '../format.ts';

export function canCancel(g: Pick<ProcessGraph, 'state'>): boolean {
  return !FINISHED_STATES.includes(g.state);
}

export async function cancelWorkflow(ctx: Ctx, g: ProcessGraph): Promise<boolean> {
  const ok = await confirmDialog({
    title: `Cancel workflow ${shortId(g.processgraphid)}?`,
    message: h(
      'p',
      null,
      `${plural(g.processcount - g.successcount, 'unfinished process', 'unfinished processes')} will be cancelled and nothing more of it will run. `,
      'Processes running right now may still finish. This cannot be undone.',
    ),
    confirm: 'Cancel workflow',
    danger: true,
  });
  if (!ok) return false;
  try {
    await ctx.api.cancelGraph(g.processgraphid);
    toast(`Workflow ${shortId(g.processgraphid)} cancelled.`);
    return true;
  } catch (err) {
    toast(`Could not cancel: ${(err as Error).message}`, 'error');
    return false;
  }
}

/** Halts a workflow that is going, or resumes a halted one; the page follows the change live. */
export async function haltOrResume(ctx: Ctx, g: ProcessGraph): Promise<boolean> {
  const halting = g.state !== 'HALTED';
  try {
    await (halting ? ctx.api.haltGraph(g.processgraphid) : ctx.api.resumeGraph(g.processgraphid));
    toast(`Workflow ${shortId(g.processgraphid)} ${halting ? 'halted' : 'resumed'}.`);
    return true;
  } catch (err) {
    toast(`Could not ${halting ? 'halt' : 'resume'}: ${(err as Error).message}`, 'error');
    return false;
  }
}

export async function removeWorkflow(ctx: Ctx, g: ProcessGraph): Promise<boolean> {
  const running = g.state === 'RUNNING' || g.state === 'HALTED';
  const ok = await confirmDialog({
    title: `Remove workflow ${shortId(g.processgraphid)}?`,
    message: h(
      'p',
      null,
      `The workflow and its ${plural(g.processcount, 'process', 'processes')}, with their inputs, outputs and logs, will be deleted. `,
      running ? h('strong', null, 'It is running: it will be cancelled first. ') : null,
      'This cannot be undone.',
    ),
    confirm: 'Remove workflow',
    danger: true,
  });
  if (!ok) return false;
  try {
    await ctx.api.removeGraph(g.processgraphid, running);
    toast(`Workflow ${shortId(g.processgraphid)} removed.`);
    return true;
  } catch (err) {
    toast(`Could not remove: ${(err as Error).message}`, 'error');
    return false;
  }
}
