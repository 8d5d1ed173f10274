// Switchyard web console: plain JS, no build step, served by the node on its own port,
// so every URL here is same-origin (HTTP API under /api/v1 and /admin/v1, WebSocket /ws).
'use strict';

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = 'switchyard.token';
const MAX_TAP_ROWS = 500;
const STATUS_EVERY_MS = 2000;

// ---------------------------------------------------------------- HTTP API

class ApiError extends Error {
  constructor(status, error) {
    super(error.message || `HTTP ${status}`);
    this.status = status;
    this.code = error.code || (status ? `http_${status}` : 'network');
    this.detail = error; // retry_after_ms, oldest_seq, ... shown as they come
  }
}

const token = () => sessionStorage.getItem(TOKEN_KEY) || '';

async function api(path, body) {
  const headers = { Accept: 'application/json' };
  if (token()) headers.Authorization = `Bearer ${token()}`;
  const init = { headers, cache: 'no-store' };
  if (body !== undefined) {
    init.method = 'POST';
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (err) {
    throw new ApiError(0, { code: 'network', message: err.message });
  }
  const text = await res.text();
  let reply = null;
  try { reply = JSON.parse(text); } catch { /* a plain-text answer, e.g. a bare 404 */ }
  if (!res.ok) {
    throw new ApiError(res.status, (reply && reply.error) || { message: text.slice(0, 200) || res.statusText });
  }
  if (reply === null) throw new ApiError(res.status, { code: 'bad_reply', message: 'the reply is not JSON' });
  return reply;
}

// An admin read whose 404 means "this node has no such endpoint": its view goes away.
async function adminGet(view, path) {
  try {
    return await api(path);
  } catch (err) {
    if (err.status === 404) hideView(view);
    throw err;
  }
}

function describe(err) {
  if (!(err instanceof ApiError)) return String((err && err.message) || err);
  const extra = Object.entries(err.detail)
    .filter(([k]) => k !== 'code' && k !== 'message')
    .map(([k, v]) => `${k} ${typeof v === 'object' ? JSON.stringify(v) : v}`);
  return `${err.code}: ${err.message}${extra.length ? ` (${extra.join(', ')})` : ''}`;
}

// data-state on a view tells a reader (and the browser test) whether it rendered.
function setState(view, state, err) {
  $(view).dataset.state = state;
  const box = $(`${view}-error`);
  if (box) {
    box.hidden = !err;
    box.textContent = err ? describe(err) : '';
  }
}

// ---------------------------------------------------------------- rendering helpers

const enc = encodeURIComponent;
const json = (v) => (typeof v === 'string' ? v : JSON.stringify(v));

function fmtTime(ms, withDate) {
  if (typeof ms !== 'number') return '';
  const d = new Date(ms);
  const p = (n, w = 2) => String(n).padStart(w, '0');
  const time = `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
  return withDate ? `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${time}` : time;
}

function fmtDuration(ms) {
  let s = Math.floor(ms / 1000);
  const parts = [];
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60]]) {
    if (s >= size) { parts.push(`${Math.floor(s / size)}${unit}`); s %= size; }
  }
  parts.push(`${s}s`);
  return parts.join(' ');
}

function fmtBytes(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

// A table row of text cells; never innerHTML, since topic data is untrusted.
function row(cells, cls, testid) {
  const tr = document.createElement('tr');
  if (cls) tr.className = cls;
  if (testid) tr.dataset.testid = testid;
  for (const c of cells) {
    const td = document.createElement('td');
    if (c instanceof Node) td.append(c); else td.textContent = c ?? '';
    tr.append(td);
  }
  return tr;
}

// seq | time | data, with the optional event fields as small tags after the data.
function eventRow(ev, withDate) {
  const cell = document.createElement('span');
  const code = document.createElement('code');
  code.textContent = JSON.stringify(ev.data);
  cell.append(code);
  const tags = ['key', 'idem', 'group', 'attempt', 'data_encoding'].filter((k) => ev[k] !== undefined)
    .map((k) => `${k}=${ev[k]}`);
  if (ev.expired) tags.push('expired');
  for (const t of tags) {
    const tag = document.createElement('span');
    tag.className = 'tag';
    tag.textContent = t;
    cell.append(' ', tag);
  }
  const tr = row([String(ev.seq), fmtTime(ev.ts, withDate), cell], ev.expired ? 'expired' : '', 'event-row');
  tr.cells[1].title = typeof ev.ts === 'number' ? new Date(ev.ts).toISOString() : '';
  return tr;
}

// ---------------------------------------------------------------- tabs

const tabs = [...document.querySelectorAll('[role=tab]')];
const onShow = {};
let current = null;

function show(view) {
  current = view;
  for (const t of tabs) {
    const on = t.dataset.view === view;
    t.setAttribute('aria-selected', String(on));
    t.tabIndex = on ? 0 : -1;
    $(t.dataset.view).hidden = !on;
  }
  history.replaceState(null, '', `#${view}`);
  onShow[view]?.();
}

function hideView(view) {
  $(`tab-${view}`).hidden = true;
  $(view).hidden = true;
  if (current === view) show(tabs.find((t) => !t.hidden).dataset.view);
}

for (const t of tabs) {
  t.addEventListener('click', () => show(t.dataset.view));
  // Arrow keys move between tabs, as the ARIA tabs pattern expects.
  t.addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
    const visible = tabs.filter((x) => !x.hidden);
    const next = visible[(visible.indexOf(t) + (e.key === 'ArrowRight' ? 1 : visible.length - 1)) % visible.length];
    show(next.dataset.view);
    next.focus();
  });
}

// ---------------------------------------------------------------- status

function flatten(obj, prefix = '', out = []) {
  for (const [k, v] of Object.entries(obj)) {
    if (v && typeof v === 'object' && !Array.isArray(v)) flatten(v, `${prefix}${k}.`, out);
    else out.push([prefix + k, v]);
  }
  return out;
}

function fmtStatusValue(key, v) {
  // Durations and sizes get a readable form beside the raw number (epoch times excluded).
  if (typeof v === 'number' && key.endsWith('_ms') && v >= 1000 && v < 1e11) return `${v} (${fmtDuration(v)})`;
  if (typeof v === 'number' && key.endsWith('bytes') && v >= 1024) return `${v} (${fmtBytes(v)})`;
  return json(v);
}

let statusBusy = false;
async function refreshStatus() {
  if (statusBusy) return;
  statusBusy = true;
  try {
    const s = await adminGet('status', '/admin/v1/status');
    $('status-rows').replaceChildren(...flatten(s).map(([k, v]) => {
      const th = document.createElement('th');
      th.scope = 'row';
      th.textContent = k;
      const tr = row([fmtStatusValue(k, v)], '', `status-${k}`);
      tr.prepend(th);
      return tr;
    }));
    if (s.node) $('node-name').textContent = s.node;
    $('status-updated').textContent = `updated ${fmtTime(Date.now())}`;
    setState('status', 'ok');
  } catch (err) {
    setState('status', 'error', err);
  } finally {
    statusBusy = false;
  }
}
onShow.status = refreshStatus;
setInterval(() => { if (current === 'status' && !document.hidden) refreshStatus(); }, STATUS_EVERY_MS);

// ---------------------------------------------------------------- tap (WebSocket)

let tap = null; // {ws, topic} of the running tap

function setTapState(state, text) {
  $('tap-state').dataset.state = state;
  $('tap-state').textContent = text;
  $('tap-stop').disabled = !tap;
}

function tapAppend(tr) {
  const box = $('tap-scroll');
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 30;
  const body = $('tap-rows');
  body.append(tr);
  while (body.rows.length > MAX_TAP_ROWS) body.deleteRow(0);
  if (atBottom) box.scrollTop = box.scrollHeight; // follow the tail unless the user scrolled up
}

const tapNote = (cls, text, testid) => tapAppend(row(['', fmtTime(Date.now()), text], cls, testid));

function pubTopic() {
  return tap ? tap.topic : $('tap-topic').value.trim();
}
const updatePubTopic = () => { $('pub-topic').textContent = pubTopic() || '(tap a topic first)'; };

function startTap(topic, fromSeq) {
  stopTap();
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`,
    'switchyard.v1.json');
  const me = (tap = { ws, topic });
  const send = (msg) => ws.send(JSON.stringify(msg));
  setTapState('connecting', `Connecting to tap ${topic}…`);
  updatePubTopic();

  ws.onopen = () => {
    const connect = { op: 'connect', id: 1, client: 'switchyard-console' };
    if (token()) connect.token = token(); // auth.mode none refuses a token, so only when set
    send(connect);
  };
  ws.onmessage = (e) => {
    if (tap !== me) return;
    // One frame may hold several messages, one JSON object a line.
    for (const line of String(e.data).split('\n')) {
      if (!line.trim()) continue;
      let msg;
      try { msg = JSON.parse(line); } catch { tapNote('error', `unreadable frame: ${line.slice(0, 200)}`, 'error-row'); continue; }
      onTapMessage(msg);
    }
  };
  ws.onclose = (e) => {
    if (tap !== me) return;
    tap = null;
    tapNote('info', `connection closed (${e.code}${e.reason ? `: ${e.reason}` : ''})`);
    setTapState('closed', `Closed (${e.code}).`);
    updatePubTopic();
  };

  function onTapMessage(msg) {
    if (msg.error) {
      const err = new ApiError(0, msg.error);
      tapNote('error', describe(err), 'error-row');
      if (msg.id === 1 || msg.id === 2) { // not connected or not subscribed: nothing will come
        stopTap();
        setTapState('error', `Tap failed: ${describe(err)}`);
      }
    } else if (msg.id === 1) {
      if (msg.ok.node) $('node-name').textContent = msg.ok.node;
      const sub = { op: 'subscribe', id: 2, topic };
      if (fromSeq) sub.from = { seq: fromSeq };
      send(sub);
    } else if (msg.id === 2) {
      setTapState('subscribed', `Tapping ${topic}: last seq ${msg.ok.seq}, ${msg.ok.replayed} replayed.`);
    } else if (msg.push === 'event') {
      tapAppend(eventRow(msg, false));
    } else if (msg.push === 'ping') {
      send({ op: 'ping' });
    } else if (msg.push === 'gap') {
      tapAppend(row([`${msg.from}–${msg.to}`, fmtTime(Date.now()),
        `gap: events ${msg.from}..${msg.to} were not delivered (read them in History)`], 'gap', 'gap-row'));
    } else if (msg.push) { // drain, slow_down, token_expiring, unsubscribed, ...: shown as they are
      const { push, ...rest } = msg;
      tapNote('info', `${push} ${JSON.stringify(rest)}`);
    }
  }
}

function stopTap() {
  if (!tap) return;
  const { ws } = tap;
  tap = null;
  ws.close(1000); // a close frame: the node drops the subscription at once
  setTapState('idle', 'Not tapping.');
  updatePubTopic();
}

$('tap-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const from = parseInt($('tap-from').value, 10);
  startTap($('tap-topic').value.trim(), from > 0 ? from : 0);
});
$('tap-stop').addEventListener('click', stopTap);
$('tap-clear').addEventListener('click', () => $('tap-rows').replaceChildren());
$('tap-topic').addEventListener('input', updatePubTopic);

// state: pending, ok or error (the test waits on it).
function showResult(out, state, text) {
  out.dataset.state = state;
  out.textContent = text;
}

$('pub-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const out = $('pub-result');
  const topic = pubTopic();
  if (!topic) return showResult(out, 'error', 'no topic: tap one first');
  let data;
  try { data = JSON.parse($('pub-data').value); } catch (err) {
    return showResult(out, 'error', `data is not JSON: ${err.message}`);
  }
  showResult(out, 'pending', 'publishing…');
  try {
    const r = await api('/api/v1/publish', { topic, data });
    showResult(out, 'ok', `published to ${topic}: seq ${r.seq}${r.dup ? ' (dup)' : ''}`);
  } catch (err) {
    showResult(out, 'error', describe(err));
  }
});

// ---------------------------------------------------------------- history

let hist = { topic: '', events: [], next: 0, last: 0 };

async function loadHistory(topic, fromSeq) {
  const limit = parseInt($('hist-limit').value, 10) || 100;
  setState('history', 'loading');
  try {
    const r = await api(`/api/v1/topics/${enc(topic)}/history?from_seq=${fromSeq}&limit=${limit}`);
    hist = { topic, events: r.events, next: r.next_seq, last: r.last_seq };
    $('hist-from').value = fromSeq;
    $('hist-rows').replaceChildren(...r.events.map((ev) => eventRow(ev, true)));
    const n = r.events.length;
    $('hist-summary').textContent = n
      ? `${n} event${n === 1 ? '' : 's'}, seq ${r.events[0].seq}–${r.events[n - 1].seq} of ${r.last_seq}`
      : `no events from seq ${fromSeq} (last seq ${r.last_seq})`;
    $('hist-next').disabled = !(r.next_seq <= r.last_seq);
    $('replay-progress').textContent = '';
    setState('history', 'ok');
  } catch (err) {
    setState('history', 'error', err);
  }
}

$('hist-form').addEventListener('submit', (e) => {
  e.preventDefault();
  loadHistory($('hist-topic').value.trim(), parseInt($('hist-from').value, 10) || 1);
});
$('hist-next').addEventListener('click', () => loadHistory(hist.topic, hist.next));

// Publishes the listed events' data, one at a time and in order, so the copy keeps
// the order; the first error stops it (what came before is published).
$('replay-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const target = $('replay-topic').value.trim();
  const events = hist.events.slice();
  const out = $('replay-progress');
  if (!events.length) return showResult(out, 'error', 'nothing listed to replay');
  $('replay-start').disabled = true;
  try {
    for (let k = 0; k < events.length; k++) {
      showResult(out, 'pending', `${k} / ${events.length}`);
      try {
        await api('/api/v1/publish', { topic: target, data: events[k].data });
      } catch (err) {
        return showResult(out, 'error', `${k} / ${events.length}: stopped at seq ${events[k].seq}: ${describe(err)}`);
      }
    }
    showResult(out, 'ok', `${events.length} / ${events.length} replayed into ${target}`);
  } finally {
    $('replay-start').disabled = false;
  }
});

// ---------------------------------------------------------------- presence

let pres = { topic: '', next: null };

async function loadPresence(topic, after) {
  setState('presence', 'loading');
  try {
    const q = after != null ? `?after=${enc(after)}` : '';
    const r = await api(`/api/v1/topics/${enc(topic)}/presence${q}`);
    pres = { topic, next: r.next ?? null };
    $('pres-rows').replaceChildren(...r.members.map((m) =>
      row([json(m.conn), json(m.user), json(m.client), fmtTime(m.since_ms, true)], '', 'member-row')));
    $('pres-count').textContent = `${r.count} member${r.count === 1 ? '' : 's'} of ${topic}` +
      (after != null ? ` (page after ${after})` : '');
    $('pres-next').disabled = pres.next == null;
    setState('presence', 'ok');
  } catch (err) {
    setState('presence', 'error', err);
  }
}

$('pres-form').addEventListener('submit', (e) => {
  e.preventDefault();
  loadPresence($('pres-topic').value.trim(), null);
});
$('pres-next').addEventListener('click', () => loadPresence(pres.topic, pres.next));

// ---------------------------------------------------------------- tenants

async function loadTenants() {
  setState('tenants', 'loading');
  try {
    const { tenants } = await adminGet('tenants', '/admin/v1/tenants');
    // Columns from the data itself, so fields a newer node adds show up; the node sends
    // keys sorted, so the ones a reader looks for first are put first.
    const first = ['tenant', 'connections', 'subscriptions', 'breaker'];
    const rest = tenants.flatMap((t) => Object.keys(t).filter((k) => k !== 'limits' && !first.includes(k)));
    const cols = [...new Set([...first, ...rest])];
    const limits = [...new Set(tenants.flatMap((t) => Object.keys(t.limits || {})))];
    const head = row([]);
    for (const c of [...cols, ...limits.map((l) => `limit ${l}`)]) {
      const th = document.createElement('th');
      th.scope = 'col';
      th.textContent = c.replaceAll('_', ' ');
      head.append(th);
    }
    $('tenants-head').replaceChildren(head);
    $('tenants-rows').replaceChildren(...tenants.map((t) => {
      const tr = row([...cols.map((c) => json(t[c])),
        ...limits.map((l) => (t.limits?.[l] === 0 ? '∞' : json(t.limits?.[l])))], '', 'tenant-row');
      if (t.breaker && t.breaker !== 'closed') tr.classList.add('alert');
      return tr;
    }));
    setState('tenants', 'ok');
  } catch (err) {
    setState('tenants', 'error', err);
  }
}
onShow.tenants = loadTenants;
$('tenants-refresh').addEventListener('click', loadTenants);

// ---------------------------------------------------------------- topics

let topicsPage = { prefix: '', next: null, loaded: false };

function useTopic(topic, view) {
  for (const id of ['tap-topic', 'hist-topic', 'pres-topic']) $(id).value = topic;
  updatePubTopic();
  show(view);
  if (view === 'history') loadHistory(topic, 1);
  if (view === 'tap') startTap(topic, 0);
}

function topicButton(label, title, cls, fn) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = cls;
  b.textContent = label;
  b.title = title;
  b.addEventListener('click', fn);
  return b;
}

async function loadTopics(prefix, after) {
  setState('topics', 'loading');
  try {
    let q = `?prefix=${enc(prefix)}`;
    if (after != null) q += `&after=${enc(after)}`;
    const r = await adminGet('topics', `/admin/v1/topics${q}`);
    topicsPage = { prefix, next: r.next ?? null, loaded: true };
    $('topics-rows').replaceChildren(...r.topics.map((t) => {
      const name = document.createElement('span');
      name.append(topicButton(t.topic, 'show its history', 'link', () => useTopic(t.topic, 'history')),
        topicButton('tap', `tap ${t.topic} live`, 'small', () => useTopic(t.topic, 'tap')));
      return row([t.tenant, name, json(t.first_seq), json(t.last_seq), fmtBytes(t.bytes ?? 0)], '', 'topic-row');
    }));
    $('topics-next').disabled = topicsPage.next == null;
    setState('topics', 'ok');
  } catch (err) {
    setState('topics', 'error', err);
  }
}
onShow.topics = () => { if (!topicsPage.loaded) loadTopics('', null); };
$('topics-form').addEventListener('submit', (e) => {
  e.preventDefault();
  loadTopics($('topics-prefix').value.trim(), null);
});
$('topics-next').addEventListener('click', () => loadTopics(topicsPage.prefix, topicsPage.next));

// ---------------------------------------------------------------- agents

let agentsPage = { kind: '', next: null, loaded: false };

async function loadTimeline(s) {
  $('timeline-session').textContent = `${s.tenant} agents/${s.kind}/${s.session}`;
  try {
    const t = await api(`/admin/v1/agents/${enc(s.kind)}/${enc(s.session)}/timeline?tenant=${enc(s.tenant)}&limit=1000`);
    $('timeline-rows').replaceChildren(...t.events.map((ev) => row([json(ev.seq), fmtTime(ev.ts_ms, true),
      json(ev.data?.type ?? ''), json(ev.data?.turn ?? ''), ev.applied ? 'yes' : 'no', ev.digest ?? '',
      json(ev.data?.body ?? null)], ev.applied ? '' : 'alert', 'timeline-row')));
    setState('agents', 'ok');
  } catch (err) {
    setState('agents', 'error', err);
  }
}

async function loadAgents(kind, after) {
  setState('agents', 'loading');
  try {
    let q = `?limit=1000${kind ? `&kind=${enc(kind)}` : ''}`;
    if (after != null) q += `&after=${enc(after)}`;
    const r = await adminGet('agents', `/admin/v1/agents${q}`);
    agentsPage = { kind, next: r.next ?? null, loaded: true };
    $('agents-rows').replaceChildren(...r.sessions.map((s) => {
      const c = s.checkpoint;
      const name = topicButton(`${s.kind}/${s.session}`, 'show its timeline', 'link', () => loadTimeline(s));
      return row([s.tenant, name, json(s.inbox.last_seq), json(c?.applied_seq ?? 0), json(s.unapplied),
        json(c?.snapshot_seq ?? 0), c?.next_due_ms ? fmtTime(c.next_due_ms, true) : ''],
      s.unapplied > 0 ? 'alert' : '', 'agent-row');
    }));
    $('agents-next').disabled = agentsPage.next == null;
    setState('agents', 'ok');
  } catch (err) {
    setState('agents', 'error', err);
  }
}
onShow.agents = () => { if (!agentsPage.loaded) loadAgents('', null); };
$('agents-form').addEventListener('submit', (e) => {
  e.preventDefault();
  loadAgents($('agents-kind').value.trim(), null);
});
$('agents-next').addEventListener('click', () => loadAgents(agentsPage.kind, agentsPage.next));

// ---------------------------------------------------------------- start

$('token').value = token();
$('token-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const t = $('token').value.trim();
  if (t) sessionStorage.setItem(TOKEN_KEY, t); else sessionStorage.removeItem(TOKEN_KEY);
  onShow[current]?.(); // read the view again with the new rights
});

// The address names the view (#tap, #history, ...), so a link or a reload lands on it.
const viewOfHash = () => tabs.find((t) => `#${t.dataset.view}` === location.hash && !t.hidden)?.dataset.view;
window.addEventListener('hashchange', () => { if (viewOfHash()) show(viewOfHash()); });
show(viewOfHash() || 'status');
// Read the other admin views once, so a node without their endpoints loses those tabs up front.
const adminLoads = {
  status: refreshStatus, tenants: loadTenants, topics: () => loadTopics('', null), agents: () => loadAgents('', null),
};
for (const [view, load] of Object.entries(adminLoads)) if (view !== current) load();
