// predwatch web view: plain JS over the JSON API (/api/v1, docs/WEB.md). Every view has a
// URL (hash routes):
//   #/streams                                   streams: health, fill, rate, last event, alerts
//   #/stream/{stream}/window/{window}[?view=window|baseline|lift&sort=frequency|name|baseline
//                                      &class=C]  a window: balance, matrix, heatmaps, drift
//   #/alerts[?stream=S]                         pending and firing alerts with their evidence
// Data refreshes every few seconds without reloading the page. Clicking a matrix cell, a bar
// or a heatmap cell lists the exemplar frames behind it (the exemplars API).
'use strict';

const PW = { errors: [], lastRender: null };
window.predwatch = PW;  // state for people debugging and for the browser test
window.addEventListener('error', (e) => PW.errors.push(String(e.message)));
window.addEventListener('unhandledrejection', (e) => PW.errors.push(String(e.reason)));

const REFRESH_MS = 3000;
const enc = encodeURIComponent;
const $ = (id) => document.getElementById(id);
const num = (v) => (v === undefined || v === null || v === '' ? 0 : Number(v));

class ApiError extends Error {
  constructor(message, status) { super(message); this.status = status; }
}

// With a read token configured (grpc.auth), the API wants `Authorization: Bearer <token>`:
// the page asks for it once on the first 401 and keeps it for this tab (sessionStorage).
let token = sessionStorage.getItem('predwatch-token') || '';
let tokenAsked = false;

async function api(path) {
  let r;
  try {
    r = await fetch(path, { cache: 'no-store', headers: token ? { Authorization: 'Bearer ' + token } : {} });
  } catch (e) {
    throw new ApiError(`predwatchd does not answer (${e.message}); retrying every ${REFRESH_MS / 1000} s`, 0);
  }
  if (r.status === 401 && !tokenAsked) {
    tokenAsked = true;
    const t = window.prompt('predwatchd asks for its API read token (grpc.auth read or write token):', '');
    if (t && t.trim()) {
      token = t.trim();
      sessionStorage.setItem('predwatch-token', token);
      return api(path);
    }
  }
  let body;
  try { body = await r.json(); } catch (e) { throw new ApiError(`${path}: not JSON (${r.status})`, r.status); }
  if (!r.ok) throw new ApiError(body && body.error ? body.error.message : `HTTP ${r.status}`, r.status);
  return body;
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k === 'style') e.style.cssText = v;  // CSSOM: allowed by the page's CSP
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

// Replaces `container`'s children, keeping the scroll offsets of its scrollable boxes
// (.scroll, in order), so a refresh every few seconds does not jump a table back to the top.
function replaceKeepingScroll(container, ...children) {
  const offsets = [...container.querySelectorAll('.scroll')].map((e) => [e.scrollTop, e.scrollLeft]);
  container.replaceChildren(...children);
  [...container.querySelectorAll('.scroll')].forEach((e, i) => {
    if (offsets[i]) [e.scrollTop, e.scrollLeft] = offsets[i];
  });
}

function fmt(v, digits = 3) {
  if (v === undefined || v === null || v === '') return '';
  if (typeof v === 'string' && isNaN(Number(v))) return v;
  const x = Number(v);
  if (!isFinite(x)) return String(v);
  if (Number.isInteger(x)) return x.toLocaleString('en-US');
  if (Math.abs(x) >= 1000) return x.toFixed(0);
  if (Math.abs(x) > 0 && Math.abs(x) < 0.001) return x.toExponential(2);
  return x.toPrecision(digits);
}
const pct = (x) => (isFinite(x) ? (100 * x).toFixed(x < 0.1 ? 2 : 1) + '%' : '');
function age(ts) {
  if (!ts) return '';
  const s = (Date.now() - Date.parse(ts)) / 1000;
  if (!isFinite(s)) return '';
  if (s < 0) return 'in the future';
  if (s < 120) return `${s.toFixed(0)} s ago`;
  if (s < 7200) return `${(s / 60).toFixed(0)} min ago`;
  return `${(s / 3600).toFixed(1)} h ago`;
}
const subjectText = (s) => (s && s.length ? s.join(' + ') : '(stream)');
const stateName = (s) => String(s || '').replace(/^STATE_/, '').toLowerCase();

// ---- routing ----

function route() {
  const h = location.hash.replace(/^#/, '') || '/streams';
  const q = h.indexOf('?');
  const path = q < 0 ? h : h.slice(0, q);
  const params = new URLSearchParams(q < 0 ? '' : h.slice(q + 1));
  const seg = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { seg, params };
}
function hashFor(seg, params) {
  const p = params && [...params].length ? '?' + params.toString() : '';
  return '#/' + seg.map(enc).join('/') + p;
}
function withParam(key, value) {
  const { seg, params } = route();
  const p = new URLSearchParams(params);
  if (value === null) p.delete(key); else p.set(key, value);
  return hashFor(seg, p);
}

let current = null;  // { key, page }
let timer = null;

function status(text, error) {
  const s = $('status');
  s.textContent = text;
  s.className = 'status' + (error ? ' error' : '');
}

async function render() {
  const { seg } = route();
  let key, make;
  if (seg[0] === 'stream' && seg.length >= 2) {
    const stream = seg[1];
    const window = seg[2] === 'window' ? seg[3] || '' : '';
    key = 'stream:' + stream + ':' + window;
    make = () => new WindowPage(stream, window);
  } else if (seg[0] === 'alerts') {
    key = 'alerts';
    make = () => new AlertsPage();
  } else {
    key = 'streams';
    make = () => new StreamsPage();
  }
  document.title = 'predwatch · ' + (seg[0] === 'stream' ? `${seg[1] || ''} / ${seg[3] || ''}`
    : seg[0] === 'alerts' ? 'alerts' : 'streams');
  for (const a of document.querySelectorAll('header nav a')) {
    a.classList.toggle('active', a.id === 'nav-' + (key === 'alerts' ? 'alerts' : 'streams'));
  }
  if (!current || current.key !== key) {
    const main = $('main');
    main.replaceChildren();
    current = { key, page: make() };
    current.page.mount(main);
  }
  await refresh();
}

// One update at a time, always of the current route: a click or a timer tick during an
// update asks for one more pass, so an older, slower answer never paints over a newer view.
let updating = null;
let again = false;
function refresh() {
  if (updating) {
    again = true;
    return updating;
  }
  updating = (async () => {
    do {
      again = false;
      const page = current && current.page;
      if (!page) break;
      const hash = location.hash;
      try {
        await page.update(route().params);
        if (page !== current.page) continue;  // navigated away meanwhile
        status('updated ' + new Date().toLocaleTimeString());
        PW.renderedHash = hash;
        PW.lastRender = Date.now();
      } catch (e) {
        status(e.message, true);
        if (page.showError) page.showError(e);
      }
    } while (again);
  })().finally(() => { updating = null; });
  return updating;
}

function schedule() {
  clearInterval(timer);
  timer = setInterval(() => {
    if ($('live').checked && !document.hidden) refresh();
  }, REFRESH_MS);
}

// ---- exemplars panel ----

const exemplars = {
  async show(title, stream, window, query) {
    const panel = $('exemplars');
    panel.hidden = false;
    $('ex-title').textContent = title;
    $('ex-note').textContent = 'loading…';
    const list = $('ex-list');
    list.replaceChildren();
    const url = `/api/v1/exemplars?stream=${enc(stream)}&window=${enc(window)}&${query}&limit=100`;
    panel.dataset.url = url;
    panel.dataset.state = 'loading';
    try {
      const r = await api(url);
      if (panel.dataset.url !== url) return;  // another click since
      const ex = r.exemplars || [];
      $('ex-note').textContent = ex.length
        ? `${ex.length} most recent frame${ex.length === 1 ? '' : 's'} still in window ${window}`
        : 'no exemplar frames kept for this cell in the window';
      for (const e of ex) {
        const li = el('li', { dataset: { frameId: e.frame_id } }, e.frame_id, ' ',
          el('span', { class: 'muted' }, e.time ? new Date(e.time).toLocaleTimeString() : ''));
        if (e.image_uri) {
          const img = el('img', { src: e.image_uri, alt: e.frame_id, loading: 'lazy' });
          // A link only to http(s): the URI is the producer's data, never a script.
          li.append(/^https?:\/\//i.test(e.image_uri) ? el('a', { href: e.image_uri, target: '_blank', rel: 'noopener noreferrer' }, img) : img);
        }
        list.append(li);
      }
      panel.dataset.state = 'done';
    } catch (e) {
      $('ex-note').textContent = e.message;
      $('ex-note').className = 'err';
      panel.dataset.state = 'error';
    }
  },
  hide() { $('exemplars').hidden = true; },
};

// ---- tooltip ----

function tip(evt, text) {
  const t = $('tooltip');
  if (!text) { t.hidden = true; return; }
  t.textContent = text;
  t.hidden = false;
  t.style.left = Math.min(evt.clientX + 14, window.innerWidth - 260) + 'px';
  t.style.top = evt.clientY + 14 + 'px';
}

// ---- streams page ----

class StreamsPage {
  constructor() { this.prev = new Map(); }
  mount(root) {
    root.append(el('h1', {}, 'Streams'));
    this.body = el('div');
    root.append(this.body);
  }
  async update() {
    const [streams, alerts] = await Promise.all([api('/api/v1/streams'), api('/api/v1/alerts')]);
    const byStream = new Map();
    for (const a of alerts.alerts || []) {
      const s = byStream.get(a.stream) || { firing: 0, pending: 0 };
      if (a.state === 'STATE_FIRING') s.firing++; else if (a.state === 'STATE_PENDING') s.pending++;
      byStream.set(a.stream, s);
    }
    const now = Date.now();
    const list = (streams.streams || []).slice().sort((a, b) => a.stream.localeCompare(b.stream));
    if (!list.length) {
      this.body.replaceChildren(el('p', { class: 'muted' }, 'No streams yet: predwatchd has received no event of a configured stream.'));
      return;
    }
    const rows = list.map((s) => {
      const al = byStream.get(s.stream) || { firing: 0, pending: 0 };
      const prev = this.prev.get(s.stream);
      const applied = num(s.applied_events);
      let rate = '…';
      if (prev && now > prev.t) rate = fmt(((applied - prev.n) * 1000) / (now - prev.t), 3) + '/s';
      this.prev.set(s.stream, { n: applied, t: now });
      const lastAge = s.last_event_time ? (now - Date.parse(s.last_event_time)) / 1000 : Infinity;
      let health = el('span', { class: 'badge ok' }, 'ok');
      if (al.firing) health = el('span', { class: 'badge firing' }, 'firing');
      else if (al.pending) health = el('span', { class: 'badge pending' }, 'pending');
      else if (lastAge > 300) health = el('span', { class: 'badge stale' }, 'no recent events');
      const first = (s.windows && s.windows[0] && s.windows[0].name) || '';
      const ref = s.reference;
      const refText = !ref ? '—' : ref.state === 'STATE_LEARNING'
        ? `learning ${pct(num(ref.progress))} (${fmt(num(ref.frames))} frames)`
        : `${stateName(ref.state)} (${fmt(num(ref.frames))} frames)`;
      return el('tr', { dataset: { stream: s.stream } },
        el('td', {}, el('a', { href: hashFor(['stream', s.stream, 'window', first]) }, s.stream)),
        el('td', {}, health),
        el('td', {}, (s.windows || []).map((w) => el('div', {},
          el('a', { href: hashFor(['stream', s.stream, 'window', w.name]) }, w.name), ' ',
          el('span', { class: 'muted' }, `${fmt(num(w.frames))} frames, ${pct(num(w.fill_ratio))} full`,
            num(w.late_frames) ? `, ${fmt(num(w.late_frames))} late` : '')))),
        el('td', { class: 'num' }, rate),
        el('td', {}, s.last_event_time ? `${new Date(s.last_event_time).toLocaleString()} (${age(s.last_event_time)})` : 'never'),
        el('td', { class: 'num' }, fmt(num(s.classes))),
        el('td', {}, s.has_baseline ? 'yes' : el('span', { class: 'muted' }, 'none')),
        el('td', {}, refText),
        el('td', {}, al.firing || al.pending
          ? el('a', { href: hashFor(['alerts'], new URLSearchParams({ stream: s.stream })) },
            `${al.firing} firing, ${al.pending} pending`)
          : el('span', { class: 'muted' }, 'none')));
    });
    this.body.replaceChildren(el('table', { id: 'streams-table' },
      el('thead', {}, el('tr', {}, ['stream', 'health', 'windows', 'rate', 'last event', 'classes',
        'baseline', 'learned reference', 'alerts'].map((h) => el('th', {}, h)))),
      el('tbody', {}, rows)));
  }
}

// ---- alerts page ----

class AlertsPage {
  mount(root) {
    root.append(el('h1', {}, 'Alerts'));
    this.note = el('p', { class: 'muted' });
    this.timeline = el('div', { class: 'timeline' });
    this.body = el('div');
    root.append(this.note, this.timeline, this.body);
    // Every alert known to the page, by fingerprint: {alert, since, end, state}: from the
    // transitions predwatchd kept (/api/v1/alerts/history) and the alerts seen while the
    // page is open. An alert that leaves the list ends at its transition (resolved or
    // dropped), or at the time the page saw it leave.
    this.history = new Map();
  }

  // Replays the server's transitions (oldest first) into the history.
  applyTransitions(transitions) {
    for (const t of transitions) {
      const a = t.alert;
      const time = Date.parse(t.time) || Date.now();
      const to = stateName(a.state);
      const h = this.history.get(a.fingerprint);
      if (to === 'pending' || to === 'firing') {
        if (!h || (h.end && h.end <= time)) this.history.set(a.fingerprint, { alert: a, since: time, end: null, state: to });
        else if (!h.end) Object.assign(h, { alert: a, state: to });
      } else if (h && time >= h.since && (!h.end || h.end < time)) {
        Object.assign(h, { alert: a, end: time, state: to, note: t.note || '' });
      } else if (!h) {
        this.history.set(a.fingerprint, { alert: a, since: time, end: time, state: to, note: t.note || '' });
      }
    }
  }

  // The timeline: one row per alert known to the page (above), from `since` to now (or to
  // when it left the list), coloured by state; the axis spans the last hour at least.
  renderTimeline(alerts, stream) {
    const now = Date.now();
    const present = new Set();
    for (const a of alerts) {
      present.add(a.fingerprint);
      const since = Date.parse(a.since) || now;
      const h = this.history.get(a.fingerprint);
      if (!h || h.end) this.history.set(a.fingerprint, { alert: a, since, end: null, state: stateName(a.state) });
      else Object.assign(h, { alert: a, since: Math.min(h.since, since), state: stateName(a.state) });
    }
    for (const [fp, h] of this.history) {
      if (!present.has(fp) && !h.end && (!stream || h.alert.stream === stream)) Object.assign(h, { end: now, state: 'resolved' });
    }
    const rows = [...this.history.entries()].filter(([, h]) => !stream || h.alert.stream === stream)
      .sort((x, y) => x[1].since - y[1].since);
    if (!rows.length) { this.timeline.replaceChildren(); return; }
    const start = Math.min(now - 3600e3, ...rows.map(([, h]) => h.since));
    const W = 900, label = 260, rowH = 18, H = 22 + rows.length * rowH;
    const x = (t) => label + ((t - start) / Math.max(1, now - start)) * (W - label - 10);
    const NS = 'http://www.w3.org/2000/svg';
    const svg = (tag, attrs, ...kids) => {
      const e = document.createElementNS(NS, tag);
      for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
      for (const c of kids) e.append(c);
      return e;
    };
    const root = svg('svg', { id: 'alert-timeline', width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'alert timeline' });
    for (let k = 0; k <= 4; k++) {
      const t = start + ((now - start) * k) / 4;
      root.append(svg('line', { x1: x(t), x2: x(t), y1: 14, y2: H, stroke: '#dde' }),
        svg('text', { x: x(t), y: 11, 'font-size': 10, 'text-anchor': k === 4 ? 'end' : 'middle', fill: '#667' },
          now - start > 20 * 3600e3 ? new Date(t).toLocaleString() : new Date(t).toLocaleTimeString()));
    }
    const colors = { firing: '#c62828', pending: '#ef6c00', resolved: '#9aa4b2', dropped: '#cfd5dd' };
    rows.forEach(([fp, h], i) => {
      const y = 18 + i * rowH;
      const a = h.alert;
      const text = `${a.stream} ${a.kind} ${subjectText(a.subject)}`;
      const bar = svg('rect', { x: x(h.since), y: y + 2, width: Math.max(2, x(h.end || now) - x(h.since)), height: rowH - 6,
        fill: colors[h.state] || '#667', rx: 2 });
      const title = svg('title', {});
      title.textContent = `${text}: ${h.state} since ${new Date(h.since).toLocaleString()}` +
        (h.end ? `, left the list at ${new Date(h.end).toLocaleTimeString()}` : '') +
        (h.note ? ` (${h.note})` : '');
      const g = svg('g', { class: 'row', 'data-fingerprint': fp }, title,
        svg('text', { x: label - 6, y: y + rowH / 2 + 3, 'font-size': 11, 'text-anchor': 'end', fill: '#1b1f24' },
          text.length > 40 ? text.slice(0, 39) + '…' : text), bar);
      g.addEventListener('click', () => { location.hash = hashFor(['stream', a.stream, 'window', a.window]); });
      root.append(g);
    });
    this.timeline.replaceChildren(el('div', { class: 'scroll', style: 'max-height:300px' }, root),
      el('p', { class: 'legend' }, 'Timeline of the alerts since predwatchd started (its last 1,000 transitions) and while this page is open: red firing, orange pending, grey resolved, light grey dropped (the stream moved or expired). Click a row for its window.'));
  }
  async update(params) {
    const stream = params.get('stream');
    const only = stream ? 'stream=' + enc(stream) : '';
    const [r, past] = await Promise.all([
      api('/api/v1/alerts' + (only ? '?' + only : '')),
      api('/api/v1/alerts/history?limit=1000' + (only ? '&' + only : '')).catch(() => ({})),
    ]);
    this.applyTransitions(past.transitions || []);
    const alerts = (r.alerts || []).slice().sort((a, b) =>
      (a.state === b.state ? 0 : a.state === 'STATE_FIRING' ? -1 : 1) ||
      String(a.since || '').localeCompare(String(b.since || '')));
    this.note.replaceChildren(stream ? `Stream ${stream}: ` : 'All streams: ',
      `${alerts.filter((a) => a.state === 'STATE_FIRING').length} firing, ` +
      `${alerts.filter((a) => a.state === 'STATE_PENDING').length} pending. `,
      stream ? el('a', { href: '#/alerts' }, 'show all') : '');
    this.renderTimeline(alerts, stream);
    if (!alerts.length) {
      this.body.replaceChildren(el('p', {}, 'No pending or firing alert.'));
      return;
    }
    const rows = alerts.map((a) => {
      const st = stateName(a.state);
      return el('tr', { dataset: { fingerprint: a.fingerprint } },
        el('td', {}, el('span', { class: 'badge ' + st }, st)),
        el('td', {}, a.since ? `${new Date(a.since).toLocaleString()} (${age(a.since)})` : ''),
        el('td', {}, el('a', { href: hashFor(['stream', a.stream, 'window', a.window]) }, a.stream)),
        el('td', {}, a.kind),
        el('td', {}, subjectText(a.subject),
          (a.related_subjects || []).length ? el('div', { class: 'muted' }, 'with ' + a.related_subjects.join(', ')) : ''),
        el('td', {}, a.window, a.against === 'AGAINST_REFERENCE' ? ' vs reference' : ''),
        el('td', { class: 'num' }, `${fmt(a.score)} / ${fmt(a.threshold)}`),
        el('td', { class: 'num' }, a.p_value !== undefined ? fmt(a.p_value) : ''),
        el('td', { class: 'num' }, `${fmt(num(a.window_count))} of ${fmt(num(a.window_frames))}`,
          num(a.expected_count) ? el('div', { class: 'muted' }, `expected ${fmt(a.expected_count)}`) : ''),
        el('td', {}, (a.windows || []).map((w) => el('div', { class: w.over ? 'flagged' : 'muted' },
          `${w.window}: ${fmt(w.score)} / ${fmt(w.threshold)}${w.over ? ' over' : ''}`))),
        el('td', {}, (a.exemplars || []).slice(0, 8).map((f) => el('div', { class: 'muted' }, f)),
          (a.exemplars || []).length > 8 ? el('div', { class: 'muted' }, `… ${a.exemplars.length - 8} more`) : ''),
        el('td', {}, a.summary));
    });
    this.body.replaceChildren(el('div', { class: 'scroll', style: 'max-height:none' }, el('table', { id: 'alerts-table' },
      el('thead', {}, el('tr', {}, ['state', 'since', 'stream', 'kind', 'subject', 'window', 'score / threshold',
        'p-value', 'count', 'windows', 'exemplar frames', 'summary'].map((h) => el('th', {}, h)))),
      el('tbody', {}, rows))));
  }
}

// ---- window page ----

// Colour scales: sequential (white -> blue) on [0, 1]; diverging (blue <- white -> red) on [-1, 1].
function seqColor(t) {
  t = Math.max(0, Math.min(1, t));
  const r = Math.round(255 - t * (255 - 8)), g = Math.round(255 - t * (255 - 69)), b = Math.round(255 - t * (255 - 148));
  return [r, g, b];
}
function divColor(t) {
  t = Math.max(-1, Math.min(1, t));
  if (t >= 0) return [255, Math.round(255 - t * 200), Math.round(255 - t * 200)];
  return [Math.round(255 + t * 200), Math.round(255 + t * 200), 255];
}
const NOVEL = [200, 0, 200];  // a pair the baseline never shows
const rgb = (c) => `rgb(${c[0]},${c[1]},${c[2]})`;

class WindowPage {
  constructor(stream, window) {
    this.stream = stream;
    this.window = window;
    this.baseline = null;
    this.baselineAt = 0;
    this.exemplarsWindow = window;
    this.drawn = new Map();  // section -> the inputs it was last drawn from (unchanged())
  }

  // True when `section` was last drawn from equal inputs. Redrawing it anyway would swap the
  // elements under the pointer at every refresh: a click whose press and release straddle
  // the swap reaches neither element, an open <select> closes, a hovered bar flickers.
  unchanged(section, ...inputs) {
    const key = JSON.stringify(inputs);
    if (this.drawn.get(section) === key) return true;
    this.drawn.set(section, key);
    return false;
  }

  mount(root) {
    this.root = root;
    this.head = el('div');
    this.error = el('p', { class: 'err', hidden: true });
    this.balance = el('div');
    this.matrixControls = el('div', { class: 'controls' });
    this.canvas = el('canvas', { id: 'matrix', width: 10, height: 10, tabindex: 0, 'aria-label': 'co-occurrence matrix' });
    this.matrixLegend = el('div', { class: 'legend' });
    this.cursorBox = el('div', { id: 'matrix-cursor' });
    this.cursor = null;  // {a, b}: the keyboard's cell
    this.classPick = el('div', { class: 'controls' });
    this.heatmaps = el('div', { class: 'heatmaps' });
    this.dist = el('div');
    this.shapes = el('div', { class: 'shapes' });
    this.drift = el('div');
    root.append(this.head, this.error,
      el('div', { class: 'grid2' },
        el('section', {}, el('h2', {}, 'Class balance (window vs baseline)'), this.balance),
        el('section', {}, el('h2', {}, 'Co-occurrence matrix'), this.matrixControls,
          el('div', { id: 'matrix-wrap' }, this.canvas, this.cursorBox), this.matrixLegend)),
      el('h2', {}, 'Per class'), this.classPick,
      el('div', { class: 'grid2' },
        el('section', {}, el('h3', {}, 'Spatial heatmap of box centres'), this.heatmaps),
        el('section', {}, el('h3', {}, 'Objects per image'), this.dist)),
      el('h3', {}, 'Box sizes and confidence (share of the class\'s boxes; window vs baseline; click a bar for its frames)'), this.shapes,
      el('h2', {}, 'Drift findings'), this.drift);
    this.canvas.addEventListener('mousemove', (e) => this.matrixHover(e));
    this.canvas.addEventListener('mouseleave', (e) => tip(e, null));
    this.canvas.addEventListener('click', (e) => this.matrixClick(e));
    this.canvas.addEventListener('keydown', (e) => this.matrixKey(e));
    this.canvas.addEventListener('blur', () => { this.cursorBox.style.display = 'none'; $('tooltip').hidden = true; });
  }

  showError(e) {
    this.error.hidden = false;
    this.error.textContent = e.message;
  }

  async update(params) {
    const s = enc(this.stream);
    const streams = await api('/api/v1/streams');
    const info = (streams.streams || []).find((x) => x.stream === this.stream);
    if (!info) throw new ApiError(`unknown stream '${this.stream}'`, 404);
    if (!this.window) this.window = (info.windows[0] || {}).name || '';
    const w = enc(this.window);
    const wantBaseline = info.has_baseline && (!this.baseline || Date.now() - this.baselineAt > 30000);
    // The learned reference, once complete (it changes only when pinned or reset).
    const refState = info.reference ? info.reference.state : '';
    const hasReference = refState === 'STATE_COMPLETE' || refState === 'STATE_PINNED';
    const wantReference = hasReference && (!this.reference || Date.now() - this.referenceAt > 30000);
    const [stats, drift, baseline, reference] = await Promise.all([
      api(`/api/v1/stats?stream=${s}&window=${w}&section=class_balance&section=cooccurrence`),
      api(`/api/v1/drift?stream=${s}&window=${w}`).catch((e) => ({ error: e })),
      wantBaseline ? api(`/api/v1/baseline?stream=${s}`).catch(() => null) : Promise.resolve(this.baseline),
      wantReference ? api(`/api/v1/baseline?stream=${s}&reference=true`).catch(() => null) : Promise.resolve(this.reference),
    ]);
    if (!info.has_baseline) this.baseline = null;
    else if (wantBaseline && baseline) { this.baseline = baseline; this.baselineAt = Date.now(); }
    if (!hasReference) this.reference = null;
    else if (wantReference && reference) { this.reference = reference; this.referenceAt = Date.now(); }
    this.error.hidden = true;
    this.stats = stats;
    this.params = params;
    this.renderHead(info, stats, drift);
    const classes = stats.stats.classes || [];
    const cls = params.get('class') || (classes[0] && classes[0].name) || '';
    this.renderBalance(stats, cls);
    this.renderMatrix(stats, params);
    this.renderClassPick(classes, cls);
    if (cls) {
      const hm = await api(`/api/v1/stats?stream=${s}&window=${w}&section=heatmaps&section=objects_distribution&section=sizes&section=confidence&class=${enc(cls)}`)
        .catch((e) => ({ error: e }));
      this.renderHeatmaps(hm, cls);
      this.renderDistribution(hm, cls);
      this.renderShapes(hm, cls);
    }
    this.renderDrift(drift);
  }

  baseStats() { return this.baseline && this.baseline.baseline && this.baseline.baseline.stats; }
  refStats() { return this.reference && this.reference.baseline && this.reference.baseline.stats; }

  renderHead(info, stats, drift) {
    const wi = stats.window;
    this.head.replaceChildren(
      el('h1', {}, el('a', { href: '#/streams' }, 'Streams'), ' / ', this.stream, ' / window ', this.window),
      el('div', { class: 'controls' }, el('label', {}, 'window:'), el('span', { class: 'seg' },
        (info.windows || []).map((x) => el('a', {
          href: hashFor(['stream', this.stream, 'window', x.name], route().params), class: x.name === this.window ? 'on' : '',
        }, x.name)))),
      el('p', { class: 'muted' },
        `${fmt(num(wi.frames))} frames, ${pct(num(wi.fill_ratio))} full`,
        wi.start ? `, ${new Date(wi.start).toLocaleString()} – ${new Date(wi.end).toLocaleString()}` : '',
        num(wi.late_frames) ? `, ${fmt(num(wi.late_frames))} late frames` : '',
        `; ${fmt(num(stats.stats.objects))} objects of ${fmt((stats.stats.classes || []).length)} classes`,
        info.has_baseline ? '' : '; no baseline',
        drift && drift.evaluated_at ? `; drift evaluated ${age(drift.evaluated_at)}` : ''));
  }

  renderBalance(stats, selected) {
    const base = this.baseStats();
    const bshare = new Map();
    if (base) for (const c of base.classes || []) bshare.set(c.name, num(c.share));
    // The learned reference's shares, a column of their own ("vs reference").
    const ref = this.refStats();
    const rshare = new Map();
    if (ref) for (const c of ref.classes || []) rshare.set(c.name, num(c.share));
    const classes = (stats.stats.classes || []).map((c) => ({
      name: c.name, images: num(c.images), objects: num(c.objects), share: num(c.share),
      base: bshare.has(c.name) ? bshare.get(c.name) : null,
    }));
    if (base) for (const [name, share] of bshare) {
      if (!classes.some((c) => c.name === name) && share > 0) classes.push({ name, images: 0, objects: 0, share: 0, base: share });
    }
    const sort = (this.params && this.params.get('bsort')) || 'share';
    if (this.unchanged('balance', this.window, selected, sort, classes, ref ? [...rshare] : null)) return;
    classes.sort(sort === 'name' ? (a, b) => a.name.localeCompare(b.name)
      : sort === 'ratio' ? (a, b) => ratio(b) - ratio(a)
      : (a, b) => b.share - a.share || a.name.localeCompare(b.name));
    function ratio(c) { return c.base ? c.share / c.base : c.share > 0 ? Infinity : 0; }
    const max = Math.max(1e-9, ...classes.map((c) => Math.max(c.share, c.base || 0)));
    const th = (label, key, cls) => el('th', { class: 'sortable ' + (cls || ''), title: 'sort',
      onclick: () => { location.hash = withParam('bsort', key); } }, label + (sort === key ? ' ▾' : ''));
    const rows = classes.map((c) => el('tr', {
      class: 'clickable' + (c.name === selected ? ' sel' : ''), dataset: { cls: c.name }, title: 'frames with ' + c.name,
      onclick: () => {
        exemplars.show(`frames with ${c.name}`, this.stream, this.window, 'class=' + enc(c.name));
        location.hash = withParam('class', c.name);
      },
    },
    el('td', {}, c.name),
    el('td', { class: 'num' }, fmt(c.objects)),
    el('td', { class: 'num' }, pct(c.share)),
    el('td', { class: 'num' }, c.base === null ? '—' : pct(c.base)),
    el('td', { class: 'num' }, c.base ? fmt(c.share / c.base) + '×' : c.share > 0 && base ? 'new' : ''),
    ref ? el('td', { class: 'num ref' }, rshare.has(c.name) ? pct(rshare.get(c.name)) : '—') : '',
    el('td', { class: 'bar' }, el('div', { class: 'bar-w', style: `width:${(100 * c.share) / max}%` }),
      c.base !== null ? el('div', { class: 'bar-b', style: `width:${(100 * c.base) / max}%` }) : '')));
    replaceKeepingScroll(this.balance, el('div', { class: 'scroll' }, el('table', { class: 'bars', id: 'balance-table' },
      el('thead', {}, el('tr', {}, th('class', 'name'), el('th', { class: 'num' }, 'objects'), th('share', 'share', 'num'),
        el('th', { class: 'num' }, 'baseline'), th('ratio', 'ratio', 'num'),
        ref ? el('th', { class: 'num', title: "the stream's learned reference (its first frames, or a pinned period)" }, 'reference') : '',
        el('th', {}, el('span', { class: 'bar-w', style: 'display:inline-block;width:10px' }), ' window ',
          el('span', { class: 'bar-b', style: 'display:inline-block;width:10px' }), ' baseline'))),
      el('tbody', {}, rows))));
  }

  // The matrix: the window's classes, ordered by `sort`; cells are frames with both classes
  // (diagonal: frames with the class), as a share of the window's (or baseline's) frames, or
  // the lift: window share / baseline share.
  renderMatrix(stats, params) {
    const view = params.get('view') || 'window';
    const sort = params.get('sort') || 'frequency';
    const seg = (key, values) => el('span', { class: 'seg' }, values.map((v) =>
      el('a', { href: withParam(key, v), class: (params.get(key) || values[0]) === v ? 'on' : '', id: `${key}-${v}` }, v)));
    this.matrixControls.replaceChildren(el('label', {}, 'view:'), seg('view', ['window', 'baseline', 'lift']),
      el('label', {}, 'sort:'), seg('sort', ['frequency', 'name', 'baseline']));

    // Dense n x n tables indexed by the window's class order (typed arrays: 1,000 classes
    // are a million cells, filled from the sparse pair lists and painted as one image).
    const st = stats.stats;
    const base = this.baseStats();
    const frames = Math.max(1, num(st.frames));
    const bframes = base ? Math.max(1, num(base.frames)) : 1;
    const classes = st.classes || [];
    const n = classes.length;
    const index = new Map(classes.map((c, i) => [c.name, i]));
    const images = Float64Array.from(classes, (c) => num(c.images));
    const bimages = new Float64Array(n);
    if (base) for (const c of base.classes || []) if (index.has(c.name)) bimages[index.get(c.name)] = num(c.images);
    const win = new Float64Array(n * n), bas = new Float64Array(n * n);
    for (let i = 0; i < n; i++) { win[i * n + i] = images[i]; bas[i * n + i] = bimages[i]; }
    const fill = (table, pairs) => {
      for (const p of pairs || []) {
        const a = index.get(p.a), b = index.get(p.b);
        if (a === undefined || b === undefined) continue;
        table[a * n + b] = table[b * n + a] = num(p.images);
      }
    };
    fill(win, st.pairs);
    if (base) fill(bas, base.pairs);

    const order = [...Array(n).keys()];
    if (sort === 'name') order.sort((a, b) => (classes[a].name < classes[b].name ? -1 : classes[a].name > classes[b].name ? 1 : 0));
    else if (sort === 'baseline') order.sort((a, b) => bimages[b] - bimages[a] || (classes[a].name < classes[b].name ? -1 : 1));
    else order.sort((a, b) => images[b] - images[a] || (classes[a].name < classes[b].name ? -1 : 1));
    const names = order.map((i) => classes[i].name);

    let maxRate = 0, maxBRate = 0;
    for (let k = 0; k < n * n; k++) {
      if (win[k] > maxRate) maxRate = win[k];
      if (bas[k] > maxBRate) maxBRate = bas[k];
    }
    maxRate /= frames;
    maxBRate /= bframes;
    const logScale = (x, max) => (x <= 0 || max <= 0 ? 0 : 0.08 + 0.92 * Math.log1p(1000 * x) / Math.log1p(1000 * max));
    // Colour of table cell k, or null for an empty cell.
    const color = (k) => {
      const count = win[k], bcount = bas[k];
      if (view === 'window') return count > 0 ? seqColor(logScale(count / frames, maxRate)) : null;
      if (view === 'baseline') return base && bcount > 0 ? seqColor(logScale(bcount / bframes, maxBRate)) : null;
      if (!base || (count <= 0 && bcount <= 0)) return null;
      if (bcount <= 0) return NOVEL;
      const lift = (count / frames) / (bcount / bframes);
      // Faint when the evidence is thin: a pair expected on 2 frames and seen on none is
      // not news. Full colour from 10 frames seen or expected.
      const evidence = Math.min(1, Math.max(count, (bcount / bframes) * frames) / 10);
      return divColor((evidence * Math.log2(Math.max(lift, 1 / 64))) / 4);
    };
    const value = (a, b) => {
      const i = index.get(a), j = index.get(b);
      const count = win[i * n + j], bcount = bas[i * n + j];
      const rate = count / frames, brate = base ? bcount / bframes : null;
      const lift = base && brate > 0 ? rate / brate : base && count > 0 ? Infinity : null;
      return { count, bcount, rate, brate, lift };
    };

    // One pixel per cell, then scaled up without smoothing.
    const img = new ImageData(Math.max(1, n), Math.max(1, n));
    const px = img.data;
    px.fill(255);
    const drawn = [];
    for (let r = 0; r < n; r++) {
      const i = order[r];
      for (let c = 0; c < n; c++) {
        const k = i * n + order[c];
        const col = color(k);
        if (!col) continue;
        const o = (r * n + c) * 4;
        px[o] = col[0];
        px[o + 1] = col[1];
        px[o + 2] = col[2];
        if (r <= c) drawn.push({ a: names[r], b: names[c], count: win[k], bcount: bas[k] });
      }
    }
    const cell = n ? Math.max(1, Math.min(24, Math.floor(900 / n))) : 10;
    const labels = cell >= 10;
    const margin = labels ? Math.min(140, 8 + 7 * Math.max(0, ...names.map((x) => x.length))) : 0;
    const size = margin + n * cell;
    const dpr = window.devicePixelRatio || 1;
    const c = this.canvas;
    c.width = Math.max(1, Math.round(size * dpr));
    c.height = Math.max(1, Math.round(size * dpr));
    c.style.width = size + 'px';
    c.style.height = size + 'px';
    const g = c.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.fillStyle = '#fff';
    g.fillRect(0, 0, size, size);
    if (n) {
      const off = document.createElement('canvas');
      off.width = n;
      off.height = n;
      off.getContext('2d').putImageData(img, 0, 0);
      g.imageSmoothingEnabled = false;
      g.drawImage(off, margin, margin, n * cell, n * cell);
    }
    if (labels) {
      g.fillStyle = '#334';
      g.font = '11px system-ui, sans-serif';
      g.textBaseline = 'middle';
      for (let i = 0; i < n; i++) {
        const t = names[i].length > 18 ? names[i].slice(0, 17) + '…' : names[i];
        g.textAlign = 'right';
        g.fillText(t, margin - 4, margin + i * cell + cell / 2);
        g.save();
        g.translate(margin + i * cell + cell / 2, margin - 4);
        g.rotate(-Math.PI / 2);
        g.textAlign = 'left';
        g.fillText(t, 0, 0);
        g.restore();
      }
      g.strokeStyle = '#eef';
      g.lineWidth = 0.5;
      g.strokeRect(margin, margin, n * cell, n * cell);
    }
    this.matrix = { names, cell, margin, view, value };
    this.showCursor();
    PW.matrix = {
      view, sort, names, cell, margin, drawn,
      // The centre of cell (a, b) in the canvas' CSS pixels, for clicks.
      center: (a, b) => {
        const i = names.indexOf(a), j = names.indexOf(b);
        if (i < 0 || j < 0) return null;
        return { x: margin + j * cell + cell / 2, y: margin + i * cell + cell / 2 };
      },
    };
    this.matrixLegend.replaceChildren(
      view === 'lift'
        ? (base ? 'lift = window share / baseline share of frames with both classes: blue below, white equal, red above (4× and more: full red), faint when fewer than 10 frames are seen or expected; magenta: the baseline never shows the pair.'
          : 'lift needs a baseline; this stream has none.')
        : view === 'baseline' ? (base ? `baseline: ${fmt(bframes)} frames; darker = a larger share of frames (log scale).` : 'this stream has no baseline.')
          : `window: ${fmt(frames)} frames; darker = a larger share of frames (log scale); the diagonal counts frames with the class.`,
      ` ${n} classes, ${drawn.length} non-empty cells. Hover for counts, click a cell for its frames.`);
  }

  cellAt(evt) {
    const m = this.matrix;
    if (!m) return null;
    const r = this.canvas.getBoundingClientRect();
    const x = evt.clientX - r.left - m.margin, y = evt.clientY - r.top - m.margin;
    const j = Math.floor(x / m.cell), i = Math.floor(y / m.cell);
    if (x < 0 || y < 0 || i >= m.names.length || j >= m.names.length) return null;
    return { a: m.names[i], b: m.names[j] };
  }

  matrixHover(evt) {
    const c = this.cellAt(evt);
    if (!c) { tip(evt, null); return; }
    const v = this.matrix.value(c.a, c.b);
    const what = c.a === c.b ? c.a : `${c.a} + ${c.b}`;
    let text = `${what}\nwindow: ${fmt(v.count)} frames (${pct(v.rate)})`;
    if (v.brate !== null) text += `\nbaseline: ${fmt(v.bcount)} frames (${pct(v.brate)})`;
    if (v.lift !== null) text += `\nlift: ${v.lift === Infinity ? 'new (never in the baseline)' : fmt(v.lift) + '×'}`;
    tip(evt, text);
  }

  matrixClick(evt) {
    const c = this.cellAt(evt);
    if (!c) return;
    this.openCell(c.a, c.b);
  }

  // Keyboard: arrows move a cursor over the matrix (Shift: 10 cells), Home goes to the
  // first cell, Enter or Space lists the cell's frames.
  matrixKey(e) {
    const m = this.matrix;
    if (!m || !m.names.length) return;
    const n = m.names.length;
    let r = 0, c = 0;
    if (this.cursor) {
      r = Math.max(0, m.names.indexOf(this.cursor.a));
      c = Math.max(0, m.names.indexOf(this.cursor.b));
    }
    const step = e.shiftKey ? 10 : 1;
    if (e.key === 'ArrowUp') r -= step;
    else if (e.key === 'ArrowDown') r += step;
    else if (e.key === 'ArrowLeft') c -= step;
    else if (e.key === 'ArrowRight') c += step;
    else if (e.key === 'Home') r = c = 0;
    else if (e.key === 'Enter' || e.key === ' ') {
      if (this.cursor) this.openCell(this.cursor.a, this.cursor.b);
      e.preventDefault();
      return;
    } else return;
    e.preventDefault();
    r = Math.max(0, Math.min(n - 1, r));
    c = Math.max(0, Math.min(n - 1, c));
    this.cursor = { a: m.names[r], b: m.names[c] };
    this.showCursor();
  }

  showCursor() {
    const m = this.matrix;
    if (!m || !this.cursor || document.activeElement !== this.canvas) return;
    const i = m.names.indexOf(this.cursor.a), j = m.names.indexOf(this.cursor.b);
    if (i < 0 || j < 0) { this.cursorBox.style.display = 'none'; return; }
    const size = Math.max(m.cell, 4);
    const x = m.margin + j * m.cell + m.cell / 2, y = m.margin + i * m.cell + m.cell / 2;
    Object.assign(this.cursorBox.style, {
      display: 'block', left: x - size / 2 + 'px', top: y - size / 2 + 'px', width: size + 'px', height: size + 'px',
    });
    const r = this.canvas.getBoundingClientRect();
    this.cursorBox.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    this.matrixHover({ clientX: r.left + x, clientY: r.top + y });
  }

  openCell(a, b) {
    if (a === b) exemplars.show(`frames with ${a}`, this.stream, this.window, 'class=' + enc(a));
    else exemplars.show(`frames with ${a} + ${b}`, this.stream, this.window, `a=${enc(a)}&b=${enc(b)}`);
  }

  renderClassPick(classes, cls) {
    if (this.unchanged('class-pick', classes.map((c) => c.name), cls)) return;
    const sel = el('select', { id: 'class-select', onchange: (e) => { location.hash = withParam('class', e.target.value); } },
      classes.map((c) => el('option', { value: c.name, selected: c.name === cls }, c.name)));
    this.classPick.replaceChildren(el('label', { for: 'class-select' }, 'class:'), sel);
  }

  renderHeatmaps(hm, cls) {
    if (hm.error) {
      if (!this.unchanged('heatmaps', hm.error.message)) this.heatmaps.replaceChildren(el('p', { class: 'err' }, hm.error.message));
      return;
    }
    const layout = hm.stats.layout || {};
    const G = num(layout.heatmap_grid) || 16;
    const wc = (hm.stats.classes || []).find((c) => c.name === cls);
    const base = this.baseStats();
    const bc = base ? (base.classes || []).find((c) => c.name === cls) : null;
    if (this.unchanged('heatmaps', this.window, cls, G, wc && wc.heatmap, bc && bc.heatmap, (base && base.layout) || null)) return;
    const norm = (h) => {
      const v = (h || []).map(num);
      const s = v.reduce((a, b) => a + b, 0);
      return s > 0 ? v.map((x) => x / s) : null;
    };
    const wn = norm(wc && wc.heatmap), bn = bc && num((base.layout || {}).heatmap_grid) === G ? norm(bc.heatmap) : null;
    const figs = [];
    const draw = (title, values, diverging, id) => {
      const px = Math.max(6, Math.floor(192 / G));
      const c = el('canvas', { id, width: G * px, height: G * px });
      const g = c.getContext('2d');
      g.fillStyle = '#fff';
      g.fillRect(0, 0, G * px, G * px);
      let max = 0;
      for (const v of values) max = Math.max(max, Math.abs(v));
      for (let r = 0; r < G; r++) {
        for (let k = 0; k < G; k++) {
          const v = values[r * G + k];
          if (!v) continue;
          g.fillStyle = rgb(diverging ? divColor(v / (max || 1)) : seqColor(v / (max || 1)));
          g.fillRect(k * px, r * px, px, px);
        }
      }
      c.addEventListener('mousemove', (e) => {
        const rc = c.getBoundingClientRect();
        const k = Math.floor((e.clientX - rc.left) / px), r = Math.floor((e.clientY - rc.top) / px);
        if (r < 0 || k < 0 || r >= G || k >= G) return tip(e, null);
        const w = wn ? wn[r * G + k] : 0, b = bn ? bn[r * G + k] : null;
        tip(e, `${cls}, row ${r}, col ${k}\nwindow: ${pct(w)} of box centres` + (b !== null ? `\nbaseline: ${pct(b)}` : ''));
      });
      c.addEventListener('mouseleave', (e) => tip(e, null));
      c.addEventListener('click', (e) => {
        const rc = c.getBoundingClientRect();
        const k = Math.floor((e.clientX - rc.left) / px), r = Math.floor((e.clientY - rc.top) / px);
        if (r >= 0 && k >= 0 && r < G && k < G) {
          exemplars.show(`${cls} centred in row ${r}, col ${k}`, this.stream, this.window, `class=${enc(cls)}&row=${r}&col=${k}`);
        }
      });
      figs.push(el('figure', {}, c, el('figcaption', {}, title)));
    };
    if (wn) draw('window', wn, false, 'heatmap-window');
    else figs.push(el('p', { class: 'muted' }, `no ${cls} boxes in the window`));
    if (bn) draw('baseline', bn, false, 'heatmap-baseline');
    if (wn && bn) draw('difference (red: more in the window)', wn.map((x, i) => x - bn[i]), true, 'heatmap-diff');
    this.heatmaps.replaceChildren(...figs);
  }

  renderDistribution(hm, cls) {
    if (hm.error) { this.drawn.delete('distribution'); this.dist.replaceChildren(); return; }
    const wc = (hm.stats.classes || []).find((c) => c.name === cls);
    const base = this.baseStats();
    const bc = base ? (base.classes || []).find((c) => c.name === cls) : null;
    if (this.unchanged('distribution', this.window, cls, wc && wc.objects_distribution, bc && bc.objects_distribution, !!bc)) return;
    const w = ((wc && wc.objects_distribution) || []).map(num);
    const b = ((bc && bc.objects_distribution) || []).map(num);
    // Frames with >= 1 object of the class, by count (bucket 0 is every other frame).
    const ws = w.slice(1).reduce((x, y) => x + y, 0), bs = b.slice(1).reduce((x, y) => x + y, 0);
    const len = Math.max(w.length, b.length);
    const max = Math.max(1e-9, ...w.slice(1).map((x) => x / (ws || 1)), ...b.slice(1).map((x) => x / (bs || 1)));
    const cols = [], labels = [];
    for (let k = 1; k < len; k++) {
      const wf = ws ? (w[k] || 0) / ws : 0, bf = bs ? (b[k] || 0) / bs : 0;
      const label = k === len - 1 ? `≥${k}` : String(k);
      cols.push(el('div', {
        class: 'col', dataset: { count: k }, title: `${label} ${cls} on a frame: window ${fmt(w[k] || 0)} frames (${pct(wf)})` +
          (bc ? `, baseline ${pct(bf)}` : ''),
        onclick: () => exemplars.show(`frames with ${label} ${cls}`, this.stream, this.window, `class=${enc(cls)}&count=${k}`),
      }, el('div', { class: 'bar-w', style: `height:${(110 * wf) / max}px` }),
      bc ? el('div', { class: 'bar-b', style: `height:${(110 * bf) / max}px` }) : ''));
      labels.push(el('span', {}, label));
    }
    this.dist.replaceChildren(
      el('p', { class: 'muted' }, `${cls}: ${fmt(ws)} frames with it in the window`, bc ? `, ${fmt(bs)} in the baseline` : '',
        '; bars are the share of those frames with each count. Click a bar for its frames.'),
      el('div', { class: 'histo', id: 'objects-histogram' }, cols), el('div', { class: 'histo-labels' }, labels));
  }

  // Width, height and area of the class's boxes (fractions of the image, sqrt-scaled bins:
  // bin i covers [(i/n)^2, ((i+1)/n)^2)) and their confidence (equal bins over [0, 1]), as
  // shares of the boxes, window against baseline. A bar lists the frames with a box of the
  // class in that bin (exemplars `histogram=H&bin=I`).
  renderShapes(hm, cls) {
    if (hm.error) { this.drawn.delete('shapes'); this.shapes.replaceChildren(); return; }
    const wc = (hm.stats.classes || []).find((c) => c.name === cls);
    const base = this.baseStats();
    const bc = base ? (base.classes || []).find((c) => c.name === cls) : null;
    const fields = ['width_histogram', 'height_histogram', 'area_histogram', 'confidence_histogram'];
    if (this.unchanged('shapes', this.window, cls, fields.map((f) => wc && wc[f]), bc ? fields.map((f) => bc[f]) : null)) return;
    const charts = [];
    const chart = (id, title, field, edge, histogram) => {
      const w = ((wc && wc[field]) || []).map(num), b = ((bc && bc[field]) || []).map(num);
      const n = Math.max(w.length, b.length);
      if (!n) return;
      const ws = w.reduce((x, y) => x + y, 0), bs = b.reduce((x, y) => x + y, 0);
      const share = (v, sum) => (sum ? v / sum : 0);
      const max = Math.max(1e-9, ...w.map((v) => share(v, ws)), ...b.map((v) => share(v, bs)));
      const cols = [];
      for (let k = 0; k < n; k++) {
        const wf = share(w[k] || 0, ws), bf = share(b[k] || 0, bs);
        const range = `${edge(k, n)}–${edge(k + 1, n)}`;
        cols.push(el('div', {
          class: 'col', title: `${range}: window ${pct(wf)} (${fmt(w[k] || 0)})` + (bc ? `, baseline ${pct(bf)}` : ''),
          onclick: () => exemplars.show(`frames with a ${cls} box of ${histogram} ${range}`, this.stream, this.window,
            `class=${enc(cls)}&histogram=${histogram}&bin=${k}`),
        },
          el('div', { class: 'bar-w', style: `height:${(70 * wf) / max}px;width:5px` }),
          bc ? el('div', { class: 'bar-b', style: `height:${(70 * bf) / max}px;width:5px` }) : ''));
      }
      charts.push(el('figure', {}, el('div', { class: 'histo small', id }, cols),
        el('figcaption', {}, `${title}: ${edge(0, n)} … ${edge(n, n)}; ${fmt(ws)} boxes`)));
    };
    const sq = (k, n) => ((k / n) ** 2 * 100).toFixed(k && k < n ? 1 : 0) + '%';
    const lin = (k, n) => (k / n).toFixed(2);
    chart('width-histogram', 'width (of the image)', 'width_histogram', sq, 'width');
    chart('height-histogram', 'height', 'height_histogram', sq, 'height');
    chart('area-histogram', 'area', 'area_histogram', sq, 'area');
    chart('confidence-histogram', 'confidence', 'confidence_histogram', lin, 'confidence');
    this.shapes.replaceChildren(...charts);
  }

  renderDrift(drift) {
    if (drift.error) {
      this.drift.replaceChildren(el('p', { class: 'muted' }, drift.error.message));
      return;
    }
    const scores = (drift.scores || []).slice().sort((a, b) =>
      (b.flagged - a.flagged) || (b.watch - a.watch) ||
      (num(b.score) / (num(b.threshold) || 1)) - (num(a.score) / (num(a.threshold) || 1)));
    const primary = scores.filter((s) => !String(s.note).startsWith('secondary'));
    const all = this.params.get('all_measures') ? scores : primary;
    // Flagged findings first; at 1,000 classes there are thousands of findings, so the
    // table shows the first 300 unless asked for all (the API has every one).
    const limit = this.params.get('all_findings') ? all.length : 300;
    const show = all.slice(0, limit);
    const rows = show.map((s) => el('tr', { class: (s.flagged ? 'flagged' : '') + (s.subject && s.subject.length ? ' clickable' : ''),
      onclick: () => {
        if (s.subject && s.subject.length === 1) exemplars.show(`frames with ${s.subject[0]}`, this.stream, this.window, 'class=' + enc(s.subject[0]));
        if (s.subject && s.subject.length === 2) this.openCell(s.subject[0], s.subject[1]);
      },
    },
    el('td', {}, s.kind), el('td', {}, subjectText(s.subject)),
    el('td', {}, s.against === 'AGAINST_REFERENCE' ? 'reference' : 'baseline'),
    el('td', {}, s.measure), el('td', { class: 'num' }, fmt(s.score)), el('td', { class: 'num' }, fmt(s.threshold)),
    el('td', { class: 'num' }, s.p_value !== undefined ? fmt(s.p_value) : ''),
    el('td', {}, s.flagged ? 'drift' : s.watch ? 'watch' : ''),
    el('td', { class: 'num' }, fmt(num(s.window_count))), el('td', { class: 'num' }, fmt(s.expected_count)),
    el('td', { class: 'num' }, fmt(num(s.window_frames))), el('td', { class: 'num' }, fmt(num(s.baseline_frames))),
    el('td', { class: 'muted' }, s.note)));
    replaceKeepingScroll(this.drift, 
      el('p', { class: 'muted' }, `${primary.filter((s) => s.flagged).length} of ${primary.length} findings over their threshold. `,
        el('a', { href: withParam('all_measures', this.params.get('all_measures') ? null : '1') },
          this.params.get('all_measures') ? 'hide secondary measures' : 'show secondary measures'),
        all.length > show.length ? [` · showing ${show.length} of ${all.length} (most over their threshold first); `,
          el('a', { href: withParam('all_findings', '1') }, 'show all')] : ''),
      el('div', { class: 'scroll' }, el('table', { id: 'drift-table' },
        el('thead', {}, el('tr', {}, ['kind', 'subject', 'vs', 'measure', 'score', 'threshold', 'p-value', 'verdict',
          'count', 'expected', 'window frames', 'baseline frames', 'note'].map((h) => el('th', {}, h)))),
        el('tbody', {}, rows))));
  }
}

// ---- start ----

window.addEventListener('hashchange', () => render());
document.addEventListener('keydown', (e) => { if (e.key === 'Escape') exemplars.hide(); });
$('ex-close').addEventListener('click', () => exemplars.hide());
$('live').addEventListener('change', () => { if ($('live').checked) refresh(); });
schedule();
render();
