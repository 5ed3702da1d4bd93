/**
 * Prometheus metrics at GET /metrics (text format 0.0.4). Counts only — no colony names or ids —
 * so the endpoint is safe to leave unauthenticated for a scraper on the operator's network.
 */
import type { ColonyEvent } from '../protocol/events.ts';

export class Metrics {
  private readonly requests = new Map<string, number>();
  private readonly transitions = new Map<string, number>();
  private readonly started = Date.now();
  constructor(private readonly gauges: Record<string, () => number> = {}) {}

  request(method: string, status: number): void {
    const key = `method="${method}",status="${status}"`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
  }

  events(events: ColonyEvent[]): void {
    for (const e of events) {
      if (e.type !== 'process' && e.type !== 'processgraph') continue;
      const key = `kind="${e.type}",state="${e.state}"`;
      this.transitions.set(key, (this.transitions.get(key) ?? 0) + 1);
    }
  }

  render(): string {
    const lines: string[] = [];
    const counter = (name: string, help: string, values: Map<string, number>) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
      for (const [labels, v] of values) lines.push(`${name}{${labels}} ${v}`);
    };
    counter('colonies_http_requests_total', 'API requests by method and status.', this.requests);
    counter('colonies_state_transitions_total', 'Processes and process graphs entering each state (this replica).', this.transitions);
    for (const [name, read] of Object.entries(this.gauges)) lines.push(`# TYPE ${name} gauge`, `${name} ${read()}`);
    lines.push('# TYPE colonies_uptime_seconds gauge', `colonies_uptime_seconds ${Math.round((Date.now() - this.started) / 1000)}`);
    return lines.join('\n') + '\n';
  }
}
