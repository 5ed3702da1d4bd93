/**
 * The flow chart: dagre lays the drawn graph out left to right, we draw it as SVG. Node colours follow
 * the state palette; edges are the data flow (a parent's output becomes its child's input), solid once
 * delivered. Layout runs only when the shape changes; state changes just restyle. Pan by dragging,
 * zoom with the wheel or the buttons; nodes are buttons (click, Enter or Space).
 */
import dagre from '@dagrejs/dagre';
import { h, s } from './dom.ts';
import { domId, type GraphView, type ViewEdge, type ViewNode } from './fanout.ts';
import { STATE_ORDER, STATE_STYLE } from './states.ts';
import { count } from './format.ts';

const NODE_W = 196;
const NODE_H = 58;
const GROUP_W = 236;
const GROUP_H = 72;

interface Placed {
  node: ViewNode;
  x: number;
  y: number;
  w: number;
  h: number;
}

const clip = (text: string, max: number) => (text.length > max ? text.slice(0, max - 1) + '…' : text);

/** d3's curveBasis through dagre's edge points: smooth, and it ends where dagre says. */
function basisPath(pts: { x: number; y: number }[]): string {
  if (pts.length < 3) return 'M' + pts.map((p) => `${p.x},${p.y}`).join('L');
  let d = '';
  let x0 = 0;
  let y0 = 0;
  let x1 = 0;
  let y1 = 0;
  let state = 0;
  const bez = (x: number, y: number) => {
    d += `C${(2 * x0 + x1) / 3},${(2 * y0 + y1) / 3} ${(x0 + 2 * x1) / 3},${(y0 + 2 * y1) / 3} ${(x0 + 4 * x1 + x) / 6},${(y0 + 4 * y1 + y) / 6}`;
  };
  for (const { x, y } of pts) {
    if (state === 0) {
      d += `M${x},${y}`;
      state = 1;
    } else if (state === 1) state = 2;
    else {
      if (state === 2) {
        d += `L${(5 * x0 + x1) / 6},${(5 * y0 + y1) / 6}`;
        state = 3;
      }
      bez(x, y);
    }
    x0 = x1;
    x1 = x;
    y0 = y1;
    y1 = y;
  }
  bez(x1, y1);
  return d + `L${x1},${y1}`;
}

export interface GraphViewOptions {
  onSelect(id: string): void;
}

export class FlowChart {
  readonly el: HTMLElement;
  private readonly svg: SVGSVGElement;
  private readonly world: SVGGElement;
  private shapeKey = '';
  private placed = new Map<string, Placed>();
  private edgeEls = new Map<string, SVGGElement>();
  private nodeEls = new Map<string, SVGGElement>();
  private size = { w: 0, h: 0 };
  private view = { x: 0, y: 0, k: 1 };
  private selected: string | undefined;
  private userMoved = false;

  constructor(private readonly opts: GraphViewOptions) {
    this.world = s('g', { class: 'world' });
    this.svg = s(
      'svg',
      { class: 'flowchart', role: 'group', 'aria-label': 'Workflow graph' },
      s(
        'defs',
        null,
        s(
          'marker',
          { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
          s('path', { d: 'M0,0L10,5L0,10z', class: 'arrowhead' }),
        ),
      ),
      this.world,
    );
    const zoomBtn = (label: string, title: string, fn: () => void) =>
      h('button', { class: 'btn btn-small', type: 'button', title, 'aria-label': title, onclick: fn }, label);
    this.el = h(
      'div',
      { class: 'chart' },
      this.svg,
      h(
        'div',
        { class: 'chart-tools' },
        zoomBtn('+', 'Zoom in', () => this.zoomBy(1.25)),
        zoomBtn('−', 'Zoom out', () => this.zoomBy(0.8)),
        zoomBtn('Fit', 'Fit the graph to the view', () => {
          this.userMoved = false;
          this.fit();
        }),
      ),
    );
    this.installPanZoom();
    new ResizeObserver(() => {
      if (!this.userMoved) this.fit();
    }).observe(this.el);
  }

  select(id: string | undefined): void {
    this.selected = id;
    for (const [nid, el] of this.nodeEls) el.classList.toggle('selected', nid === id);
  }

  update(g: GraphView): void {
    const key = g.nodes.map((n) => n.id).join('|') + '#' + g.edges.map((e) => `${e.from}>${e.to}`).join('|');
    if (key !== this.shapeKey) {
      this.shapeKey = key;
      this.layout(g);
      if (!this.userMoved) this.fit();
    } else {
      for (const n of g.nodes) {
        const p = this.placed.get(n.id);
        if (p) p.node = n;
        this.nodeEls.get(n.id)?.replaceWith(this.drawNode(n));
      }
      for (const e of g.edges) this.edgeEls.get(`${e.from}>${e.to}`)?.setAttribute('class', edgeClass(e));
    }
  }

  private layout(g: GraphView): void {
    const dg = new dagre.graphlib.Graph<
      Record<string, unknown>,
      { width: number; height: number; x?: number; y?: number },
      { points?: { x: number; y: number }[] }
    >();
    dg.setGraph({ rankdir: 'LR', nodesep: 18, ranksep: 64, marginx: 24, marginy: 24 });
    dg.setDefaultEdgeLabel(() => ({}));
    for (const n of g.nodes) dg.setNode(n.id, n.kind === 'group' ? { width: GROUP_W, height: GROUP_H } : { width: NODE_W, height: NODE_H });
    // dagre's initial order follows edge insertion in reverse: feeding the edges backwards keeps
    // siblings in graph order (gen_nums_0 at the top).
    for (let i = g.edges.length - 1; i >= 0; i--) dg.setEdge(g.edges[i]!.from, g.edges[i]!.to);
    dagre.layout(dg);
    const gl = dg.graph() as { width?: number; height?: number };
    this.size = { w: gl.width ?? 0, h: gl.height ?? 0 };
    this.placed = new Map();
    for (const n of g.nodes) {
      const l = dg.node(n.id);
      this.placed.set(n.id, { node: n, x: (l.x ?? 0) - l.width / 2, y: (l.y ?? 0) - l.height / 2, w: l.width, h: l.height });
    }
    this.world.replaceChildren();
    this.edgeEls = new Map();
    this.nodeEls = new Map();
    const edgeLayer = s('g', { class: 'edges' });
    for (const e of g.edges) {
      const points = dg.edge(e.from, e.to).points ?? [];
      const title = `${this.placed.get(e.from)?.node.label ?? ''} → ${this.placed.get(e.to)?.node.label ?? ''}: ${
        e.count > 1 ? `${count(e.delivered)} of ${count(e.count)} outputs delivered` : e.delivered ? 'output delivered' : 'waiting for output'
      }`;
      const mid = points[Math.floor(points.length / 2)];
      const el = s(
        'g',
        { class: edgeClass(e), 'data-from': domId(e.from), 'data-to': domId(e.to) },
        s('title', null, title),
        s('path', { d: basisPath(points), 'marker-end': 'url(#arrow)' }),
        e.count > 1 && mid ? s('text', { x: mid.x, y: mid.y - 6, class: 'edge-label', 'text-anchor': 'middle' }, `×${count(e.count)}`) : null,
      );
      this.edgeEls.set(`${e.from}>${e.to}`, el);
      edgeLayer.append(el);
    }
    const nodeLayer = s('g', { class: 'nodes' });
    for (const n of g.nodes) nodeLayer.append(this.drawNode(n));
    this.world.append(edgeLayer, nodeLayer);
  }

  private drawNode(n: ViewNode): SVGGElement {
    const p = this.placed.get(n.id)!;
    const st = STATE_STYLE[n.state];
    const isGroup = n.kind === 'group';
    const total = n.members.length;
    const aria = isGroup
      ? `${n.label}: ${count(total)} processes, ${STATE_ORDER.filter((x) => n.counts[x] > 0)
          .map((x) => `${count(n.counts[x])} ${STATE_STYLE[x].label}`)
          .join(', ')}`
      : `${n.label} (${n.funcname}): ${st.label}`;
    const g = s(
      'g',
      {
        class: `node state-${n.state}${isGroup ? ' group' : ''}${n.id === this.selected ? ' selected' : ''}`,
        transform: `translate(${p.x},${p.y})`,
        tabindex: 0,
        role: 'button',
        'aria-label': aria,
        'data-id': domId(n.id),
        'data-nodename': isGroup ? undefined : n.label,
        'data-group': isGroup ? n.label : undefined,
        'data-state': n.state,
      },
      s('title', null, aria),
      isGroup ? s('rect', { class: 'stack', x: 5, y: 5, width: p.w, height: p.h, rx: 8 }) : null,
      s('rect', { class: 'box', width: p.w, height: p.h, rx: 8, fill: st.tint, stroke: st.color }),
      s('rect', { class: 'band', width: 6, height: p.h - 2, x: 1, y: 1, rx: 3, fill: st.color }),
      s('text', { class: 'glyph', x: 18, y: 24, fill: st.ink }, st.glyph),
      s('text', { class: 'title', x: 34, y: 24 }, clip(n.label, isGroup ? 24 : 20)),
    );
    if (isGroup) {
      g.append(s('text', { class: 'sub', x: 34, y: 42 }, clip(`${count(total)} × ${n.funcname}`, 18)));
      const parts = STATE_ORDER.filter((x) => n.counts[x] > 0).map((x) => `${STATE_STYLE[x].glyph}${count(n.counts[x])}`);
      g.append(s('text', { class: 'counts', x: p.w - 10, y: 42, 'text-anchor': 'end' }, clip(parts.join(' '), 22)));
      // A stacked bar of the members' states.
      const barW = p.w - 28;
      let x = 18;
      const bar = s('g', { class: 'bar' });
      for (const state of ['SUCCESS', 'RUNNING', 'HALTED', 'WAITING', 'FAILED', 'CANCELLED'] as const) {
        const c = n.counts[state];
        if (c === 0) continue;
        const w = Math.max(2, (barW * c) / total);
        bar.append(
          s(
            'rect',
            { x, y: p.h - 18, width: w, height: 8, fill: STATE_STYLE[state].color },
            s('title', null, `${count(c)} ${STATE_STYLE[state].label}`),
          ),
        );
        x += w;
      }
      g.append(bar);
    } else {
      const sub = n.funcname !== n.label ? `${n.funcname} · ${st.label}` : st.label;
      g.append(s('text', { class: 'sub', x: 34, y: 42 }, clip(sub, 26)));
      if (n.retries > 0) g.append(s('text', { class: 'retries', x: p.w - 10, y: 42, 'text-anchor': 'end' }, `↻${n.retries}`));
    }
    const open = () => this.opts.onSelect(n.id);
    g.addEventListener('click', (ev) => {
      if (!this.dragged) open();
      ev.stopPropagation();
    });
    g.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' || ev.key === ' ') {
        ev.preventDefault();
        open();
      }
    });
    this.nodeEls.set(n.id, g);
    return g;
  }

  // ── pan and zoom ──────────────────────────────────────────────────────────────────────────────
  private dragged = false;

  private apply(): void {
    this.world.setAttribute('transform', `translate(${this.view.x},${this.view.y}) scale(${this.view.k})`);
  }

  fit(): void {
    const r = this.svg.getBoundingClientRect();
    if (r.width === 0 || this.size.w === 0) return;
    const k = Math.min(1.1, r.width / this.size.w, r.height / this.size.h);
    this.view = { k, x: (r.width - this.size.w * k) / 2, y: Math.max(0, (r.height - this.size.h * k) / 2) };
    this.apply();
  }

  private zoomBy(f: number, cx?: number, cy?: number): void {
    const r = this.svg.getBoundingClientRect();
    const px = cx ?? r.width / 2;
    const py = cy ?? r.height / 2;
    const k = Math.min(4, Math.max(0.05, this.view.k * f));
    this.view = { k, x: px - ((px - this.view.x) * k) / this.view.k, y: py - ((py - this.view.y) * k) / this.view.k };
    this.userMoved = true;
    this.apply();
  }

  private installPanZoom(): void {
    this.svg.addEventListener(
      'wheel',
      (ev) => {
        ev.preventDefault();
        const r = this.svg.getBoundingClientRect();
        this.zoomBy(Math.exp(-ev.deltaY * 0.0015), ev.clientX - r.left, ev.clientY - r.top);
      },
      { passive: false },
    );
    let start: { x: number; y: number; vx: number; vy: number } | undefined;
    this.svg.addEventListener('pointerdown', (ev) => {
      if (ev.button !== 0) return;
      start = { x: ev.clientX, y: ev.clientY, vx: this.view.x, vy: this.view.y };
      this.dragged = false;
    });
    window.addEventListener('pointermove', (ev) => {
      if (!start) return;
      const dx = ev.clientX - start.x;
      const dy = ev.clientY - start.y;
      if (!this.dragged && Math.hypot(dx, dy) < 4) return;
      this.dragged = true;
      this.userMoved = true;
      this.view.x = start.vx + dx;
      this.view.y = start.vy + dy;
      this.apply();
    });
    window.addEventListener('pointerup', () => {
      start = undefined;
      window.setTimeout(() => (this.dragged = false), 0);
    });
  }
}

function edgeClass(e: ViewEdge): string {
  return `edge${e.delivered === e.count ? ' delivered' : e.delivered > 0 ? ' partial' : ''}`;
}

/** The legend: every state with its colour, glyph, name and how many processes are in it. */
export function legend(counts: Record<string, number>): HTMLElement {
  return h(
    'ul',
    { class: 'legend', 'aria-label': 'States' },
    STATE_ORDER.map((st) =>
      h(
        'li',
        { 'data-state': st },
        h('span', { class: `swatch state-${st}`, 'aria-hidden': 'true' }, STATE_STYLE[st].glyph),
        `${STATE_STYLE[st].title} `,
        h('strong', null, count(counts[st] ?? 0)),
      ),
    ),
    h('li', { class: 'legend-edge' }, h('span', { class: 'edge-sample delivered' }), 'output delivered'),
    h('li', { class: 'legend-edge' }, h('span', { class: 'edge-sample' }), 'not yet'),
  );
}
