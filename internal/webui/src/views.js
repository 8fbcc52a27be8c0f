// The other views: sources, the activity log, the disk chart, and the
// confirmation dialog.

import { $, el, clear, dl, svg } from './dom.js';
import * as fmt from './format.js';
import * as model from './model.js';

export function renderSources(doc) {
  const root = clear($('#sources'));
  root.className = 'sources';
  const list = (doc && doc.sources) || [];
  const state = $('#sources-state');
  state.className = 'state-msg';
  state.textContent = list.length ? '' : 'No source plugins found.';
  for (const w of (doc && doc.warnings) || []) root.append(el('p', { class: 'alert warn', text: w }));
  for (const s of list) {
    const releases = (s.releases || []).map((r) => el('tr', {},
      el('td', { text: r.name }),
      el('td', { text: (r.aliases || []).join(', ') || '—' }),
      el('td', { text: r.eol || '—' }),
      el('td', { text: r.summary || '' })));
    root.append(el('article', { 'aria-labelledby': 'src-' + s.name },
      el('h2', { id: 'src-' + s.name, text: s.name + (s.version ? ' ' + s.version : '') }),
      s.summary ? el('p', { class: 'help', text: s.summary }) : null,
      s.error ? el('p', { class: 'alert', text: s.error }) : null,
      dl([
        ['Origin', s.origin + (s.builtin ? '' : ' (' + s.path + ')')],
        ['Replaces', (s.shadows || []).join(', ')],
        ['Protocol', s.protocol ? 'v' + s.protocol : ''],
        ['Default base URL', s.default_base_url || ''],
        ['Default release', s.default_release || ''],
        ['Architectures', (s.arches || []).map((a) => a.name + (a.aliases && a.aliases.length ? ' (' + a.aliases.join(', ') + ')' : '')).join(', ')],
        ['Variants', (s.variants || []).map((v) => v.name + (v.name === s.default_variant ? ' (default)' : '')).join(', ')],
      ], 'facts'),
      releases.length ? el('div', { class: 'table-wrap' }, el('table', {},
        el('caption', { class: 'help', text: 'Releases of ' + s.name }),
        el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: 'Release' }), el('th', { scope: 'col', text: 'Aliases' }),
          el('th', { scope: 'col', text: 'End of life' }), el('th', { scope: 'col', text: 'About' }))),
        el('tbody', {}, releases))) : null));
  }
}

export function sourcesError(msg) {
  const state = $('#sources-state');
  state.className = 'state-msg bad';
  state.textContent = 'Could not load the sources: ' + msg;
}

const MAX_LOG = 300;

// logEvent adds one stream event to the activity log (newest first).
export function logEvent(type, ev) {
  if (type === 'progress' && ev.event !== 'downloading') return;
  const log = $('#log');
  $('#activity-state').textContent = '';
  const level = model.eventLevel(type);
  const li = el('li', { class: level ? 'lv-' + level : '' },
    el('time', { datetime: ev.time || '', text: fmt.when(ev.time) }),
    el('span', { class: level, text: type }),
    el('span', { class: 'msg' }, ev.image ? el('strong', { text: ev.image + ': ' }) : null, model.eventText(type, ev)));
  log.prepend(li);
  while (log.children.length > MAX_LOG) log.lastElementChild.remove();
}

// renderDisk draws the disk chart: one bar, a segment per image, and a
// legend that gives every number in text.
export function renderDisk(images, freeable) {
  const { segs, total, freeable: free } = model.diskSegments(images, freeable);
  const bar = clear($('#disk-bar'));
  const legend = clear($('#disk-legend'));
  $('#disk-title').textContent = total > 0
    ? 'Disk use: ' + fmt.bytes(total) + ' in ' + segs.length + (segs.length === 1 ? ' image' : ' images')
    : 'Disk use: nothing on disk yet';
  const s = svg('svg', { viewBox: '0 0 1000 20', preserveAspectRatio: 'none', role: 'img', 'aria-label': 'Disk use per image; the list below gives the numbers' });
  let x = 0;
  segs.forEach((seg, i) => {
    const w = total > 0 ? (seg.bytes / total) * 1000 : 0;
    const r = svg('rect', { x: x.toFixed(2), y: 0, width: Math.max(w, 1).toFixed(2), height: 20, class: 'seg' + (i % 6) });
    const t = svg('title', {});
    t.textContent = seg.name + ': ' + fmt.bytes(seg.bytes);
    r.append(t);
    s.append(r);
    x += w;
    legend.append(el('li', {}, el('span', { class: 'swatch seg' + (i % 6), 'aria-hidden': 'true' }), seg.name + ': ' + fmt.bytes(seg.bytes)));
  });
  if (free > 0 && total > 0) {
    const w = Math.min(free / total, 1) * 1000;
    s.append(svg('rect', { x: (1000 - w).toFixed(2), y: 1, width: w.toFixed(2), height: 18, class: 'segfree' }));
    legend.append(el('li', {}, el('span', { class: 'swatch segfree', 'aria-hidden': 'true' }), 'prune would free ' + fmt.bytes(free)));
  }
  bar.append(s);
}

// confirm asks before something destructive; it resolves to true for OK.
// body is a node (or text); okText names the action.
export function confirm(title, body, okText) {
  const d = $('#confirm');
  $('#confirm-title').textContent = title;
  const b = clear($('#confirm-body'));
  b.append(typeof body === 'string' ? el('p', { text: body }) : body);
  $('#confirm-ok').textContent = okText;
  d.returnValue = '';
  return new Promise((resolve) => {
    d.addEventListener('close', () => resolve(d.returnValue === 'ok'), { once: true });
    d.showModal();
  });
}
