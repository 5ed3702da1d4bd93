/**
 * Prometheus metrics at GET /metrics (text format 0.0.4). Counts only — no colony names or ids —
 * so the endpoint is safe to leave unauthenticated for a scraper on the operator's network.
 */
import type { ColonyEvent } from '../protocol/events.ts';

/** Upper bounds (seconds) of the request-duration buckets: from a claim's millisecond to a long-poll's 10 s. */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** One series of a Prometheus histogram: per-bucket counts (made cumulative when rendered), sum and count. */
class Histogram {
  private readonly counts = new Array<number>(DURATION_BUCKETS.length).fill(0);
  private sum = 0;
  private count = 0;

  observe(seconds: number): void {
    const i = DURATION_BUCKETS.findIndex((le) => seconds <= le);
    if (i >= 0) this.counts[i]!++;
    this.sum += seconds;
    this.count++;
  }

  render(name: string, labels: string): string[] {
    let cumulative = 0;
    return [
      ...DURATION_BUCKETS.map((le, i) => `${name}_bucket{${labels},le="${le}"} ${(cumulative += this.counts[i]!)}`),
      `${name}_bucket{${labels},le="+Inf"} ${this.count}`,
      `${name}_sum{${labels}} ${this.sum}`,
      `${name}_count{${labels}} ${this.count}`,
    ];
  }
}

export class Metrics {
  private readonly requests = new Map<string, number>();
  private readonly durations = new Map<string, Histogram>();
  private readonly transitions = new Map<string, number>();
  private readonly started = Date.now();
  constructor(private readonly gauges: Record<string, () => number> = {}) {}

  /**
   * One answered API request. `route` is the pattern it matched (`/colonies/:colony/processes/assign`:
   * no names or ids), or undefined when none did (refused before routing, or not found).
   */
  request(method: string, status: number, route: string | undefined, seconds: number): void {
    const key = `method="${method}",status="${status}"`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    const series = `method="${method}",route="${route ?? 'none'}"`;
    let h = this.durations.get(series);
    if (!h) this.durations.set(series, (h = new Histogram()));
    h.observe(seconds);
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
    const duration = 'colonies_http_request_duration_seconds';
    lines.push(`# HELP ${duration} Time from a request's arrival to the end of its answer, by route (long-polls include their wait).`);
    lines.push(`# TYPE ${duration} histogram`);
    for (const [labels, h] of this.durations) lines.push(...h.render(duration, labels));
    counter('colonies_state_transitions_total', 'Processes and process graphs entering each state (this replica).', this.transitions);
    for (const [name, read] of Object.entries(this.gauges)) lines.push(`# TYPE ${name} gauge`, `${name} ${read()}`);
    lines.push('# TYPE colonies_uptime_seconds gauge', `colonies_uptime_seconds ${Math.round((Date.now() - this.started) / 1000)}`);
    return lines.join('\n') + '\n';
  }
}
