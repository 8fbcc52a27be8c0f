// The page: who is signed in, which view shows, the image list kept
// current from the event stream, and the actions.

import * as api from './api.js';
import * as sse from './sse.js';
import * as cards from './cards.js';
import * as views from './views.js';
import * as add from './add.js';
import * as model from './model.js';
import * as fmt from './format.js';
import { $, el } from './dom.js';

const VIEWS = ['images', 'add', 'sources', 'activity'];
// HISTORY is how many recent events the activity log starts with.
const HISTORY = 200;
// ENDED_FOR is how long (ms) the end of a job not known as this tab's is
// kept for the answer that may make it so.
const ENDED_FOR = 60000;

const st = {
  mode: 'unknown', // signin, read (public read, no token) or full
  images: new Map(), // name → image, as GET /v1/images answered
  cards: new Map(), // name → <li>
  live: new Map(), // name → live progress from the stream
  eventAt: new Map(), // name → id of the newest event about it
  lastEventId: 0,
  historyUpTo: 0, // events up to this id are history: the log only
  mine: new Map(), // job id → what this tab asked for
  ended: new Map(), // job id → the stream's last word on a job not (yet) known as mine
  freeable: 0,
  sources: null,
  streaming: null,
  refreshTimer: 0,
};

const canAct = () => st.mode === 'full';

function banner(text, bad) {
  const b = $('#banner');
  b.textContent = text;
  b.classList.toggle('bad', !!bad);
  b.hidden = !text;
}

function setConn(text, cls) {
  const c = $('#conn');
  c.textContent = text;
  c.className = 'conn ' + (cls || '');
}

// --- views and sign-in -------------------------------------------------

function route() {
  if (st.mode === 'unknown') return; // until the first answer: "Loading…"
  if (st.mode === 'signin') return show('signin');
  const v = location.hash.slice(1);
  show(VIEWS.includes(v) ? v : 'images');
}

function show(view) {
  // Until the first answer says who is signed in, the page shows only
  // "Loading…": no view flashes before the right one.
  $('#boot-state').hidden = true;
  // The first view in place (bench/ui reports when, beside the first paint).
  if (st.shown === undefined) performance.mark('fetchd:first-view');
  for (const s of document.querySelectorAll('.view')) s.hidden = s.id !== 'view-' + view;
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.dataset.view === view) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  $('#nav').hidden = view === 'signin';
  if (view === 'sources' || view === 'add') loadSources();
  const h = $('#view-' + view + ' h1');
  if (h && document.activeElement !== h && st.shown !== undefined && st.shown !== view) h.focus();
  st.shown = view;
}

function setMode(mode, why) {
  st.mode = mode;
  $('#signout').hidden = mode !== 'full';
  $('#signin-open').hidden = mode !== 'read';
  $('#mode').textContent = mode === 'read' ? 'Read-only' : '';
  if (mode === 'signin') $('#signin-error').textContent = why || '';
  if (mode === 'read') banner('Read-only: this fetchd lets anyone who can reach it see its state. Sign in with the API token to act.');
  for (const b of document.querySelectorAll('.toolbar .act')) b.disabled = !canAct();
  renderAll();
  route();
}

// authFailed handles a refused token: it is dropped and the user asked
// again, with fetchd's reason.
function authFailed(err) {
  if (err.status !== 401 && err.status !== 403) return false;
  if (err.status === 403 && !/token/i.test(err.message)) return false;
  api.setToken('');
  stopStream();
  boot(err.message);
  return true;
}

async function signIn(e) {
  e.preventDefault();
  const t = $('#token').value.trim();
  if (!t) {
    $('#signin-error').textContent = 'Enter the API token.';
    return;
  }
  api.setToken(t);
  $('#token').value = '';
  await boot();
}

function signOut() {
  api.setToken('');
  stopStream();
  boot('Signed out.');
}

// --- the image list ----------------------------------------------------

async function loadImages() {
  try {
    const list = await api.get('/v1/images');
    applyImages(list);
    return list;
  } catch (err) {
    if (!authFailed(err)) {
      const stateMsg = $('#images-state');
      stateMsg.className = 'state-msg bad';
      stateMsg.textContent = 'Could not load the images: ' + err.message + '. Trying again shortly.';
    }
    throw err;
  }
}

function applyImages(list) {
  const stateMsg = $('#images-state');
  const images = new Map();
  for (const im of list.images) {
    const old = st.images.get(im.name);
    if (old && list.last_event_id < (st.eventAt.get(im.name) || 0)) {
      // The stream has told more about this image than this answer
      // knows: keep what the stream said.
      images.set(im.name, old);
      continue;
    }
    images.set(im.name, im);
    // Once the stream has spoken about an image, its events alone drive
    // the progress shown; the list's progress is for what the page has
    // not heard about yet (a job that started before the page).
    if (st.eventAt.has(im.name)) continue;
    if (im.progress) st.live.set(im.name, liveFrom(im.progress));
    else st.live.delete(im.name);
  }
  st.images = images;
  $('#dir').textContent = list.dir;
  stateMsg.className = 'state-msg';
  stateMsg.textContent = '';
  if (list.images.length === 0) {
    stateMsg.append('No images configured yet. ', el('a', { href: '#add', text: 'Add one' }), ', or declare images in the configuration file.');
  }
  renderAll();
}

function liveFrom(p) {
  const now = performance.now();
  return { phase: p.phase, done: p.done || 0, total: p.total || 0, rate: p.rate || 0, t0: now, startDone: (p.done || 0) - (p.rate || 0) };
}

function renderAll() {
  const list = $('#cards');
  const seen = new Set();
  let prev = null;
  for (const [name, im] of st.images) {
    seen.add(name);
    let li = st.cards.get(name);
    if (!li) {
      li = cards.create(name);
      st.cards.set(name, li);
    }
    if (prev ? prev.nextSibling !== li : list.firstChild !== li) {
      if (prev) prev.after(li);
      else list.prepend(li);
    }
    prev = li;
    cards.update(li, im, st.live.get(name), canAct());
  }
  for (const [name, li] of st.cards) {
    if (!seen.has(name)) {
      li.remove();
      st.cards.delete(name);
    }
  }
  views.renderDisk([...st.images.values()], st.freeable);
}

function renderOne(name) {
  const li = st.cards.get(name);
  const im = st.images.get(name);
  if (li && im) cards.update(li, im, st.live.get(name), canAct());
}

function refreshSoon() {
  clearTimeout(st.refreshTimer);
  st.refreshTimer = setTimeout(() => loadImages().catch(() => {}), 200);
}

// --- the event stream --------------------------------------------------

const OUTCOMES = new Set(['installed', 'present', 'outdated', 'held', 'refused', 'failed', 'removed', 'missing', 'modified']);

function onEvent(ev) {
  const id = Number(ev.id);
  if (id) st.lastEventId = id;
  let data;
  try { data = JSON.parse(ev.data); } catch { return; }
  views.logEvent(ev.type, data);
  if (id && id <= st.historyUpTo) return;
  const name = data.image;
  if (name && id) st.eventAt.set(name, id);
  switch (ev.type) {
    case 'resolve':
      st.live.set(name, { phase: 'resolving' });
      renderOne(name);
      break;
    case 'progress':
      progress(name, data);
      break;
    case 'verifying':
      st.live.set(name, { phase: 'verifying' });
      renderOne(name);
      break;
    case 'job':
      jobEvent(data);
      break;
    case 'reload':
      st.sources = null;
      refreshSoon();
      break;
    case 'dropped':
      // reset: the service started again, and its job ids with it: what
      // this tab knew of jobs is of the earlier run.
      if (data.reset) {
        st.ended.clear();
        st.mine.clear();
      }
      refreshSoon();
      break;
    default:
      if (OUTCOMES.has(ev.type)) {
        st.live.delete(name);
        const im = st.images.get(name);
        if (im && data.result) Object.assign(im, data.result, { cause: data.cause || '' });
        renderOne(name);
        refreshSoon();
      }
  }
}

function progress(name, data) {
  const now = performance.now();
  let p = st.live.get(name);
  if (data.event === 'downloading' || !p || p.phase !== 'downloading') {
    p = { phase: 'downloading', done: data.done || 0, total: data.total || 0, rate: 0, t0: now, startDone: data.done || 0 };
    st.live.set(name, p);
  }
  p.done = data.done || p.done;
  if (data.total) p.total = data.total;
  const secs = (now - p.t0) / 1000;
  if (secs > 0.2) p.rate = (p.done - p.startDone) / secs;
  renderOne(name);
}

function jobEvent(data) {
  const what = st.mine.get(data.job);
  if (data.state === 'queued' || data.state === 'running') {
    if (what) banner(what + ': ' + data.state + '…');
    return;
  }
  refreshSoon();
  if (!what) {
    // A quick job can end before the answer to the request that queued
    // it is read: keep its end for track.
    st.ended.set(data.job, { data, at: performance.now() });
    if (st.ended.size > 64) st.ended.delete(st.ended.keys().next().value);
    return;
  }
  st.mine.delete(data.job);
  if (data.state === 'succeeded') banner(what + ': done.');
  else jobCause(data.job).then((why) => banner(what + ' ' + data.state + ': ' + why, true));
  const waiter = st.waiters && st.waiters.get(data.job);
  if (waiter) waiter();
}

// track makes a job this tab queued its own: the banner follows it to its
// end, even when the stream told that end already.
function track(id, what) {
  st.mine.set(id, what);
  const end = st.ended.get(id);
  st.ended.delete(id);
  // Only a recent end can be the job's: the gap it covers is that between
  // the stream and the answer to one request.
  if (end && performance.now() - end.at < ENDED_FOR) jobEvent(end.data);
}

// jobCause is why a job did not succeed, as fetchd words it (the job's
// error names each failed image and its cause).
async function jobCause(id) {
  try {
    const j = await api.get('/v1/jobs/' + id);
    return j.error || 'no reason given';
  } catch (err) {
    return 'no reason known (' + err.message + ')';
  }
}

async function streamLoop(after) {
  const ctrl = new AbortController();
  st.streaming = ctrl;
  let delay = 500;
  while (!ctrl.signal.aborted) {
    try {
      setConn('Live', 'live');
      await sse.stream('/v1/events', api.headers(), after, onEvent, ctrl.signal);
    } catch (err) {
      if (ctrl.signal.aborted) return;
      if (authFailed(err)) return;
    }
    if (ctrl.signal.aborted) return;
    setConn('Reconnecting…', 'down');
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 10000);
    try {
      await loadImages();
      delay = 500;
    } catch { /* shown on the page */ }
    after = st.lastEventId;
  }
}

function stopStream() {
  if (st.streaming) st.streaming.abort();
  st.streaming = null;
}

// --- actions -----------------------------------------------------------

async function submit(what, path, body) {
  try {
    const ans = await api.post(path, body);
    const job = ans && ans.job;
    if (job) {
      banner(what + ': job ' + job.id + ' ' + job.state + '…');
      track(job.id, what);
    }
    return job;
  } catch (err) {
    if (!authFailed(err)) banner(what + ': ' + err.message, true);
    return null;
  }
}

// waitJob resolves with the job once it has finished.
async function waitJob(job) {
  if (!job) return null;
  st.waiters = st.waiters || new Map();
  await new Promise((resolve) => {
    st.waiters.set(job.id, resolve);
    const poll = async () => {
      if (!st.waiters.has(job.id)) return;
      try {
        const j = await api.get('/v1/jobs/' + job.id);
        if (j.state !== 'queued' && j.state !== 'running') return resolve();
      } catch { /* the stream will tell */ }
      setTimeout(poll, 1000);
    };
    setTimeout(poll, 1000);
  });
  st.waiters.delete(job.id);
  return api.get('/v1/jobs/' + job.id);
}

async function act(name, what, button) {
  const im = st.images.get(name);
  if (!im) return;
  switch (what) {
    case 'sync': return submit('Sync ' + name, api.imagePath(name, 'sync'));
    case 'check': return submit('Check ' + name, '/v1/check', { images: [name] });
    case 'hold': return submit('Hold ' + name, api.imagePath(name, 'hold'));
    case 'unhold': return submit('Unhold ' + name, api.imagePath(name, 'unhold'));
    case 'update': return applyUpdate(im);
    case 'rollback': return rollback(im);
    case 'remove': return remove(im);
    default: return undefined;
  }
}

async function applyUpdate(im) {
  const up = model.update(im);
  if (!up) return;
  const body = el('div', {},
    el('p', { text: 'The name ' + im.name + ' moves to the new build. The current build is kept for a rollback, and VM disks that use it keep working.' }),
    el('dl', { class: 'change' },
      el('dt', { text: 'Now' }), el('dd', {}, up.from, el('br'), el('code', { text: up.fromDigest })),
      el('dt', { text: 'New' }), el('dd', {}, up.to, el('br'), el('code', { text: up.toDigest }))));
  if (await views.confirm('Apply the update to ' + im.name + '?', body, 'Apply update')) {
    await submit('Update ' + im.name, api.imagePath(im.name, 'update'));
  }
}

async function rollback(im) {
  const prev = model.previous(im);
  if (!prev.length) return;
  const pick = el('fieldset', { class: 'pick' }, el('legend', { text: 'Build to go back to' }));
  prev.forEach((b, i) => pick.append(el('label', {},
    el('input', { type: 'radio', name: 'rollback-build', value: b.digest, checked: i === 0 }),
    (b.version || 'build') + ' — ' + fmt.shortDigest(b.digest) + (b.verified_at ? ', verified ' + fmt.when(b.verified_at) : ''))));
  const body = el('div', {},
    el('p', { text: 'The name ' + im.name + ' moves back to the build you pick, after it is hashed and checked again, and the image is held there until you unhold it. The current build is kept.' }),
    pick);
  if (await views.confirm('Roll back ' + im.name + '?', body, 'Roll back')) {
    const chosen = pick.querySelector('input:checked');
    await submit('Roll back ' + im.name, api.imagePath(im.name, 'rollback'), { version: chosen ? chosen.value : '' });
  }
}

async function remove(im) {
  const body = 'fetchd stops managing ' + im.name + ' and takes it out of the images added here. The file in the image directory stays (a VM may use it); prune removes builds nothing uses.';
  if (!(await views.confirm('Remove ' + im.name + '?', body, 'Remove'))) return;
  try {
    await api.del(api.imagePath(im.name));
    banner('Removed ' + im.name + ' from the images added here.');
    refreshSoon();
  } catch (err) {
    if (!authFailed(err)) banner('Remove ' + im.name + ': ' + err.message, true);
  }
}

async function prune() {
  const job = await submit('Prune (dry run)', '/v1/prune', { dry_run: true });
  const done = await waitJob(job).catch(() => null);
  if (!done) return;
  const rep = done.prune;
  if (done.state !== 'succeeded' || !rep) {
    banner('Prune (dry run): ' + (done.error || 'no report'), true);
    return;
  }
  st.freeable = rep.freed || 0;
  renderAll();
  const removed = rep.removed || [];
  if (removed.length === 0) {
    banner('Nothing to prune: every build kept is in use or within retention.');
    return;
  }
  const list = el('ul', {}, removed.map((r) => el('li', {},
    r.kind + ' ' + (r.image ? r.image + ' ' : '') + (r.version ? r.version + ' ' : '') + '— ' + fmt.bytes(r.bytes) + (r.why ? ' (' + r.why + ')' : ''))));
  const body = el('div', {}, el('p', { text: 'Prune would remove ' + removed.length + (removed.length === 1 ? ' file' : ' files') + ' and free ' + fmt.bytes(rep.freed) + '. Builds that VM disks use are never removed.' }), list);
  if (await views.confirm('Prune?', body, 'Prune ' + fmt.bytes(rep.freed))) {
    const j = await submit('Prune', '/v1/prune', {});
    const fin = await waitJob(j).catch(() => null);
    st.freeable = 0;
    if (fin && fin.prune) banner('Prune: removed ' + (fin.prune.removed || []).length + ' files, freed ' + fmt.bytes(fin.prune.freed) + '.', fin.state !== 'succeeded');
    refreshSoon();
  }
}

async function copyDigest(button) {
  const d = button.dataset.digest;
  try {
    await navigator.clipboard.writeText(d);
    button.textContent = 'Copied';
  } catch {
    // No clipboard (an insecure origin or a denied permission): select
    // the digest so that the user can copy it.
    const code = button.parentElement.querySelector('code');
    code.textContent = d;
    getSelection().selectAllChildren(code);
    button.textContent = 'Selected';
  }
  setTimeout(() => { button.textContent = 'Copy'; }, 2000);
}

// --- sources -------------------------------------------------------------

async function loadSources() {
  if (st.sources) {
    add.show(st.sources);
    return;
  }
  try {
    st.sources = await api.get('/v1/sources');
    views.renderSources(st.sources);
    add.show(st.sources);
  } catch (err) {
    if (!authFailed(err)) views.sourcesError(err.message);
  }
}

// --- start ---------------------------------------------------------------

async function boot(why) {
  stopStream();
  setConn('Connecting…', '');
  let list;
  try {
    list = await api.get('/v1/images');
  } catch (err) {
    if (err.status === 401 || err.status === 403) {
      api.setToken('');
      setMode('signin', why && why !== err.message ? why : err.message);
      $('#token').focus();
      setConn('Signed out', 'down');
      return;
    }
    setConn('Not connected', 'down');
    $('#boot-state').textContent = 'fetchd does not answer; trying again every 3 seconds…';
    banner('fetchd does not answer: ' + err.message, true);
    setTimeout(() => boot(why), 3000);
    return;
  }
  applyImages(list);
  setMode(api.token() ? 'full' : 'read');
  if (why === 'Signed out.') banner('');
  st.historyUpTo = list.last_event_id;
  streamLoop(Math.max(0, list.last_event_id - HISTORY));
}

function wire() {
  window.addEventListener('hashchange', () => {
    // A sign-in link opened in a tab that shows the page already.
    if (api.takeTokenFromURL(location, history)) boot();
    else route();
  });
  $('#signin-form').addEventListener('submit', signIn);
  $('#signout').addEventListener('click', signOut);
  $('#signin-open').addEventListener('click', () => setMode('signin', ''));
  $('#sync-all').addEventListener('click', () => submit('Sync all images', '/v1/sync', {}));
  $('#check-all').addEventListener('click', () => submit('Check all images for updates', '/v1/check', {}));
  $('#prune').addEventListener('click', prune);
  $('#cards').addEventListener('click', (e) => {
    const b = e.target.closest('button');
    if (!b) return;
    const name = b.closest('.card').dataset.name;
    if (b.classList.contains('copy')) copyDigest(b);
    else if (b.dataset.act) act(name, b.dataset.act, b);
  });
  add.init({
    canAct,
    onAdded(ans) {
      banner('Added ' + (ans ? ans.name : 'the image') + ' (kept in ' + (ans ? ans.file : 'the private directory') + '); fetchd is fetching it now.');
      if (ans && ans.job) track(ans.job.id, 'Add ' + ans.name);
      location.hash = '#images';
      refreshSoon();
    },
  });
}

api.takeTokenFromURL(location, history);
wire();
boot();
