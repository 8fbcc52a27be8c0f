// Image cards: made once per image from the page's template and updated
// in place, so that a progress event changes two texts and a bar, and
// nothing moves.

import { $, el, clear } from './dom.js';
import * as fmt from './format.js';
import * as model from './model.js';

let seq = 0;

export function create(name) {
  const li = $('#t-card').content.firstElementChild.cloneNode(true);
  const id = 'card-' + ++seq;
  const art = $('article', li);
  const h = $('.name', li);
  h.id = id;
  h.textContent = name;
  art.setAttribute('aria-labelledby', id);
  li.dataset.name = name;
  // Every button says which image it acts on to assistive technology.
  for (const b of li.querySelectorAll('button')) {
    b.setAttribute('aria-describedby', id);
  }
  $('progress', li).setAttribute('aria-label', 'Download of ' + name);
  return li;
}

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

// update fills a card from the image and its live progress. canAct says
// whether this tab may change anything.
export function update(li, im, live, canAct) {
  // What the page knows live replaces the progress the list last had.
  const view = Object.assign({}, im, { progress: live || null });
  const [state, cls] = model.badge(view);
  const badge = $('.badge', li);
  badge.className = 'badge ' + cls;
  setText($('.badge-text', li), state);
  li.dataset.state = state;

  setText($('.f-source', li), model.source(im));
  setText($('.f-build', li), im.version || (im.ok ? 'unnamed build' : '—'));
  setText($('.f-digest', li), fmt.shortDigest(im.digest) || '—');
  $('.f-digest', li).title = im.digest || '';
  $('.copy', li).hidden = !im.digest;
  $('.copy', li).dataset.digest = im.digest || '';
  setText($('.f-sig', li), model.signature(im.signature));
  setText($('.f-checks', li), model.checks(im.verified_by));
  setText($('.f-size', li), model.sizes(im));
  setText($('.f-checked', li), fmt.when(im.verified_at) || 'never');

  const act = model.activity(view, live || null);
  const area = $('.activity', li);
  area.classList.toggle('active', act.active);
  const bar = $('progress', li);
  if (act.value === null) bar.removeAttribute('value');
  else bar.value = act.value;
  setText($('.activity-text', li), act.text);

  const al = model.alert(im);
  const alertBox = $('.alert', li);
  alertBox.hidden = !al;
  if (al) {
    alertBox.classList.toggle('warn', im.ok);
    setText(alertBox, al.text);
  }

  const up = model.update(im);
  const upBox = $('.update', li);
  upBox.hidden = !up;
  if (up) setText(upBox, 'Update available: ' + up.from + ' → ' + up.to);

  renderBuilds(li, im);

  const busy = !!live;
  const show = (a, on) => { $('[data-act="' + a + '"]', li).hidden = !on; };
  const held = !!im.hold || im.state === 'held' || im.state === 'rolled-back';
  show('update', !!up && im.state === 'outdated');
  show('hold', !held);
  show('unhold', held);
  show('rollback', model.previous(im).length > 0);
  show('remove', im.origin === 'added');
  for (const b of li.querySelectorAll('.act')) b.disabled = !canAct || busy;
  setText($('.origin', li), im.origin === 'added'
    ? 'Added through this UI (kept in the private directory); it can be removed here.'
    : 'Declared in the configuration file' + (im.declared ? ' (' + im.declared + ')' : '') + ': change or remove it there.');
}

function renderBuilds(li, im) {
  const builds = im.builds || [];
  const summary = $('.builds-summary', li);
  const n = builds.length;
  setText(summary, model.buildsSummary(im));
  $('.builds', li).hidden = n === 0;
  const key = JSON.stringify(builds);
  const body = $('.builds-body', li);
  if (body.dataset.key === key) return;
  body.dataset.key = key;
  clear(body);
  if (n === 0) return;
  const rows = builds.map((b) => el('tr', {},
    el('td', { text: b.role }),
    el('td', {}, b.version || '—', el('br'), el('code', { text: fmt.shortDigest(b.digest), title: b.digest })),
    el('td', { text: b.missing ? 'missing' : fmt.bytes(b.disk_bytes) }),
    el('td', { class: 'path', text: model.buildUsers(b) })));
  body.append(el('div', { class: 'table-wrap' }, el('table', {},
    el('caption', { class: 'help', text: 'Builds of ' + im.name + ' kept on disk' }),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: 'Role' }), el('th', { scope: 'col', text: 'Build' }),
      el('th', { scope: 'col', text: 'On disk' }), el('th', { scope: 'col', text: 'Used by VM disks' }))),
    el('tbody', {}, rows))));
}
