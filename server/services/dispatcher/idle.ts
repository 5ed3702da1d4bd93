/** The registry of idle long-polls: executors waiting for work, to whom a submit or a close may hand processes directly. */
import type { Process } from '../../../protocol/types.ts';
import type { NewProcess, Offer } from '../../store/sql/processes.ts';
import { toProcess, type ProcessRow } from '../../store/rows.ts';
import { WakeHub } from '../wake.ts';
import { groupBy } from './group.ts';

/** A long-poll that found nothing and waits. */
export interface IdleExecutor {
  colonyname: string;
  executortype: string;
  executorid: string;
  count: number;
  /** Offered to a close statement in flight (which may start released children on it): not for a submit meanwhile. */
  offered: boolean;
  /** Always called once by whoever took this entry off the idle list: with its processes, or none… */
  deliver(processes: Process[]): void;
  /** …or with the reason its caller may no longer wait (access revoked). */
  refuse(err: Error): void;
}

export const toOffer = (e: IdleExecutor): Offer => ({
  colonyname: e.colonyname,
  executortype: e.executortype,
  executorid: e.executorid,
  count: e.count,
});

/** Idle long-polls per colony + executor type (WakeHub.key), oldest first. */
export class IdleRegistry {
  private readonly idle = new Map<string, IdleExecutor[]>();

  count(key: string): number {
    return this.idle.get(key)?.length ?? 0;
  }

  add(key: string, entry: IdleExecutor): void {
    let list = this.idle.get(key);
    if (!list) this.idle.set(key, (list = []));
    list.push(entry);
  }

  /** Takes the entry off the list; false when someone else took it first (its delivery is then on the way). */
  remove(key: string, entry: IdleExecutor): boolean {
    const list = this.idle.get(key);
    const i = list?.indexOf(entry) ?? -1;
    if (i < 0) return false;
    list!.splice(i, 1);
    if (list!.length === 0) this.idle.delete(key);
    return true;
  }

  /**
   * Takes every entry of this executor in this colony off the list and refuses it. One on offer to a
   * close goes too: what the close starts on it is requeued, as for any long-poll gone meanwhile.
   */
  refuse(colonyname: string, executorid: string, err: Error): void {
    for (const [key, list] of this.idle)
      for (const e of [...list]) if (e.colonyname === colonyname && e.executorid === executorid && this.remove(key, e)) e.refuse(err);
  }

  /** Colonies and executors with long-polls waiting. */
  waiting(): IdleExecutor[] {
    return [...this.idle.values()].flat();
  }

  /** Takes the oldest entry not on offer to a close. */
  private take(key: string): IdleExecutor | undefined {
    const entry = this.idle.get(key)?.find((e) => !e.offered);
    if (entry) this.remove(key, entry);
    return entry;
  }

  /**
   * Deals ready new processes out to idle long-polls of their type, oldest first, up to each one's
   * count. An entry dealt to leaves the list at once: its delivery comes from the caller only.
   */
  dealOut(news: NewProcess[]): Map<IdleExecutor, NewProcess[]> {
    const takers = new Map<IdleExecutor, NewProcess[]>();
    const filling = new Map<string, IdleExecutor>();
    for (const p of news) {
      if (p.waitingparents > 0) continue;
      const key = WakeHub.key(p.colonyname, p.spec.executortype);
      let entry = filling.get(key);
      if (!entry || takers.get(entry)!.length >= entry.count) {
        entry = this.take(key);
        if (!entry) continue;
        filling.set(key, entry);
        takers.set(entry, []);
      }
      takers.get(entry)!.push(p);
    }
    return takers;
  }

  /**
   * The idle long-polls of these colonies that no other close has on offer, now on offer: a close
   * statement may start the children it releases on them (one statement per hop instead of a close
   * and a claim).
   */
  offer(colonies: Set<string>): IdleExecutor[] {
    const offered: IdleExecutor[] = [];
    for (const list of this.idle.values())
      for (const e of list)
        if (!e.offered && colonies.has(e.colonyname)) {
          e.offered = true;
          offered.push(e);
        }
    return offered;
  }

  /**
   * Hands the children a close started to the offered long-polls they were started on (in offer
   * order, up to each one's count) and withdraws the offers. A long-poll that stopped waiting while
   * its offer was out (woken by other work, timed out, gone) cannot take its rows: they are returned,
   * to be requeued once the close is published.
   */
  deliverHanded(rows: ProcessRow[], offered: IdleExecutor[]): ProcessRow[] {
    const byExecutor = groupBy(rows, (r) => r.assignedexecutorid!);
    for (const e of offered) {
      e.offered = false;
      const mine = byExecutor.get(e.executorid);
      const take = mine?.filter((r) => r.colonyname === e.colonyname && r.spec.executortype === e.executortype).slice(0, e.count) ?? [];
      if (take.length === 0 || !this.remove(WakeHub.key(e.colonyname, e.executortype), e)) continue;
      byExecutor.set(
        e.executorid,
        mine!.filter((r) => !take.includes(r)),
      );
      e.deliver(take.map(toProcess));
    }
    return [...byExecutor.values()].flat();
  }
}

/** Withdraws offers whose close statement failed: the long-polls are free for others again. */
export function withdraw(offered: IdleExecutor[] | undefined): void {
  for (const e of offered ?? []) e.offered = false;
}
