/**
 * Prometheus metrics at GET /metrics (text format 0.0.4), on prom-client. Counts only — no colony
 * names or ids — so the endpoint is safe to leave unauthenticated for a scraper on the operator's network.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ColonyEvent } from '../protocol/events.ts';

/** Upper bounds (seconds) of the request-duration buckets: from a claim's millisecond to a long-poll's 10 s. */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Process metrics (CPU, heap, GC, event-loop lag) once per process: each collectDefaultMetrics call starts monitors never stopped. */
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export class Metrics {
  private readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'colonies_http_requests_total',
    help: 'API requests by method and status.',
    labelNames: ['method', 'status'] as const,
    registers: [this.registry],
  });
  private readonly durations = new Histogram({
    name: 'colonies_http_request_duration_seconds',
    help: "Time from a request's arrival to the end of its answer, by route (long-polls include their wait).",
    labelNames: ['method', 'route'] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });
  private readonly transitions = new Counter({
    name: 'colonies_state_transitions_total',
    help: 'Processes and process graphs entering each state (this replica).',
    labelNames: ['kind', 'state'] as const,
    registers: [this.registry],
  });
  private readonly started = Date.now();

  constructor(gauges: Record<string, () => number> = {}) {
    for (const [name, read] of Object.entries(gauges)) {
      new Gauge({
        name,
        help: `${name} (read when scraped).`,
        registers: [this.registry],
        collect() {
          this.set(read());
        },
      });
    }
    const started = this.started;
    new Gauge({
      name: 'colonies_uptime_seconds',
      help: 'Seconds since this server started.',
      registers: [this.registry],
      collect() {
        this.set(Math.round((Date.now() - started) / 1000));
      },
    });
    processMetrics();
  }

  /**
   * One answered API request. `route` is the pattern it matched (`/colonies/:colony/processes/assign`:
   * no names or ids), or undefined when none did (refused before routing, or not found).
   */
  request(method: string, status: number, route: string | undefined, seconds: number): void {
    this.requests.inc({ method, status });
    this.durations.observe({ method, route: route ?? 'none' }, seconds);
  }

  events(events: ColonyEvent[]): void {
    for (const e of events) {
      if (e.type !== 'process' && e.type !== 'processgraph') continue;
      this.transitions.inc({ kind: e.type, state: e.state });
    }
  }

  /** The text exposition of this server's metrics and the process's. */
  async render(): Promise<string> {
    return Registry.merge([this.registry, processMetrics()]).metrics();
  }
}
