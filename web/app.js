// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
// The analyst page: reads /v1/decisions (with its filters), /v1/decisions/{id},
// /v1/stats and /v1/behaviors/stats. Decision fields come from monitored
// processes (comm, paths, command lines): they are only ever set as
// textContent, never as HTML.
'use strict';

const REFRESH_MS = 10000;
const state = { token: null, cursor: null, openDecision: null, timer: null };

// The fragment may carry token=TOKEN (kept in sessionStorage, then removed
// from the address bar) and decision=ID (open that explanation: links
// from alerts). Fragments never reach the server or its logs.
function initFragment() {
  const params = new URLSearchParams(location.hash.replace(/^#/, ''));
  if (params.get('token')) {
    state.token = params.get('token');
    sessionStorage.setItem('bpfprof-token', state.token);
    params.delete('token');
    const rest = params.toString();
    history.replaceState(null, '', location.pathname + location.search + (rest ? '#' + rest : ''));
  } else {
    state.token = sessionStorage.getItem('bpfprof-token');
  }
  const id = params.get('decision');
  state.openDecision = id && /^[0-9]+$/.test(id) ? id : null;
}

class HttpError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function api(path) {
  const headers = state.token ? { Authorization: 'Bearer ' + state.token } : {};
  const r = await fetch(path, { headers, cache: 'no-store' });
  let body = null;
  try { body = await r.json(); } catch (e) { /* not JSON */ }
  if (r.status === 401) document.getElementById('auth').hidden = false;
  if (!r.ok) throw new HttpError(r.status, (body && body.error) || r.statusText);
  return body;
}

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function fmt(x) {
  if (x === null || x === undefined) return 'n/a';
  if (typeof x === 'number') return Number.isInteger(x) ? String(x) : x.toFixed(3);
  return String(x);
}

function setStatus(text, bad) {
  const s = document.getElementById('status');
  s.textContent = text;
  s.className = bad ? 'bad' : '';
}

function where(p) {
  if (!p) return '';
  if (p.container_id) return 'container ' + p.container_id.slice(0, 12);
  return p.unit || '';
}

function decisionRow(d) {
  const tr = document.createElement('tr');
  const p = d.process || {};
  tr.dataset.id = d.id;
  tr.className = 'level-' + d.level;
  tr.appendChild(el('td', d.id, 'num'));
  tr.appendChild(el('td', (d.time || '').replace('T', ' ').replace(/\.\d+Z$/, 'Z'), 'time'));
  tr.appendChild(el('td', d.level, 'lvl'));
  tr.appendChild(el('td', fmt(d.risk), 'num'));
  tr.appendChild(el('td', d.action));
  tr.appendChild(el('td', (p.comm || d.comm) + ' (' + d.pid + ')'));
  tr.appendChild(el('td', where(p)));
  tr.appendChild(el('td', d.path, 'path'));
  tr.tabIndex = 0;
  tr.addEventListener('click', () => showDecision(d.id));
  tr.addEventListener('keydown', (e) => { if (e.key === 'Enter') showDecision(d.id); });
  if (String(d.id) === String(state.openDecision)) tr.classList.add('selected');
  return tr;
}

function queryParams() {
  const params = new URLSearchParams({ limit: '100' });
  const level = document.getElementById('level').value;
  if (level) params.set('level', level);
  for (const f of ['since', 'container', 'exe', 'object', 'unit']) {
    const v = document.getElementById(f).value.trim();
    if (v) params.set(f, v);
  }
  return params;
}

async function loadDecisions(append) {
  const params = queryParams();
  if (append && state.cursor) params.set('cursor', state.cursor);
  const tbody = document.querySelector('#decisions tbody');
  try {
    const res = await api('/v1/decisions?' + params.toString());
    if (!append) tbody.replaceChildren();
    res.decisions.forEach((d) => tbody.appendChild(decisionRow(d)));
    state.cursor = res.next_cursor;
    document.getElementById('more').hidden = !state.cursor;
    document.getElementById('empty').hidden = tbody.children.length > 0;
    setStatus('updated ' + new Date().toLocaleTimeString());
  } catch (e) {
    setStatus('decisions: ' + e.message, true);
  }
}

function fillDl(id, pairs) {
  const dl = document.getElementById(id);
  dl.replaceChildren();
  pairs.filter(([, v]) => v !== undefined && v !== null && v !== '').forEach(([k, v, cls]) => {
    dl.appendChild(el('dt', k));
    dl.appendChild(el('dd', fmt(v), cls));
  });
}

// rows: arrays of cells; a cell is a value or [value, class]
function fillTable(id, rows) {
  const tbody = document.querySelector('#' + id + ' tbody');
  tbody.replaceChildren();
  if (!rows.length) {
    const tr = document.createElement('tr');
    const td = el('td', 'none', 'muted');
    td.colSpan = 8;
    tr.appendChild(td);
    tbody.appendChild(tr);
  }
  rows.forEach((cells) => {
    const tr = document.createElement('tr');
    cells.forEach((c) => {
      const [v, cls] = Array.isArray(c) ? c : [c, typeof c === 'number' ? 'num' : undefined];
      tr.appendChild(el('td', fmt(v), cls));
    });
    tbody.appendChild(tr);
  });
}

// What decided each component, in words an analyst can check.
function decidedBy(d, k) {
  const n = (a) => (a || []).length;
  if (k === 'sequence') {
    const bad = (d.matches || []).filter((m) => m.label === 'malicious').length;
    return n(d.matches) + ' database matches (' + bad + ' malicious)' +
      (d.predicted_score !== undefined ? '; predicted ' + fmt(d.predicted_score) : '');
  }
  if (k === 'source') {
    const top = (d.reputation_reasons || []).slice().sort((a, b) => b.weight - a.weight)[0];
    return n(d.reputation_reasons) + ' reasons' + (top ? ', most: ' + top.code : '');
  }
  const top = (d.findings || []).slice().sort((a, b) => b.weight - a.weight)[0];
  return n(d.findings) + ' findings' + (top ? ', most: ' + top.category + ' ' + top.what : '');
}

function components(d) {
  const c = d.components || {};
  const wt = d.weights || {};
  const keys = ['sequence', 'source', 'dcam'];
  const wsum = keys.filter((k) => c[k] !== null && c[k] !== undefined)
    .reduce((s, k) => s + (wt[k] || 0), 0);
  return keys.map((k) => {
    const have = c[k] !== null && c[k] !== undefined;
    const share = have && wsum ? c[k] * (wt[k] || 0) / wsum : null;
    return [k, [have ? c[k] : null, 'num'], [wt[k], 'num'], [share, 'num'],
      have ? decidedBy(d, k) : 'not computed: left out, the weights renormalise'];
  });
}

function tokenLine(tokens, other) {
  const span = el('span', null, 'tokens');
  (tokens || []).forEach((t, i) => {
    if (i) span.appendChild(document.createTextNode(' → '));
    span.appendChild(el('span', t, other && other.has(t) ? 'tok-hit' : undefined));
  });
  if (!(tokens || []).length) span.textContent = '–';
  return span;
}

function fillSequence(d) {
  const w = d.window || {};
  const observed = [].concat(w.lookback || [], w.load || [], w.follow || []);
  const predicted = Array.isArray(d.predicted) ? d.predicted : null;
  const dl = document.getElementById('detail-sequence');
  dl.replaceChildren();
  const add = (k, node) => { dl.appendChild(el('dt', k)); const dd = el('dd'); dd.appendChild(node); dl.appendChild(dd); };
  if (predicted) {
    add('predicted', tokenLine(predicted, new Set(observed)));
    if (d.predicted_score !== undefined) add('predicted score', el('span', fmt(d.predicted_score), 'num'));
  } else {
    add('predicted', el('span', 'no prediction in this decision', 'muted'));
  }
  add('observed: lookback', tokenLine(w.lookback, predicted && new Set(predicted)));
  add('observed: load', tokenLine(w.load, predicted && new Set(predicted)));
  add('observed: follow', tokenLine(w.follow, predicted && new Set(predicted)));
  add('uncertain', el('span', w.uncertain ? 'yes (' + (w.lost_events || 0) + ' events lost)' : 'no'));
}

async function showDecision(id) {
  try {
    const d = await api('/v1/decisions/' + encodeURIComponent(id));
    const p = d.process || {};
    state.openDecision = String(d.id);
    document.getElementById('detail-id').textContent = '#' + d.id;
    const badge = document.getElementById('detail-level');
    badge.textContent = d.level;
    badge.className = 'badge ' + d.level;
    fillDl('detail-summary', [
      ['time', d.time, 'time'], ['verdict point', d.verdict_point],
      ['risk', d.risk, 'num'], ['action', d.action + ' (' + d.backend + ')'],
      ['object', d.path], ['sha256', d.sha256], ['host', d.host],
    ]);
    fillTable('detail-components', components(d));
    const ex = d.exception;
    document.getElementById('detail-exception').hidden = !ex;
    if (ex) fillDl('detail-exception-dl', [['rule', ex.rule], ['pattern', ex.pattern], ['matched', ex.matched]]);
    fillDl('detail-process', [
      ['process', (p.comm || d.comm) + ' (pid ' + d.pid + (d.tid ? ', tid ' + d.tid : '') + ')'],
      ['user', p.uid !== undefined ? 'uid ' + p.uid + (p.gid !== undefined ? ', gid ' + p.gid : '') : null],
      ['parent', p.ppid ? (p.parent_comm || '?') + ' (pid ' + p.ppid + ')' : null],
      ['command line', p.cmdline], ['executable', p.exe || d.exe],
      ['container', p.container_id ? p.container_id + (p.container_runtime ? ' (' + p.container_runtime + ')' : '') : null],
      ['pod', p.pod_uid], ['unit', p.unit],
      ['cgroup', p.cgroup ? p.cgroup + (p.cgroup_id ? ' (id ' + p.cgroup_id + ')' : '') : null],
    ]);
    fillSequence(d);
    fillTable('detail-matches', (d.matches || []).map((m) =>
      [[m.entry_id, 'num'], [(m.ngram || []).join(' '), 'tokens'], m.similarity, m.risk_score, m.confidence, m.label]));
    fillTable('detail-findings', (d.findings || []).map((f) => {
      const w = f.where || {};
      const wh = [w.entry_kind, w.entry, w.addr].filter((x) => x).join(' ');
      return [f.category, f.what, wh, f.weight];
    }));
    fillTable('detail-reputation', (d.reputation_reasons || []).map((r) => [r.code, r.detail, r.weight]));
    document.getElementById('detail-json').textContent = JSON.stringify(d, null, 2);
    document.getElementById('detail').hidden = false;
    document.querySelector('main').classList.add('with-detail');
    document.querySelectorAll('#decisions tr.selected').forEach((r) => r.classList.remove('selected'));
    const row = document.querySelector('#decisions tr[data-id="' + Number(d.id) + '"]');
    if (row) row.classList.add('selected');
    history.replaceState(null, '', location.pathname + '#decision=' + d.id);
  } catch (e) {
    setStatus('decision ' + id + ': ' + e.message, true);
  }
}

function closeDetail() {
  document.getElementById('detail').hidden = true;
  document.querySelector('main').classList.remove('with-detail');
  state.openDecision = null;
  document.querySelectorAll('#decisions tr.selected').forEach((r) => r.classList.remove('selected'));
}

async function loadStats() {
  try {
    const d = (await api('/v1/stats')).decisions;
    fillDl('stats-decisions', [['high', d.high], ['medium', d.medium], ['low', d.low], ['total', d.total]]);
  } catch (e) {
    fillDl('stats-decisions', [['unavailable', e.message]]);
  }
  try {
    const s = await api('/v1/behaviors/stats');
    fillDl('stats-db', [['behavioral database']].concat(
      Object.entries(s).filter(([, v]) => typeof v !== 'object')));
  } catch (e) {
    // older agents have no behavioral database endpoint: say so, do not fail
    fillDl('stats-db', [['not available', e.status === 404 ? 'this agent does not serve it' : e.message]]);
  }
}

// Refresh without reloading the page: the list, the counts and the open
// decision stay where they are.
function refresh() {
  state.cursor = null;
  loadDecisions(false);
  loadStats();
}

function schedule() {
  clearInterval(state.timer);
  if (document.getElementById('auto').checked) state.timer = setInterval(refresh, REFRESH_MS);
}

document.addEventListener('DOMContentLoaded', () => {
  initFragment();
  document.getElementById('filters').addEventListener('submit', (e) => { e.preventDefault(); refresh(); });
  document.getElementById('show-low').addEventListener('click', () => {
    document.getElementById('level').value = 'low';
    refresh();
  });
  document.getElementById('level').addEventListener('change', refresh);
  document.getElementById('refresh').addEventListener('click', refresh);
  document.getElementById('auto').addEventListener('change', schedule);
  document.getElementById('more').addEventListener('click', () => loadDecisions(true));
  document.getElementById('detail-close').addEventListener('click', closeDetail);
  document.getElementById('auth-form').addEventListener('submit', (e) => {
    e.preventDefault();
    state.token = document.getElementById('token').value;
    sessionStorage.setItem('bpfprof-token', state.token);
    document.getElementById('auth').hidden = true;
    refresh();
  });
  refresh();
  schedule();
  if (state.openDecision) showDecision(state.openDecision);
});
