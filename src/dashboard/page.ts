/**
 * The dashboard's page: one HTML document with a plain module script, no framework and no build step. It is small
 * enough (a table, a detail panel, an SVG) that the DOM API does the job; every string from a job goes in through
 * `textContent`, so escaping holds by construction rather than by remembering to call an escaper.
 */
export function dashboardPage(nonce: string, refreshMs: number): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>runstate dashboard</title>
<style nonce="${nonce}">
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f6f7f9; }
  header { padding: 12px 20px; background: #1d2330; color: #fff; display: flex; gap: 16px; align-items: baseline; }
  header h1 { font-size: 16px; margin: 0; }
  #counts { display: flex; flex-wrap: wrap; gap: 6px; padding: 12px 20px; }
  #counts button { border: 1px solid #c9ced8; background: #fff; border-radius: 14px; padding: 3px 10px; cursor: pointer; }
  #counts button[aria-pressed="true"] { background: #1d2330; color: #fff; }
  main { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 16px; padding: 0 20px 20px; }
  table { border-collapse: collapse; width: 100%; background: #fff; }
  th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eceef2; vertical-align: top; }
  tbody tr { cursor: pointer; } tbody tr:hover { background: #f0f4ff; }
  .state { font-weight: 600; } .completed { color: #17803d; } .failed, .expired, .timed_out { color: #b42318; }
  .cancelled, .incomplete { color: #8a6100; }
  .bar { width: 120px; height: 8px; background: #eceef2; border-radius: 4px; overflow: hidden; display: inline-block; }
  .bar > span { display: block; height: 100%; background: #2f6fde; }
  .text { max-width: 360px; white-space: pre-wrap; overflow: hidden; text-overflow: ellipsis; max-height: 3.2em; color: #495067; }
  #detail { background: #fff; padding: 12px; min-height: 200px; overflow-wrap: anywhere; }
  td { overflow-wrap: anywhere; }
  #detail pre { white-space: pre-wrap; background: #f6f7f9; padding: 8px; }
  svg text { font: 11px system-ui, sans-serif; }
</style>
</head>
<body>
<header><h1>runstate</h1><span id="summary">loading…</span></header>
<nav id="counts" aria-label="filter by state"></nav>
<main>
  <table>
    <thead><tr><th>kind</th><th>job</th><th>state</th><th>age</th><th>requests</th><th>progress</th><th>note / text</th><th></th></tr></thead>
    <tbody id="watches"></tbody>
  </table>
  <section id="detail"><p>Open a watch to see its timeline and where it is in the machine.</p></section>
</main>
<script type="module" nonce="${nonce}">
  const REFRESH_MS = ${JSON.stringify(refreshMs)};
  const STATES = ['queued', 'in_progress', 'requires_action', 'cancelling', 'completed', 'failed', 'cancelled', 'expired', 'incomplete', 'timed_out'];
  let filter = null;
  let opened = null;
  let diagram = null;
  let canCancel = false;
  const $ = (id) => document.getElementById(id);
  // Every string from a job goes through here: text nodes, never markup.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(c == null ? '' : String(c)));
    return node;
  }
  function age(ms) {
    const s = Math.max(0, Math.round(ms / 1000));
    return s < 60 ? s + ' s' : s < 3600 ? Math.floor(s / 60) + ' min' : Math.floor(s / 3600) + ' h';
  }
  function bar(p) {
    if (!p) return '';
    const done = p.completed + p.failed;
    const span = el('span');
    span.style.width = Math.round((100 * done) / p.total) + '%';
    return el('span', { title: done + '/' + p.total }, el('span', { class: 'bar' }, span), ' ' + done + '/' + p.total);
  }
  function renderCounts(counts) {
    const nav = $('counts');
    nav.replaceChildren();
    const all = Object.values(counts.byState).reduce((a, b) => a + b, 0);
    const button = (state, label, n) => {
      const b = el('button', { 'data-state': state ?? 'all', 'aria-pressed': filter === state }, label + ' ', el('b', { 'data-count': state ?? 'all' }, n));
      b.onclick = () => { filter = state; refresh(); };
      return b;
    };
    nav.append(button(null, 'all', all));
    for (const s of STATES) nav.append(button(s, s, counts.byState[s] ?? 0));
    $('summary').textContent = all + ' watches' + (counts.starting ? ', ' + counts.starting + ' starting' : '') + (counts.errors ? ', ' + counts.errors + ' failed to watch' : '');
  }
  function renderWatches(watches, now) {
    const rows = watches.filter((w) => filter === null || w.state === filter).map((w) => {
      const cancel = canCancel && !w.done ? el('button', { 'data-cancel': w.key }, 'cancel') : '';
      if (cancel) cancel.onclick = (e) => { e.stopPropagation(); cancelWatch(w.key); };
      const row = el('tr', { 'data-key': w.key },
        el('td', {}, w.kind), el('td', {}, w.key), el('td', { class: 'state ' + w.state }, w.state),
        el('td', {}, age((w.done ? w.at : Math.max(now, w.at)) - w.startedAt)), el('td', {}, w.calls), el('td', {}, bar(w.progress)),
        el('td', {}, el('div', { class: 'text' }, w.error || w.text || w.note || '')), el('td', {}, cancel));
      row.onclick = () => { opened = w.key; openWatch(); };
      return row;
    });
    $('watches').replaceChildren(...rows);
  }
  function renderDiagram(current) {
    if (!diagram) return '';
    const NS = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(NS, 'svg');
    const shown = diagram.nodes.filter((n) => n.parent === undefined || n.parent === 'watching');
    const rows = [shown.filter((n) => n.parent === 'watching'), shown.filter((n) => n.parent === undefined && !n.final), shown.filter((n) => n.final)];
    const W = 96, H = 26, GAP = 8, at = new Map();
    rows.forEach((row, r) => row.forEach((n, i) => at.set(n.path, { x: 10 + i * (W + GAP), y: 20 + r * 70 })));
    svg.setAttribute('viewBox', '0 0 ' + (20 + 8 * (W + GAP)) + ' 230');
    svg.setAttribute('width', '100%');
    const add = (tag, attrs, text) => {
      const node = document.createElementNS(NS, tag);
      for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
      if (text != null) node.textContent = text;
      svg.append(node);
      return node;
    };
    const top = (path) => at.get(path) ?? (path.startsWith('watching') ? { x: 10, y: 20, w: true } : null);
    for (const e of diagram.edges) {
      const a = top(e.from), b = top(e.to);
      if (!a || !b || a === b) continue;
      add('line', { x1: a.x + W / 2, y1: a.y + H, x2: b.x + W / 2, y2: b.y, stroke: '#c9ced8' });
    }
    add('text', { x: 10, y: 12 }, 'watching');
    for (const n of shown) {
      const p = at.get(n.path);
      const here = n.key === current;
      add('rect', { x: p.x, y: p.y, width: W, height: H, rx: n.final ? 13 : 4, fill: here ? '#2f6fde' : '#fff', stroke: here ? '#1d2330' : '#8b93a5', 'data-node': n.key, 'data-current': here });
      add('text', { x: p.x + W / 2, y: p.y + 17, 'text-anchor': 'middle', fill: here ? '#fff' : '#1d2330' }, n.key);
    }
    return svg;
  }
  async function openWatch() {
    if (!opened) return;
    const res = await fetch('api/timeline?key=' + encodeURIComponent(opened));
    if (!res.ok) return;
    const { timeline } = await res.json();
    const last = timeline[timeline.length - 1];
    const items = timeline.map((v) => el('tr', { class: 'step' }, el('td', {}, new Date(v.at).toISOString().slice(11, 23)), el('td', { class: 'state ' + v.state }, v.state), el('td', {}, v.status ?? ''), el('td', {}, v.calls), el('td', {}, v.note ?? '')));
    $('detail').replaceChildren(
      el('h2', {}, last.kind + ' ' + last.key),
      renderDiagram(last.state),
      el('h3', {}, 'timeline'),
      el('table', { id: 'timeline' }, el('tbody', {}, ...items)),
      last.error ? el('p', {}, el('b', {}, 'error: '), last.error) : '',
      last.toolCalls.length ? el('p', {}, 'waiting for tools: ' + last.toolCalls.map((c) => c.name + (c.arguments ? '(' + c.arguments + ')' : '')).join(', ')) : '',
      last.text != null ? el('pre', { id: 'text' }, last.text) : '',
    );
  }
  async function cancelWatch(key) {
    const token = sessionStorage.getItem('runstate-token') ?? prompt('cancel token');
    if (!token) return;
    const res = await fetch('api/cancel?key=' + encodeURIComponent(key), { method: 'POST', headers: { authorization: 'Bearer ' + token } });
    if (res.ok) sessionStorage.setItem('runstate-token', token);
    else sessionStorage.removeItem('runstate-token');
    refresh();
  }
  async function refresh() {
    const res = await fetch('api/watches');
    if (!res.ok) return;
    const data = await res.json();
    canCancel = data.canCancel;
    renderCounts(data.counts);
    renderWatches(data.watches, data.now);
    if (opened) openWatch();
    document.body.dataset.loaded = 'true';
  }
  diagram = await (await fetch('api/diagram')).json();
  await refresh();
  setInterval(refresh, REFRESH_MS);
</script>
</body>
</html>`;
}
