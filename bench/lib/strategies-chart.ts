/**
 * The strategies chart, as hand-written SVG: one log-log panel per distribution, retrieves per run against the p95
 * detection delay, a point per strategy and the oracle's frontier as a line. No dependency.
 */

/** One strategy's point in a panel. */
export interface ChartPoint {
  series: string;
  x: number;
  y: number;
}

export interface ChartPanel {
  title: string;
  xLabel: string;
  /** Formats an x tick (seconds, or percent). */
  xTick(x: number): string;
  points: ChartPoint[];
  /** The oracle's frontier, by increasing x. */
  frontier: { x: number; y: number }[];
}

/** The look of a series: a colour and a marker. */
export interface ChartSeries {
  id: string;
  label: string;
  color: string;
  marker: 'circle' | 'square' | 'diamond' | 'triangle';
}

const PANEL_W = 420;
const PANEL_H = 300;
const MARGIN = { left: 58, right: 16, top: 30, bottom: 44 };
const COLUMNS = 2;
/** Strategies with no retrieves sit on this floor of the log axis, marked "0". */
const ZERO_CALLS = 0.01;

const xmlText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (n: number) => (Math.round(n * 10) / 10).toString();

/** Powers of ten (and 2×, 5× between them when few) covering [lo, hi]. */
function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of hi / lo < 100 ? [1, 2, 5] : [1]) {
      const v = m * 10 ** e;
      if (v >= lo * 0.999 && v <= hi * 1.001) ticks.push(v);
    }
  }
  return ticks;
}

function marker(kind: ChartSeries['marker'], x: number, y: number, color: string): string {
  const r = 5;
  const style = `fill="${color}" stroke="#222" stroke-width="0.6"`;
  switch (kind) {
    case 'circle':
      return `<circle cx="${fmt(x)}" cy="${fmt(y)}" r="${r}" ${style}/>`;
    case 'square':
      return `<rect x="${fmt(x - r)}" y="${fmt(y - r)}" width="${2 * r}" height="${2 * r}" ${style}/>`;
    case 'diamond':
      return `<polygon points="${fmt(x)},${fmt(y - r - 1)} ${fmt(x + r + 1)},${fmt(y)} ${fmt(x)},${fmt(y + r + 1)} ${fmt(x - r - 1)},${fmt(y)}" ${style}/>`;
    case 'triangle':
      return `<polygon points="${fmt(x)},${fmt(y - r - 1)} ${fmt(x + r + 1)},${fmt(y + r)} ${fmt(x - r - 1)},${fmt(y + r)}" ${style}/>`;
  }
}

function panel(p: ChartPanel, series: readonly ChartSeries[], ox: number, oy: number): string {
  const xs = [...p.points.map((q) => q.x), ...p.frontier.map((q) => q.x)].filter((x) => x > 0);
  const ys = [...p.points.map((q) => q.y), ...p.frontier.map((q) => q.y)].map((y) => Math.max(y, ZERO_CALLS));
  const x0 = 10 ** Math.floor(Math.log10(Math.min(...xs)));
  const x1 = 10 ** Math.ceil(Math.log10(Math.max(...xs)));
  const y0 = ZERO_CALLS;
  const y1 = 10 ** Math.ceil(Math.log10(Math.max(...ys)));
  const w = PANEL_W - MARGIN.left - MARGIN.right;
  const h = PANEL_H - MARGIN.top - MARGIN.bottom;
  const sx = (x: number) => ox + MARGIN.left + ((Math.log10(x) - Math.log10(x0)) / Math.log10(x1 / x0)) * w;
  const sy = (y: number) =>
    oy + MARGIN.top + h - ((Math.log10(Math.max(y, y0)) - Math.log10(y0)) / Math.log10(y1 / y0)) * h;
  const out: string[] = [];
  out.push(
    `<text x="${ox + MARGIN.left}" y="${oy + 18}" font-size="13" font-weight="bold">${xmlText(p.title)}</text>`,
  );
  out.push(
    `<rect x="${ox + MARGIN.left}" y="${oy + MARGIN.top}" width="${w}" height="${h}" fill="none" stroke="#999"/>`,
  );
  for (const t of logTicks(x0, x1)) {
    out.push(
      `<line x1="${fmt(sx(t))}" y1="${oy + MARGIN.top}" x2="${fmt(sx(t))}" y2="${oy + MARGIN.top + h}" stroke="#eee"/>`,
    );
    out.push(
      `<text x="${fmt(sx(t))}" y="${oy + MARGIN.top + h + 14}" font-size="10" text-anchor="middle">${xmlText(p.xTick(t))}</text>`,
    );
  }
  for (const t of logTicks(y0, y1)) {
    const label = t === ZERO_CALLS ? '0' : t < 1 ? String(t) : t.toLocaleString('en-US');
    out.push(
      `<line x1="${ox + MARGIN.left}" y1="${fmt(sy(t))}" x2="${ox + MARGIN.left + w}" y2="${fmt(sy(t))}" stroke="#eee"/>`,
    );
    out.push(
      `<text x="${ox + MARGIN.left - 4}" y="${fmt(sy(t) + 3)}" font-size="10" text-anchor="end">${label}</text>`,
    );
  }
  out.push(
    `<text x="${ox + MARGIN.left + w / 2}" y="${oy + PANEL_H - 8}" font-size="11" text-anchor="middle">${xmlText(p.xLabel)}</text>`,
  );
  out.push(
    `<text x="${ox + 14}" y="${oy + MARGIN.top + h / 2}" font-size="11" text-anchor="middle" transform="rotate(-90 ${ox + 14} ${oy + MARGIN.top + h / 2})">retrieves per run</text>`,
  );
  if (p.frontier.length > 1) {
    const path = p.frontier.map((q) => `${fmt(sx(q.x))},${fmt(sy(q.y))}`).join(' ');
    out.push(
      `<polyline points="${path}" fill="none" stroke="#555" stroke-width="1.5" stroke-dasharray="5 3"/>`,
    );
  }
  for (const q of p.points) {
    const s = series.find((c) => c.id === q.series);
    if (!s || !(q.x > 0)) continue;
    out.push(marker(s.marker, sx(q.x), sy(q.y), s.color));
  }
  return out.join('\n');
}

/** The whole chart: panels in two columns, then a legend. */
export function renderChart(panels: readonly ChartPanel[], series: readonly ChartSeries[]): string {
  const rows = Math.ceil(panels.length / COLUMNS);
  const legendRows = Math.ceil((series.length + 1) / 3);
  const width = PANEL_W * COLUMNS;
  const height = PANEL_H * rows + 20 + legendRows * 18;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
  ];
  panels.forEach((p, i) => {
    parts.push(panel(p, series, (i % COLUMNS) * PANEL_W, Math.floor(i / COLUMNS) * PANEL_H));
  });
  const legendTop = PANEL_H * rows + 12;
  const entries = [
    ...series.map((s) => ({
      label: s.label,
      draw: (x: number, y: number) => marker(s.marker, x, y, s.color),
    })),
    {
      label: 'oracle frontier (fewest retrieves for each p95)',
      draw: (x: number, y: number) =>
        `<line x1="${x - 8}" y1="${y}" x2="${x + 8}" y2="${y}" stroke="#555" stroke-width="1.5" stroke-dasharray="5 3"/>`,
    },
  ];
  entries.forEach((e, i) => {
    const x = 20 + (i % 3) * (width / 3);
    const y = legendTop + Math.floor(i / 3) * 18;
    parts.push(e.draw(x, y));
    parts.push(`<text x="${x + 12}" y="${y + 4}" font-size="11">${xmlText(e.label)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
