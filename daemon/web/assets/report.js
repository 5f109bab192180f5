// predwatch HTML dataset report: inlined with its data (the JSON of
// <script type="application/json" id="report-data">, daemon/cli/html_report.h) into the one
// file `predwatch dataset report PATH --format F --html OUT.html` writes. Plain JS, no
// fetch: the page opens offline. Sections (each has an anchor): class balance, co-occurrence
// matrix (counts / lift, sortable), spatial heatmaps per class, objects per image, object
// sizes, the per-image table (sortable by any column) and the suspicious annotations.
// Clicking a bar, a matrix cell or a heatmap cell lists the images behind it, exactly: the
// report carries every image with its boxes.
'use strict';

const PR = { errors: [], ready: false };
window.predwatchReport = PR;  // state for people debugging and for the browser test
window.addEventListener('error', (e) => PR.errors.push(String(e.message)));

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k === 'style') e.style.cssText = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function fmt(v, digits = 3) {
  if (v === undefined || v === null || v === '') return '';
  const x = Number(v);
  if (!isFinite(x)) return String(v);
  if (Number.isInteger(x)) return x.toLocaleString('en-US');
  if (Math.abs(x) >= 1000) return x.toFixed(0);
  return x.toPrecision(digits);
}
const pct = (x) => (isFinite(x) ? (100 * x).toFixed(x < 0.1 ? 2 : 1) + '%' : '');

function seqColor(t) {
  t = Math.max(0, Math.min(1, t));
  return [Math.round(255 - t * 247), Math.round(255 - t * 186), Math.round(255 - t * 107)];
}
function divColor(t) {
  t = Math.max(-1, Math.min(1, t));
  if (t >= 0) return [255, Math.round(255 - t * 200), Math.round(255 - t * 200)];
  return [Math.round(255 + t * 200), Math.round(255 + t * 200), 255];
}
const rgb = (c) => `rgb(${c[0]},${c[1]},${c[2]})`;
const logScale = (x, max) => (x <= 0 || max <= 0 ? 0 : 0.08 + 0.92 * Math.log1p(1000 * x) / Math.log1p(1000 * max));

function tip(evt, text) {
  const t = $('tooltip');
  if (!text) { t.hidden = true; return; }
  t.textContent = text;
  t.hidden = false;
  t.style.left = Math.min(evt.clientX + 14, window.innerWidth - 260) + 'px';
  t.style.top = evt.clientY + 14 + 'px';
}

// ---- data ----

const D = JSON.parse($('report-data').textContent);
PR.data = D;
const N = D.images;
// A live window's report (`predwatch stats STREAM --html`) has the tables but no image list.
const listed = D.report.kind !== 'window';
const noList = 'This report of a live window has no per-frame list (a window keeps exemplar frames, not every frame): a click on a matrix cell, class row, heatmap cell or per-class bar lists the frames behind it as of when the report was written; the web view of predwatchd lists them live.';
// Its exemplars (daemon/cli/window_exemplars.h): D.exemplars.class[c], .pair[a][b] (a < b),
// .count[c][label], .area/.width/.height[c][bin], .cell[c][row * grid + col].
const exemplarsAt = (path) => (path && D.exemplars
  ? path.reduce((o, k) => (o == null ? undefined : o[k]), D.exemplars) : undefined);
const isLink = (u) => /^https?:\/\//i.test(u);
const unit = listed ? 'images' : 'frames';  // what a click lists
const images = D.image_list || [];
const classes = D.classes || [];  // images desc, objects desc, name
const classNames = D.class_names || [];
// pairs[a][b] = images with both (a != b), from the statistics.
const pairs = new Map();
const pairCount = (a, b) => (a === b ? (classByName.get(a) || { images: 0 }).images
  : (pairs.get(a) && pairs.get(a).get(b)) || 0);
const classByName = new Map(classes.map((c) => [c.name, c]));
for (const p of D.cooccurrence || []) {
  for (const [x, y] of [[p.a, p.b], [p.b, p.a]]) {
    if (!pairs.has(x)) pairs.set(x, new Map());
    pairs.get(x).set(y, p.images);
  }
}

// ---- the images panel ----

const panel = {
  // list: the images of a dataset report; path: where a window report keeps the cell's
  // exemplars (exemplarsAt), undefined for a bar that has none.
  show(title, list, path) {
    $('images').hidden = false;
    document.body.classList.add('panel-open');
    $('images-title').textContent = title;
    if (!listed) {
      const frames = exemplarsAt(path);
      if (!frames) {
        $('images-note').textContent = !path
          ? 'A window keeps exemplar frames per class, pair, heatmap cell, per-class count and size bin, not for this bar.'
          : D.exemplars
            ? `No exemplars of this cell in the report (${fmt(D.exemplars.skipped)} cells were not fetched: --exemplar-cells ${fmt(D.exemplars.max_cells)}).`
            : noList;
        $('images-list').replaceChildren();
      } else {
        $('images-note').textContent = `The ${frames.length === 1 ? 'frame' : `${fmt(frames.length)} most recent frames`} of this cell still in the window when the report was written (its exemplars), newest first.`;
        $('images-list').replaceChildren(...frames.map((f) => el('li', { dataset: { frameId: f.frame } },
          f.frame, ' ', el('span', { class: 'muted' }, f.time.replace('T', ' ').replace('Z', ' UTC')),
          f.uri ? ' ' : '', f.uri ? (isLink(f.uri) ? el('a', { href: f.uri, target: '_blank', rel: 'noopener' }, 'image') : el('span', { class: 'muted', title: f.uri }, 'image uri')) : '')));
      }
      $('images').dataset.state = 'done';
      PR.panel = { title, images: null, frames: frames ? frames.map((f) => f.frame) : null };
      return;
    }
    const shown = list.slice(0, 2000);
    $('images-note').textContent = `${fmt(list.length)} image${list.length === 1 ? '' : 's'}` +
      (shown.length < list.length ? ` (the first ${fmt(shown.length)} listed)` : '') + '; click one to find it in the table.';
    $('images-list').replaceChildren(...shown.map((img) => el('li', {
      dataset: { image: img.name }, title: countsText(img),
      onclick: () => table.find(img.name),
    }, img.name, ' ', el('span', { class: 'muted' }, `${img.objects} obj`))));
    $('images').dataset.state = 'done';
    PR.panel = { title, images: list.map((i) => i.name) };
  },
  hide() {
    $('images').hidden = true;
    document.body.classList.remove('panel-open');
  },
};
const withClass = (c) => images.filter((i) => i.counts[c] > 0);
const withPair = (a, b) => images.filter((i) => i.counts[a] > 0 && i.counts[b] > 0);
const countsText = (img) => Object.entries(img.counts).sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))
  .map(([c, n]) => (n > 1 ? `${c}×${n}` : c)).join(', ');

// A sortable table: columns [{key, label, num, value(row), render(row)}]; clicking a header
// sorts by it (numbers: largest first; again: reverse).
function sortableTable(id, columns, rows, opts = {}) {
  const state = { key: opts.sortKey || null, desc: true, limit: opts.limit || Infinity, filter: null };
  const tableEl = el('table', { id });
  const note = el('p', { class: 'muted' });
  const wrap = el('div', {}, note, el('div', { class: 'scroll', style: opts.height ? `max-height:${opts.height}` : '' }, tableEl));
  const render = () => {
    let list = state.filter ? rows.filter(state.filter) : rows.slice();
    const col = columns.find((c) => c.key === state.key);
    if (col) {
      const v = col.value || ((r) => r[col.key]);
      list.sort((a, b) => {
        const x = v(a), y = v(b);
        let d;
        if (col.num) d = (x === null || x === undefined ? -Infinity : x) - (y === null || y === undefined ? -Infinity : y);
        else d = String(x).localeCompare(String(y));
        return (state.desc ? -d : d) || (opts.tie ? opts.tie(a, b) : 0);
      });
    }
    const shown = list.slice(0, state.limit);
    const head = el('tr', {}, columns.map((c) => el('th', {
      class: 'sortable' + (c.num ? ' num' : '') + (c.key === state.key ? (state.desc ? ' sorted-desc' : ' sorted-asc') : ''),
      dataset: { key: c.key }, title: 'sort by ' + c.label,
      onclick: () => {
        if (state.key === c.key) state.desc = !state.desc;
        else { state.key = c.key; state.desc = !!c.num; }
        render();
      },
    }, c.label)));
    const body = shown.map((r) => el('tr', { class: opts.onrow ? 'clickable' : '', dataset: opts.rowData ? opts.rowData(r) : {},
      onclick: opts.onrow ? () => opts.onrow(r) : null },
    columns.map((c) => el('td', { class: c.num ? 'num' : c.cls || '' }, c.render ? c.render(r) : fmt((c.value || ((x) => x[c.key]))(r))))));
    tableEl.replaceChildren(el('thead', {}, head), el('tbody', {}, body));
    note.replaceChildren(opts.note ? opts.note(list.length, shown.length) : '');
    if (state.filter && opts.onfilter) note.append(' ', el('a', { href: '#', onclick: (e) => { e.preventDefault(); state.filter = null; render(); } }, 'show all'));
  };
  render();
  return { wrap, state, render, element: tableEl };
}

// ---- sections ----

const main = $('main');
const section = (id, title, ...body) => el('section', { id }, el('h2', {}, el('a', { href: '#' + id }, title)), ...body);

function header() {
  const sus = (D.suspicious || []).length;
  const problems = (D.problems || {}).total || 0;
  return [
    el('h1', {}, listed ? 'Dataset report: ' : 'Window report: ', D.report.path, ' ', el('span', { class: 'muted' }, `(${D.report.format})`)),
    el('p', { id: 'summary' }, `${fmt(N)} ${listed ? 'images' : 'frames'}, ${fmt(D.objects)} objects, ${fmt(classes.filter((c) => c.images > 0).length)} classes, `,
      listed ? `${fmt(sus)} suspicious annotations, ${fmt(problems)} import problems. `
        : `window ${D.window.start || ''} … ${D.window.end || ''}. `,
      el('span', { class: 'muted' }, `predwatch ${D.report.version}`)),
    el('nav', { class: 'toc' }, [...(D.confusion ? [['model-errors', 'Model errors']] : []), ['balance', 'Class balance'], ['cooccurrence', 'Co-occurrence'], ['heatmaps', 'Spatial heatmaps'],
      ['objects', 'Objects per image'], ['sizes', 'Object sizes'], ['image-table', 'Images'], ['suspicious', 'Suspicious']]
      .map(([id, t]) => el('a', { href: '#' + id }, t))),
  ];
}

function balance() {
  const max = Math.max(1, ...classes.map((c) => c.images));
  const t = sortableTable('balance-table', [
    { key: 'name', label: 'class' },
    { key: 'images', label: 'images', num: true },
    { key: 'share', label: '% of images', num: true, value: (c) => c.images / (N || 1), render: (c) => pct(c.images / (N || 1)) },
    { key: 'objects', label: 'objects', num: true },
    { key: 'avg_count_on_image', label: 'objects per image with it', num: true },
    { key: 'avg_area_pct', label: 'area % (union, per image)', num: true },
    { key: 'bar', label: 'images', value: (c) => c.images, num: true, render: (c) => el('div', { class: 'bar-w', style: `width:${(100 * c.images) / max}%;height:10px` }) },
  ], classes, { sortKey: 'images', onrow: (c) => panel.show(`${unit} with ${c.name}`, withClass(c.name), ['class', c.name]),
    rowData: (c) => ({ cls: c.name }), height: '420px' });
  t.element.classList.add('bars');
  return section('balance', 'Class balance', el('p', { class: 'muted' }, 'Click a row for its images; click a header to sort.'), t.wrap);
}

class Matrix {
  constructor() {
    this.view = 'counts';
    this.sort = 'frequency';
    this.canvas = el('canvas', { id: 'matrix', width: 10, height: 10, tabindex: 0, 'aria-label': 'co-occurrence matrix' });
    this.canvas.addEventListener('mousemove', (e) => this.hover(e));
    this.canvas.addEventListener('mouseleave', (e) => tip(e, null));
    this.canvas.addEventListener('click', (e) => { const c = this.cellAt(e); if (c) this.open(c.a, c.b); });
    this.canvas.addEventListener('keydown', (e) => this.key(e));
    this.canvas.addEventListener('focus', () => this.showCursor());
    this.cursorBox = el('div', { id: 'matrix-cursor' });
    this.controls = el('div', { class: 'controls' });
    this.legend = el('div', { class: 'legend' });
  }
  element() {
    this.draw();
    return section('cooccurrence', 'Co-occurrence', this.controls, el('div', { id: 'matrix-wrap' }, this.canvas, this.cursorBox), this.legend);
  }
  // Keyboard: arrows move a cursor over the matrix (Shift: 10 cells), Home goes to the first
  // cell, Enter or Space lists the cell's images.
  key(e) {
    const m = this.m;
    const n = m.names.length;
    if (!n) return;
    let r = this.cursor ? Math.max(0, m.names.indexOf(this.cursor.a)) : 0;
    let c = this.cursor ? Math.max(0, m.names.indexOf(this.cursor.b)) : 0;
    const step = e.shiftKey ? 10 : 1;
    if (e.key === 'ArrowUp') r -= step;
    else if (e.key === 'ArrowDown') r += step;
    else if (e.key === 'ArrowLeft') c -= step;
    else if (e.key === 'ArrowRight') c += step;
    else if (e.key === 'Home') r = c = 0;
    else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      if (this.cursor) this.open(this.cursor.a, this.cursor.b);
      return;
    } else return;
    e.preventDefault();
    r = Math.max(0, Math.min(n - 1, r));
    c = Math.max(0, Math.min(n - 1, c));
    this.cursor = { a: m.names[r], b: m.names[c] };
    this.showCursor();
  }
  showCursor() {
    const m = this.m;
    if (!m || !this.cursor) return;
    const i = m.names.indexOf(this.cursor.a), j = m.names.indexOf(this.cursor.b);
    if (i < 0 || j < 0) { this.cursorBox.style.display = 'none'; return; }
    const size = Math.max(m.cell, 4);
    const x = m.margin + j * m.cell + m.cell / 2, y = m.margin + i * m.cell + m.cell / 2;
    Object.assign(this.cursorBox.style, { display: 'block', left: x - size / 2 + 'px', top: y - size / 2 + 'px', width: size + 'px', height: size + 'px' });
    this.cursorBox.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    const r = this.canvas.getBoundingClientRect();
    this.hover({ clientX: r.left + x, clientY: r.top + y });
    PR.matrix.cursor = this.cursor;
  }
  draw() {
    const seg = (label, options, value, set) => el('span', { class: 'seg' }, el('label', {}, label + ' '), options.map((o) =>
      el('a', { href: '#cooccurrence', class: o === value ? 'on' : '', dataset: { option: o }, onclick: (e) => { e.preventDefault(); set(o); this.draw(); } }, o)));
    this.controls.replaceChildren(
      seg('view', ['counts', 'lift'], this.view, (o) => { this.view = o; }),
      seg('sort', ['frequency', 'name'], this.sort, (o) => { this.sort = o; }));
    let names = classes.filter((c) => c.images > 0).map((c) => c.name);
    if (this.sort === 'name') names = names.slice().sort((a, b) => a.localeCompare(b));
    const n = names.length;
    const cell = Math.max(2, Math.min(18, Math.floor(1000 / Math.max(1, n))));
    const labels = cell >= 8;
    const margin = labels ? 110 : 4;
    const c = this.canvas;
    c.width = margin + n * cell + 2;
    c.height = margin + n * cell + 2;
    const g = c.getContext('2d');
    g.fillStyle = '#fff';
    g.fillRect(0, 0, c.width, c.height);
    let maxRate = 0;
    for (const a of names) maxRate = Math.max(maxRate, pairCount(a, a) / (N || 1));
    const value = (a, b) => {
      const count = pairCount(a, b);
      const na = pairCount(a, a), nb = pairCount(b, b);
      const expected = N ? (na * nb) / N : 0;
      return { count, expected, lift: a !== b && expected > 0 ? count / expected : null };
    };
    const drawn = [];
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const v = value(names[i], names[j]);
        let col = null;
        if (this.view === 'counts') col = v.count > 0 ? seqColor(logScale(v.count / (N || 1), maxRate)) : null;
        else if (i === j) col = v.count > 0 ? [200, 200, 200] : null;
        else if (v.count > 0 || v.expected >= 1) {
          const evidence = Math.min(1, Math.max(v.count, v.expected) / 10);
          col = divColor((evidence * Math.log2(Math.max(v.lift || 0, 1 / 64))) / 4);
        }
        if (v.count > 0 && i <= j) drawn.push([names[i], names[j], v.count]);
        if (!col) continue;
        g.fillStyle = rgb(col);
        g.fillRect(margin + j * cell, margin + i * cell, cell, cell);
      }
    }
    if (labels) {
      g.fillStyle = '#333';
      g.font = `${Math.min(12, cell - 1)}px system-ui, sans-serif`;
      g.textBaseline = 'middle';
      for (let i = 0; i < n; i++) {
        const t = names[i].length > 16 ? names[i].slice(0, 15) + '…' : names[i];
        g.textAlign = 'right';
        g.fillText(t, margin - 4, margin + i * cell + cell / 2);
        g.save();
        g.translate(margin + i * cell + cell / 2, margin - 4);
        g.rotate(-Math.PI / 2);
        g.textAlign = 'left';
        g.fillText(t, 0, 0);
        g.restore();
      }
    }
    g.strokeStyle = '#dde';
    g.lineWidth = 0.5;
    g.strokeRect(margin, margin, n * cell, n * cell);
    this.m = { names, cell, margin, value };
    PR.matrix = {
      view: this.view, sort: this.sort, names, cell, margin, drawn,
      count: (a, b) => pairCount(a, b),
      center: (a, b) => {
        const i = names.indexOf(a), j = names.indexOf(b);
        if (i < 0 || j < 0) return null;
        return { x: margin + j * cell + cell / 2, y: margin + i * cell + cell / 2 };
      },
    };
    this.showCursor();
    this.legend.replaceChildren(this.view === 'lift'
      ? 'lift = images with both / images expected with both if the classes were independent (images with a × images with b / all images): blue below 1, white 1, red above (4× and more: full red); faint when fewer than 10 images are seen or expected.'
      : `${fmt(N)} images; darker = on more images (log scale); the diagonal counts images with the class.`,
    ` ${n} classes, ${drawn.length} non-empty cells. Hover for counts, click a cell for its images (keyboard: arrows, Enter).`);
  }
  cellAt(evt) {
    const m = this.m;
    const r = this.canvas.getBoundingClientRect();
    const x = evt.clientX - r.left - m.margin, y = evt.clientY - r.top - m.margin;
    const j = Math.floor(x / m.cell), i = Math.floor(y / m.cell);
    if (x < 0 || y < 0 || i >= m.names.length || j >= m.names.length) return null;
    return { a: m.names[i], b: m.names[j] };
  }
  hover(evt) {
    const c = this.cellAt(evt);
    if (!c) return tip(evt, null);
    const v = this.m.value(c.a, c.b);
    let text = c.a === c.b ? `${c.a}\n${fmt(v.count)} images (${pct(v.count / (N || 1))})`
      : `${c.a} + ${c.b}\n${fmt(v.count)} images with both (${pct(v.count / (N || 1))})\nexpected if independent: ${fmt(v.expected)}`;
    if (v.lift !== null) text += `\nlift: ${fmt(v.lift)}×`;
    tip(evt, text);
  }
  open(a, b) {
    if (a === b) panel.show(`${unit} with ${a}`, withClass(a), ['class', a]);
    else panel.show(`${unit} with ${a} + ${b}`, withPair(a, b), exemplarsAt(['pair', b, a]) ? ['pair', b, a] : ['pair', a, b]);
  }
}

function classSelect(id, onchange) {
  return el('select', { id, onchange: (e) => onchange(e.target.value) },
    classes.filter((c) => c.objects > 0).map((c) => el('option', { value: c.name }, c.name)));
}

function heatmaps() {
  const G = (D.layout || {}).heatmap_grid || 16;
  const px = Math.max(3, Math.floor(96 / G));
  const shown = classes.filter((c) => c.objects > 0).slice(0, 200);
  const figs = shown.map((c) => {
    const h = ((D.class_tables[c.name] || {}).heatmap || []);
    const max = Math.max(1, ...h);
    const cv = el('canvas', { width: G * px, height: G * px, dataset: { cls: c.name } });
    const g = cv.getContext('2d');
    g.fillStyle = '#fff';
    g.fillRect(0, 0, G * px, G * px);
    for (let k = 0; k < G * G; k++) {
      if (!h[k]) continue;
      g.fillStyle = rgb(seqColor(0.1 + 0.9 * h[k] / max));
      g.fillRect((k % G) * px, Math.floor(k / G) * px, px, px);
    }
    const at = (e) => {
      const r = cv.getBoundingClientRect();
      const col = Math.floor((e.clientX - r.left) / px), row = Math.floor((e.clientY - r.top) / px);
      return row >= 0 && col >= 0 && row < G && col < G ? { row, col, k: row * G + col } : null;
    };
    cv.addEventListener('mousemove', (e) => {
      const p = at(e);
      tip(e, p ? `${c.name}, row ${p.row}, col ${p.col}: ${fmt(h[p.k] || 0)} box centres` : null);
    });
    cv.addEventListener('mouseleave', (e) => tip(e, null));
    cv.addEventListener('click', (e) => {
      const p = at(e);
      if (!p) return;
      const id = classNames.indexOf(c.name);
      panel.show(`${c.name} centred in row ${p.row}, col ${p.col}`,
        images.filter((i) => i.boxes.some((b) => b[0] === id && b[1] === p.k)), ['cell', c.name, String(p.k)]);
    });
    return el('figure', {}, cv, el('figcaption', { title: c.name }, `${c.name} (${fmt(c.objects)})`));
  });
  return section('heatmaps', 'Spatial heatmaps',
    el('p', { class: 'muted' }, `Where box centres fall, ${G}×${G} cells per class, darker = more boxes (each class on its own scale).`,
      shown.length < classes.length ? ` The ${shown.length} classes on most images.` : '', ' Click a cell for its images.'),
    el('div', { class: 'small-multiples' }, figs));
}

function histogram(id, cols, height = 110) {
  // cols: [{label, value, title, onclick}]
  const max = Math.max(1e-9, ...cols.map((c) => c.value));
  return [el('div', { class: 'histo', id, style: `height:${height + 10}px` }, cols.map((c, k) => el('div', {
    class: 'col' + (c.onclick ? '' : ' static'), title: c.title, dataset: { bucket: c.label, index: k }, onclick: c.onclick,
  }, el('div', { class: 'bar-w', style: `height:${(height * c.value) / max}px` })))),
  el('div', { class: 'histo-labels' }, cols.map((c) => el('span', {}, c.label)))];
}

function objects() {
  // Objects per image, from the images themselves (every image, exact).
  const byCount = new Map();
  for (const img of images) byCount.set(img.objects, (byCount.get(img.objects) || 0) + 1);
  const maxCount = Math.max(0, ...byCount.keys());
  const cap = Math.min(maxCount, 40);
  const overall = [];
  // A window: the per-frame histogram of its tables (last bucket ">=M").
  if (!listed) {
    for (const [k, v] of Object.entries((D.per_image || {}).objects || {})) {
      const label = k.startsWith('>=') ? `≥${k.slice(2)}` : k;
      overall.push({ label, value: v, title: `${fmt(v)} frames with ${label} objects`, onclick: () => panel.show(`frames with ${label} objects`, []) });
    }
  }
  for (let k = 0; listed && k <= cap; k++) {
    const last = k === cap && maxCount > cap;
    const match = (i) => (last ? i.objects >= k : i.objects === k);
    const v = last ? images.filter(match).length : byCount.get(k) || 0;
    const label = last ? `≥${k}` : String(k);
    overall.push({ label, value: v, title: `${fmt(v)} images with ${label} objects`,
      onclick: () => panel.show(`images with ${label} objects`, images.filter(match)) });
  }
  const perClass = el('div');
  const drawClass = (cls) => {
    const dist = (D.objects_distribution || {})[cls] || {};
    const cols = Object.entries(dist).filter(([k]) => k !== '0').map(([k, v]) => {
      const ge = k.startsWith('>=');
      const n = Number(ge ? k.slice(2) : k);
      const match = (i) => (ge ? (i.counts[cls] || 0) >= n : (i.counts[cls] || 0) === n);
      const label = ge ? `≥${n}` : k;
      return { label, value: v, title: `${fmt(v)} images with ${label} ${cls}`,
        onclick: () => panel.show(`${unit} with ${label} ${cls}`, images.filter(match), ['count', cls, k]) };
    });
    perClass.replaceChildren(el('p', { class: 'muted' }, `${cls}: images by the number of ${cls} objects on them (images without it left out). Click a bar for its images.`),
      ...histogram('class-objects-histogram', cols));
  };
  const sel = classSelect('objects-class', drawClass);
  if (sel.value) drawClass(sel.value);
  return section('objects', 'Objects per image',
    el('p', { class: 'muted' }, 'All images by their number of objects. Click a bar for its images.'),
    ...histogram('objects-histogram', overall),
    el('div', { class: 'controls' }, el('label', { for: 'objects-class' }, 'per class:'), sel), perClass);
}

function sizes() {
  const body = el('div', { class: 'shapes' });
  const S = (D.layout || {}).size_bins || 20;
  const edge = (k) => ((k / S) ** 2 * 100).toFixed(k && k < S ? 1 : 0) + '%';
  // A box's bin, as StatsLayout::size_bin: floor(S * sqrt(v)), the last bin closed. From
  // the boxes as listed (rounded to 1e-4), so a box on a bin edge may list in the next bin.
  const bin = (v) => Math.min(S - 1, Math.max(0, Math.floor(S * Math.sqrt(Math.max(0, v)))));
  const measure = {
    width: (b) => b[4] - b[2],
    height: (b) => b[5] - b[3],
    area: (b) => (b[4] - b[2]) * (b[5] - b[3]),
  };
  const draw = (cls) => {
    const t = D.class_tables[cls] || {};
    const id = classNames.indexOf(cls);
    body.replaceChildren(...[['width', 'width (of the image width)'], ['height', 'height (of the image height)'], ['area', 'area (of the image)']].map(([f, title]) => {
      const h = t[f] || [];
      const total = h.reduce((a, b) => a + b, 0);
      const cols = h.map((v, k) => ({ label: '', value: v, title: `${edge(k)}–${edge(k + 1)}: ${fmt(v)} boxes (${pct(v / (total || 1))})`,
        onclick: () => panel.show(`${unit} with a ${cls} box of ${f} ${edge(k)}–${edge(k + 1)}`,
          images.filter((i) => i.boxes.some((b) => b[0] === id && bin(measure[f](b)) === k)), [f, cls, String(k)]) }));
      return el('figure', {}, ...histogram(`${f}-histogram`, cols, 70), el('figcaption', {}, `${title}: ${edge(0)} … ${edge(S)} (square-root bins); ${fmt(total)} ${cls} boxes`));
    }));
  };
  const sel = classSelect('sizes-class', draw);
  if (sel.value) draw(sel.value);
  return section('sizes', 'Object sizes', el('div', { class: 'controls' }, el('label', { for: 'sizes-class' }, 'class:'), sel), body);
}

// Suspicious findings per image name (the QA checks: duplicate boxes, degenerate boxes, ...).
const findingsOf = new Map();
for (const s of D.suspicious || []) findingsOf.set(s.image, (findingsOf.get(s.image) || 0) + 1);

const table = {
  build() {
    this.t = sortableTable('image-table', [
      { key: 'name', label: 'image' },
      { key: 'objects', label: 'objects', num: true },
      { key: 'classes', label: 'classes', num: true },
      { key: 'covered_pct', label: 'covered %', num: true, render: (r) => r.covered_pct.toFixed(2) },
      { key: 'min_box_pct', label: 'smallest box %', num: true, render: (r) => (r.min_box_pct === null ? '' : r.min_box_pct.toFixed(4)) },
      { key: 'suspicious', label: 'suspicious', num: true, value: (r) => findingsOf.get(r.name) || 0 },
      { key: 'max_same', label: 'most of one class', num: true, value: (r) => Math.max(0, ...Object.values(r.counts)) },
      { key: 'width', label: 'width', num: true },
      { key: 'height', label: 'height', num: true },
      { key: 'counts', label: 'objects by class', cls: 'counts', value: countsText, render: countsText },
    ], images, {
      limit: 1000, height: '600px', onfilter: true,
      rowData: (r) => ({ image: r.name }),
      note: (all, shown) => `${fmt(all)} images${shown < all ? `, the first ${fmt(shown)} shown` : ''}. Click a header to sort (again: reverse).`,
    });
    this.filter = el('input', { id: 'image-filter', type: 'search', placeholder: 'image name or class', oninput: () => {
      const q = this.filter.value.trim().toLowerCase();
      this.t.state.filter = q ? (r) => r.name.toLowerCase().includes(q) || Object.keys(r.counts).some((c) => c.toLowerCase() === q) : null;
      this.t.render();
    } });
    if (!listed) return section('image-table', 'Images', el('p', { class: 'muted' }, noList));
    return section('image-table', 'Images', el('div', { class: 'controls' }, el('label', { for: 'image-filter' }, 'filter:'), this.filter), this.t.wrap);
  },
  find(name) {
    if (!this.filter) return;
    this.filter.value = name;
    this.t.state.filter = (r) => r.name === name;
    this.t.render();
    $('image-table').scrollIntoView({ block: 'start' });
  },
};

function suspicious() {
  const list = D.suspicious || [];
  const byReason = new Map();
  for (const s of list) byReason.set(s.reason, (byReason.get(s.reason) || 0) + 1);
  const t = sortableTable('suspicious-table', [
    { key: 'image', label: 'image' }, { key: 'reason', label: 'reason' }, { key: 'class', label: 'class' }, { key: 'detail', label: 'detail', cls: 'muted' },
  ], list, { onrow: (s) => table.find(s.image), height: '420px' });
  const problems = D.problems || {};
  if (!listed) return section('suspicious', 'Suspicious annotations', el('p', { class: 'muted' }, 'The QA checks run over datasets (predwatch dataset report), not over live windows.'));
  return section('suspicious', 'Suspicious annotations',
    el('p', {}, list.length ? [...byReason].map(([r, n]) => `${r}: ${fmt(n)}`).join(' · ') : 'None found.',
      el('span', { class: 'muted' }, ' Click a row to find the image in the table.')),
    list.length ? t.wrap : '',
    problems.total ? el('p', { class: 'muted' }, `Import problems: ${fmt(problems.total)}; skipped ${fmt(problems.skipped_images)} images, ${fmt(problems.skipped_objects)} objects. `,
      (problems.messages || []).slice(0, 20).join(' · ')) : '');
}


// Predictions against their ground truth (`--format coco-results --ground-truth`): the
// confusion matrix of IoU-matched boxes (daemon/cli/confusion_matrix.h) with a "missed"
// column and a "spurious" row, precision and recall per class. A cell lists its images.
function confusion() {
  const C = D.confusion;
  const byName = new Map(images.map((i) => [i.name, i]));
  const imagesOf = (names) => names.map((n) => byName.get(n) || { name: n, objects: 0, counts: {} });
  const NONE = '\u2205';  // row: no truth box (spurious); column: no prediction (missed)
  const cells = new Map();  // "truth\u0000predicted" -> cell
  const key = (t, p) => `${t === null ? NONE : t}\u0000${p === null ? NONE : p}`;
  for (const c of C.cells) cells.set(key(c.truth, c.predicted), c);
  const names = C.classes.filter((_, k) => C.per_class[k].truth > 0 || C.per_class[k].predicted > 0);
  const rows = [...names, null], cols = [...names, null];
  const n = rows.length;
  const cell = Math.max(3, Math.min(16, Math.floor(1000 / n)));
  const labels = cell >= 8;
  const margin = labels ? 120 : 4;
  const canvas = el('canvas', { id: 'confusion-matrix', width: margin + n * cell + 2, height: margin + n * cell + 2, 'aria-label': 'confusion matrix' });
  const g = canvas.getContext('2d');
  g.fillStyle = '#fff';
  g.fillRect(0, 0, canvas.width, canvas.height);
  let max = 1;
  for (const c of C.cells) max = Math.max(max, c.boxes);
  const shade = (v) => 0.1 + 0.9 * Math.log1p(v) / Math.log1p(max);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const c = cells.get(key(rows[i], cols[j]));
      if (!c) continue;
      const t = shade(c.boxes);
      g.fillStyle = i === j ? `rgb(${Math.round(255 - t * 220)},${Math.round(255 - t * 100)},${Math.round(255 - t * 200)})`
        : rgb(divColor(t));
      g.fillRect(margin + j * cell, margin + i * cell, cell, cell);
    }
  }
  g.strokeStyle = '#889';
  g.lineWidth = 1;
  g.strokeRect(margin, margin, n * cell, n * cell);
  g.beginPath();
  g.moveTo(margin + (n - 1) * cell, margin);
  g.lineTo(margin + (n - 1) * cell, margin + n * cell);
  g.moveTo(margin, margin + (n - 1) * cell);
  g.lineTo(margin + n * cell, margin + (n - 1) * cell);
  g.stroke();
  if (labels) {
    g.fillStyle = '#333';
    g.font = `${Math.min(12, cell - 1)}px system-ui, sans-serif`;
    g.textBaseline = 'middle';
    for (let i = 0; i < n; i++) {
      const r = rows[i] === null ? 'spurious (no truth)' : rows[i];
      const c = cols[i] === null ? 'missed (no prediction)' : cols[i];
      g.textAlign = 'right';
      g.fillText(r.length > 18 ? r.slice(0, 17) + '…' : r, margin - 4, margin + i * cell + cell / 2);
      g.save();
      g.translate(margin + i * cell + cell / 2, margin - 4);
      g.rotate(-Math.PI / 2);
      g.textAlign = 'left';
      g.fillText(c.length > 18 ? c.slice(0, 17) + '…' : c, 0, 0);
      g.restore();
    }
  }
  const at = (e) => {
    const r = canvas.getBoundingClientRect();
    const x = e.clientX - r.left - margin, y = e.clientY - r.top - margin;
    const i = Math.floor(y / cell), j = Math.floor(x / cell);
    if (x < 0 || y < 0 || i >= n || j >= n) return null;
    return { t: rows[i], p: cols[j] };
  };
  const what = (t, p) => (t === null ? `spurious ${p} (no truth box)` : p === null ? `missed ${t} (no prediction)`
    : t === p ? `${t} found` : `${t} predicted as ${p}`);
  canvas.addEventListener('mousemove', (e) => {
    const c = at(e);
    if (!c) return tip(e, null);
    const v = cells.get(key(c.t, c.p));
    tip(e, `${what(c.t, c.p)}\n${fmt(v ? v.boxes : 0)} boxes on ${fmt(v ? v.images.length : 0)} images`);
  });
  canvas.addEventListener('mouseleave', (e) => tip(e, null));
  const open = (t, p) => {
    const v = cells.get(key(t, p));
    panel.show(what(t, p), imagesOf(v ? v.images : []));
  };
  canvas.addEventListener('click', (e) => { const c = at(e); if (c && !(c.t === null && c.p === null)) open(c.t, c.p); });
  PR.confusion = {
    rows, cols, cell, margin,
    boxes: (t, p) => { const v = cells.get(key(t, p)); return v ? v.boxes : 0; },
    center: (t, p) => {
      const i = rows.indexOf(t), j = cols.indexOf(p);
      return i < 0 || j < 0 ? null : { x: margin + j * cell + cell / 2, y: margin + i * cell + cell / 2 };
    },
  };
  const perClass = C.per_class.filter((c) => c.truth > 0 || c.predicted > 0).map((c) => ({
    ...c,
    missed: (cells.get(key(c.name, null)) || { boxes: 0 }).boxes,
    spurious: (cells.get(key(null, c.name)) || { boxes: 0 }).boxes,
  }));
  const t = sortableTable('precision-table', [
    { key: 'name', label: 'class' },
    { key: 'truth', label: 'truth boxes', num: true },
    { key: 'predicted', label: 'predictions', num: true },
    { key: 'tp', label: 'found', num: true },
    { key: 'missed', label: 'missed', num: true },
    { key: 'spurious', label: 'spurious', num: true },
    { key: 'precision', label: 'precision', num: true, render: (c) => (c.precision === null ? '' : c.precision.toFixed(3)) },
    { key: 'recall', label: 'recall', num: true, render: (c) => (c.recall === null ? '' : c.recall.toFixed(3)) },
  ], perClass, { sortKey: 'truth', onrow: (c) => open(c.name, null), rowData: (c) => ({ cls: c.name }), height: '420px' });
  return section('model-errors', 'Model errors',
    el('p', { class: 'muted' }, `Predictions scoring ≥ ${C.min_score} matched one-to-one to ground-truth boxes at IoU ≥ ${C.iou} (largest IoU first, any classes). `,
      'Rows: the true class; columns: the predicted class; green: found, red: confused, missed (last column) or spurious (last row). Hover for counts, click a cell for its images.'),
    el('div', { id: 'confusion-wrap', style: 'overflow:auto;max-height:80vh' }, canvas),
    el('h3', {}, 'Precision and recall per class'),
    el('p', { class: 'muted' }, 'Click a row for the images where the class is missed.'), t.wrap);
}

// ---- start ----

try {
  const matrix = new Matrix();
  main.append(...header());
  if (D.confusion) main.append(confusion());
  main.append(balance(), matrix.element(), heatmaps(), objects(), sizes(), table.build(), suspicious());
  $('images-close').addEventListener('click', () => panel.hide());
  document.addEventListener('keydown', (e) => { if (e.key === 'Escape') panel.hide(); });
  document.title = `predwatch report · ${D.report.path}`;
  PR.ready = true;
} catch (e) {
  PR.errors.push(String(e && e.stack ? e.stack : e));
  main.append(el('p', { class: 'err' }, 'The report could not be drawn: ' + e.message));
  throw e;
}
