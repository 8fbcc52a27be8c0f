// The "add an image" form: a source, release (with aliases and end of
// life), architecture and variant, previewed with what resolve answers
// before anything is added; or a direct URL with its checksum.

import * as api from './api.js';
import { $, el, clear, dl } from './dom.js';
import * as fmt from './format.js';

let sources = [];
let previewed = null; // the request the current preview answered
let nameTouched = false;

const form = () => $('#add-form');
const kind = () => form().elements.kind.value;

export function init(ctx) {
  const f = form();
  f.addEventListener('change', (e) => {
    if (e.target.name === 'kind') {
      $('#add-source').hidden = kind() !== 'source';
      $('#add-url').hidden = kind() !== 'url';
    }
    if (e.target.id === 'add-src') fillSource();
    if (e.target.id === 'add-rel') releaseHelp();
    invalidate(ctx);
    suggestName();
  });
  f.addEventListener('input', (e) => {
    if (e.target.id === 'add-name') nameTouched = e.target.value !== '';
    invalidate(ctx);
    if (e.target.id === 'add-u') suggestName();
  });
  $('#add-preview').addEventListener('click', () => preview(ctx));
  f.addEventListener('submit', (e) => {
    e.preventDefault();
    submit(ctx);
  });
}

// show fills the selects from list-sources (once).
export function show(doc) {
  if (sources.length) return;
  sources = ((doc && doc.sources) || []).filter((s) => !s.error && s.releases && s.releases.length);
  const sel = clear($('#add-src'));
  for (const s of sources) sel.append(el('option', { value: s.name, text: s.name + (s.summary ? ' — ' + s.summary : '') }));
  fillSource();
}

function current() {
  return sources.find((s) => s.name === $('#add-src').value);
}

function fillSource() {
  const s = current();
  const rel = clear($('#add-rel'));
  const arch = clear($('#add-arch'));
  const vr = clear($('#add-var'));
  if (!s) return;
  for (const r of s.releases) {
    const extra = [];
    if (r.aliases && r.aliases.length) extra.push(r.aliases.join(', '));
    if (r.eol) extra.push('EOL ' + r.eol);
    rel.append(el('option', { value: r.name, selected: r.name === s.default_release, text: r.name + (extra.length ? ' (' + extra.join('; ') + ')' : '') }));
  }
  arch.append(el('option', { value: '', text: "this host's (default)" }));
  for (const a of s.arches || []) arch.append(el('option', { value: a.name, text: a.name + (a.aliases && a.aliases.length ? ' (' + a.aliases.join(', ') + ')' : '') }));
  if (!(s.variants && s.variants.length)) vr.append(el('option', { value: '', text: 'none' }));
  for (const v of s.variants || []) vr.append(el('option', { value: v.name, selected: v.name === s.default_variant, text: v.name + (v.name === s.default_variant ? ' (default)' : '') }));
  releaseHelp();
  suggestName();
}

function releaseHelp() {
  const s = current();
  const r = s && s.releases.find((x) => x.name === $('#add-rel').value);
  let help = r && r.summary ? r.summary : '';
  if (r && r.eol && new Date(r.eol) < new Date()) help = 'Past its end of life (' + r.eol + '). ' + help;
  $('#add-rel-help').textContent = help;
}

function suggestName() {
  if (nameTouched) return;
  const n = $('#add-name');
  if (kind() === 'source') {
    const s = $('#add-src').value;
    const r = $('#add-rel').value;
    n.value = s && r ? s + '-' + r + '.qcow2' : '';
  } else {
    const u = $('#add-u').value;
    n.value = u ? decodeURIComponent(u.split(/[?#]/)[0].split('/').pop() || '') : '';
  }
}

// request is what the form asks for, as POST /v1/images takes it.
export function request() {
  const f = form().elements;
  const r = { name: f.name.value.trim() };
  if (kind() === 'source') {
    Object.assign(r, { source: f.source.value, release: f.release.value, arch: f.arch.value, variant: f.variant.value });
  } else {
    Object.assign(r, { url: f.url.value.trim(), checksum: f.checksum.value.trim(), format: f.format.value });
  }
  return r;
}

function invalidate(ctx) {
  if (previewed && JSON.stringify(previewed) !== JSON.stringify(withoutName(request()))) {
    previewed = null;
    clear($('#add-answer'));
  }
  $('#add-submit').disabled = !ctx.canAct() || (kind() === 'source' && !previewed);
}

function withoutName(r) {
  const c = Object.assign({}, r);
  delete c.name;
  return c;
}

async function preview(ctx) {
  const req = withoutName(request());
  const out = clear($('#add-answer'));
  $('#add-error').textContent = '';
  out.append(el('p', { class: 'help', text: kind() === 'source' ? 'Asking ' + req.source + ' what it would download…' : 'Checking…' }));
  try {
    const ans = await api.post('/v1/resolve', req);
    clear(out);
    out.append(el('h2', { text: 'What fetchd would download' }), answerList(ans));
    previewed = req;
  } catch (e) {
    clear(out);
    $('#add-error').textContent = e.message;
    previewed = null;
  }
  $('#add-submit').disabled = !ctx.canAct() || !previewed;
}

function answerList(a) {
  let sig = a.signature === 'verified'
    ? 'signed: key ' + (a.key_fingerprint || '').slice(-16) + ' (' + (a.key_origin === 'operator' ? 'operator-configured key' : 'key embedded in the source plugin') + ')'
    : 'unsigned: ' + (a.signature_detail || a.signature || 'checksum over https');
  if (a.signature === 'verified' && a.signature_detail) sig += '; ' + a.signature_detail;
  return dl([
    ['URL', a.url],
    ['Build', a.version || ''],
    ['Release', [a.release, a.arch, a.variant].filter(Boolean).join(' · ')],
    ['Format', a.format || ''],
    ['Size', a.size ? fmt.bytes(a.size) : ''],
    ['Digest', a.checksum ? el('code', { text: a.checksum }) : ''],
    ['Checksum from', a.checksum_url || ''],
    ['Signature', sig],
    ['Image signature', a.image_signature || ''],
  ]);
}

async function submit(ctx) {
  $('#add-error').textContent = '';
  const req = request();
  try {
    const ans = await api.post('/v1/images', req);
    previewed = null;
    nameTouched = false;
    clear($('#add-answer'));
    form().reset();
    $('#add-source').hidden = false;
    $('#add-url').hidden = true;
    fillSource();
    ctx.onAdded(ans);
  } catch (e) {
    $('#add-error').textContent = e.message;
  }
}
