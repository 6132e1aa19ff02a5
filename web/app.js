// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
// The report page: reads /v1/decisions, /v1/decisions/{id}, /v1/stats and
// /v1/behaviors/stats. Decision fields come from the monitored processes
// (comm, paths): they are only ever set as textContent, never as HTML.
'use strict';

const state = { token: null, cursor: null, openDecision: null };

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

function decisionRow(d) {
  const tr = document.createElement('tr');
  tr.dataset.id = d.id;
  tr.className = 'level-' + d.level;
  [d.id, d.time, d.level, fmt(d.risk), d.action, d.backend, d.pid, d.comm, d.path]
    .forEach((v) => tr.appendChild(el('td', v)));
  tr.tabIndex = 0;
  tr.addEventListener('click', () => showDecision(d.id));
  tr.addEventListener('keydown', (e) => { if (e.key === 'Enter') showDecision(d.id); });
  return tr;
}

async function loadDecisions(append) {
  const params = new URLSearchParams({ limit: '100' });
  const level = document.getElementById('level').value;
  const since = document.getElementById('since').value.trim();
  if (level) params.set('level', level);
  if (since) params.set('since', since);
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
  pairs.forEach(([k, v]) => { dl.appendChild(el('dt', k)); dl.appendChild(el('dd', fmt(v))); });
}

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
    cells.forEach((c) => tr.appendChild(el('td', fmt(c))));
    tbody.appendChild(tr);
  });
}

async function showDecision(id) {
  try {
    const d = await api('/v1/decisions/' + encodeURIComponent(id));
    const w = d.window || {};
    const wt = d.weights || {};
    const c = d.components || {};
    document.getElementById('detail-id').textContent = '#' + d.id;
    fillDl('detail-summary', [
      ['time', d.time], ['verdict point', d.verdict_point], ['level', d.level],
      ['risk', d.risk], ['action', d.action], ['backend', d.backend],
      ['process', d.comm + ' (pid ' + d.pid + (d.tid ? ', tid ' + d.tid : '') + ')'],
      ['executable', d.exe], ['object', d.path], ['sha256', d.sha256],
    ]);
    fillTable('detail-components', ['sequence', 'source', 'dcam'].map((k) => [k, c[k], wt[k]]));
    fillDl('detail-window', [
      ['lookback', (w.lookback || []).join(' → ')], ['load', (w.load || []).join(' → ')],
      ['follow', (w.follow || []).join(' → ')],
      ['uncertain', w.uncertain ? 'yes (' + (w.lost_events || 0) + ' events lost)' : 'no'],
    ]);
    fillTable('detail-matches', (d.matches || []).map((m) =>
      [m.entry_id, (m.ngram || []).join(' '), m.similarity, m.risk_score, m.confidence, m.label]));
    fillTable('detail-findings', (d.findings || []).map((f) => [f.category, f.what, f.where, f.weight]));
    fillTable('detail-reputation', (d.reputation_reasons || []).map((r) => [r.code, r.detail, r.weight]));
    document.getElementById('detail-json').textContent = JSON.stringify(d, null, 2);
    document.getElementById('detail').hidden = false;
    document.querySelectorAll('#decisions tr.selected').forEach((r) => r.classList.remove('selected'));
    const row = document.querySelector('#decisions tr[data-id="' + Number(d.id) + '"]');
    if (row) row.classList.add('selected');
  } catch (e) {
    setStatus('decision ' + id + ': ' + e.message, true);
  }
}

async function loadStats() {
  try {
    const s = await api('/v1/stats');
    const d = s.decisions;
    fillDl('stats-decisions', [['total', d.total], ['high', d.high], ['medium', d.medium], ['low', d.low]]);
  } catch (e) {
    fillDl('stats-decisions', [['unavailable', e.message]]);
  }
  try {
    const s = await api('/v1/behaviors/stats');
    fillDl('stats-db', Object.entries(s).filter(([, v]) => typeof v !== 'object').map(([k, v]) => [k, v]));
  } catch (e) {
    // older agents have no behavioral database endpoint: say so, do not fail
    fillDl('stats-db', [['not available', e.status === 404 ? 'this agent does not serve it' : e.message]]);
  }
}

function refresh() {
  state.cursor = null;
  loadDecisions(false);
  loadStats();
}

document.addEventListener('DOMContentLoaded', () => {
  initFragment();
  document.getElementById('filters').addEventListener('submit', (e) => { e.preventDefault(); refresh(); });
  document.getElementById('more').addEventListener('click', () => loadDecisions(true));
  document.getElementById('auth-form').addEventListener('submit', (e) => {
    e.preventDefault();
    state.token = document.getElementById('token').value;
    sessionStorage.setItem('bpfprof-token', state.token);
    document.getElementById('auth').hidden = true;
    refresh();
  });
  refresh();
  if (state.openDecision) showDecision(state.openDecision);
});
