/**
 * An order, with control flow: wait for the payment event (a handler cancels the order when it does not
 * come in time), a user's approval only for large orders (a branch on the amount), a cooling-off sleep,
 * one packing process per item (a fan-out over the order's items) and the shipment of them all.
 *   npx tsx examples/order.ts [amount]
 * Needs the example executor (examples/executor.ts) and a server whose deadline loop runs (any real one).
 */
import type { ColoniesClient } from '../executor/client.ts';
import { eventNode, funcSpec, sleepNode, userTask, Workflow } from '../executor/workflow.ts';
import type { ProcessGraphWithProcesses } from '../protocol/types.ts';
import { isMain, main, node, TS_EXECUTOR, type ExampleResult, type RunOptions } from './common.ts';
import { cancel_order, pack_item, ship_order, type Order } from './functions.ts';

/** Orders above this amount wait for a user's approval. */
export const APPROVAL_ABOVE = 100;

/** `paymentWaitSeconds`: how long the run waits for the payment before the handler cancels the order. */
export function workflow(colonyname?: string, paymentWaitSeconds = 600): Workflow {
  const wf = new Workflow(colonyname);
  wf.variable('order', { type: 'json', required: true, description: '{id, amount, items: [...]}' });
  // Waits for `payment-received`, posted to the run by the payment service; 10 minutes at most.
  wf.add(eventNode({ nodename: 'wait-payment', event: 'payment-received', maxwaittime: paymentWaitSeconds }));
  // The failure handler: runs only when the payment did not come (the wait timed out).
  wf.add(
    funcSpec({
      func: cancel_order,
      args: [{ $var: 'order', path: '$.id' }],
      executortype: TS_EXECUTOR,
      dependencies: ['wait-payment'],
      trigger: 'one_failed',
    }),
  );
  // The branch: a large order waits for a user's approval; a small one skips it.
  wf.add(
    userTask({
      nodename: 'approve',
      dependencies: ['wait-payment'],
      when: `vars.order.amount > ${APPROVAL_ABOVE}`,
      form: { type: 'object', required: ['approved'], properties: { approved: { type: 'boolean' }, note: { type: 'string' } } },
    }),
  );
  // A join after the branch: runs when approve succeeded or was skipped, not when it failed.
  wf.add(sleepNode({ nodename: 'cool-off', seconds: 1, dependencies: ['approve'], trigger: 'none_failed' }));
  // The fan-out: one pack_item per item of the order; ship_order gets all their outputs in order.
  wf.add(funcSpec({ func: pack_item, executortype: TS_EXECUTOR, dependencies: ['cool-off'], expand: { $var: 'order', path: '$.items' } }));
  wf.add(funcSpec({ func: ship_order, args: [{ $var: 'order', path: '$.id' }], executortype: TS_EXECUTOR, dependencies: ['pack_item'] }));
  return wf;
}

export const sampleOrder = (amount: number): Order => ({ id: 'order-1234', amount, items: ['book', 'lamp', 'mug'] });

export interface OrderOptions extends RunOptions {
  amount?: number;
  /** Post no payment: the wait times out after `paymentWaitSeconds`, and the handler cancels the order. */
  unpaid?: boolean;
  paymentWaitSeconds?: number;
}

/** Starts the run, pays for it, approves it when it asks, and waits for it to finish. */
export async function run(client: ColoniesClient, o: OrderOptions = {}): Promise<ExampleResult<unknown>> {
  const say = o.say ?? console.log;
  const order = sampleOrder(o.amount ?? 250);
  // Registered once (an identical spec registers as the same version), then run by name with the order.
  const spec = await client.registerWorkflowSpec('order', workflow(undefined, o.paymentWaitSeconds));
  const g = await client.runWorkflow('order', { order }, { name: order.id });
  say(`Workflow started: order version ${spec.version}, run ${g.processgraphid}`);
  if (!o.unpaid) {
    const event = await client.postEvent(g.processgraphid, 'payment-received', { paid: order.amount });
    say(`Payment posted: ${event.consumedby ? 'consumed' : 'kept until the run reaches it'}`);
  }
  const deadline = Date.now() + (o.timeoutMs ?? 60_000);
  let approved = false;
  for (;;) {
    const now = await client.getProcessGraph(g.processgraphid);
    if (!['WAITING', 'RUNNING'].includes(now.state)) return finish(now);
    const task = approved ? undefined : (await client.listTasks()).find((t) => t.processgraphid === g.processgraphid);
    if (task) {
      await client.completeTask(task.processid, { approved: true, note: 'looks fine' });
      say(`Approved by a user: ${task.nodename}`);
      approved = true;
    }
    if (Date.now() > deadline) throw new Error(`workflow ${g.processgraphid} did not finish in time (${now.state})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function finish(graph: ProcessGraphWithProcesses): ExampleResult<unknown> {
  const leaf = node(graph, 'ship_order')?.state === 'SUCCESS' ? 'ship_order' : 'cancel_order';
  return { processgraphid: graph.processgraphid, state: graph.state, graph, result: node(graph, leaf)?.out[0] };
}

export function check(r: ExampleResult<unknown>): string | undefined {
  const shipped = r.result as { shipped?: string[] } | undefined;
  if (r.state !== 'SUCCESS') return `expected SUCCESS, the run is ${r.state}`;
  if (!shipped?.shipped || shipped.shipped.length !== 3) return `expected three packed items shipped, got ${JSON.stringify(r.result)}`;
  return undefined;
}

if (isMain(import.meta.url)) {
  const amount = Number(process.argv[2] ?? 250);
  process.exitCode = await main((client, o) => run(client, { ...o, amount }), check, {});
}
