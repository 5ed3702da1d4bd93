/**
 * Coalesces concurrent calls into multi-row statements ("group commit"). A call starts a flush at
 * once when fewer than `concurrency` flushes are in flight; otherwise it waits and joins the next
 * batch with every other call that arrived meanwhile. So a lone call pays no added latency, and
 * under load one statement serves many callers — each still gets its own committed answer. Why it
 * pays (the cost is per statement, not per row): docs/performance.md.
 *
 * One caller's bad item never fails the others: when a batch's statement fails because of one of its
 * rows (isRowError: a data or constraint error, not a lost connection), each item runs again alone and
 * gets its own answer. That is safe because a flush is one statement (or one transaction) that rolled
 * back whole: nothing of the batch was written, so each item is written once.
 */
import { isRowError } from '../store/db.ts';

export interface BatcherOptions {
  maxBatch: number;
  concurrency: number;
  /**
   * When a flush starts: 'turn' (default) after the I/O already read in this turn of the event loop,
   * so requests that arrived together share it; 'now' at the end of the current job (a microtask),
   * for callers that arrive together anyway (long-polls woken by one notify) and are latency-bound.
   */
  start?: 'turn' | 'now';
}

interface Pending<I, O> {
  item: I;
  resolve(o: O): void;
  reject(e: unknown): void;
}

export class Batcher<I, O> {
  private readonly queue: Pending<I, O>[] = [];
  private inflight = 0;

  constructor(
    private readonly flush: (items: I[]) => Promise<O[]>,
    private readonly opts: BatcherOptions,
  ) {}

  private scheduled = false;

  run(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      // Flush after the requests already read in this turn of the event loop have joined (setImmediate
      // runs after pending I/O callbacks): flushing at once would send each alone whenever the store
      // blocks the thread, as PGlite (WASM on this thread) does.
      if (!this.scheduled) {
        this.scheduled = true;
        const go = () => {
          this.scheduled = false;
          this.pump();
        };
        if (this.opts.start === 'now') queueMicrotask(go);
        else setImmediate(go);
      }
    });
  }

  private pump(): void {
    while (this.inflight < this.opts.concurrency && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.opts.maxBatch);
      this.inflight++;
      void this.settle(batch).finally(() => {
        this.inflight--;
        this.pump();
      });
    }
  }

  /** Flushes a batch and answers its callers; a batch a row made fail is run again item by item. */
  private async settle(batch: Pending<I, O>[]): Promise<void> {
    try {
      const results = await this.flush(batch.map((p) => p.item));
      batch.forEach((p, i) => p.resolve(results[i]!));
    } catch (err) {
      if (batch.length === 1 || !isRowError(err)) {
        batch.forEach((p) => p.reject(err));
        return;
      }
      for (const p of batch) {
        try {
          p.resolve((await this.flush([p.item]))[0]!);
        } catch (itemErr) {
          p.reject(itemErr);
        }
      }
    }
  }
}
