// What a card shows, worked out from the API's image object: pure
// functions, unit-tested in the browser (see unit_test.go).

import * as fmt from './format.js';

// The states a badge can show, with the style class for each; the badge
// always shows the text as well, never colour alone.
const STATES = {
  present: ['present', 'ok'],
  installed: ['present', 'ok'],
  updated: ['present', 'ok'],
  replaced: ['present', 'ok'],
  adopted: ['present', 'ok'],
  verified: ['present', 'ok'],
  outdated: ['outdated', 'warn'],
  held: ['held', 'held'],
  'rolled-back': ['held', 'held'],
  missing: ['missing', 'warn'],
  modified: ['modified', 'bad'],
  failed: ['failed', 'bad'],
};

const PHASES = {
  waiting: ['waiting', 'busy'],
  resolving: ['checking', 'busy'],
  downloading: ['downloading', 'busy'],
  verifying: ['verifying', 'busy'],
};

// badge returns [text, class] for an image.
export function badge(im) {
  if (im.progress && PHASES[im.progress.phase]) return PHASES[im.progress.phase];
  if (!im.ok && im.cause) return ['refused', 'bad'];
  if (im.ok && im.hold) return STATES.held; // held on its build, whatever upstream has
  return STATES[im.state] || [im.state || 'unknown', 'warn'];
}

// source is "ubuntu 24.04 · amd64 · server", or "direct URL".
export function source(im) {
  if (!im.source) return im.url ? 'direct URL' : '—';
  return [im.source + (im.release ? ' ' + im.release : ''), im.arch, im.variant].filter(Boolean).join(' · ');
}

// signature reads the engine's signature record: "verified (key FPR,
// operator)" or "unsigned: why".
export function signature(text) {
  if (!text) return '—';
  const m = /^verified \(key ([0-9A-Fa-f]+), (\w+)\)$/.exec(text);
  if (m) {
    const keyID = m[1].length > 16 ? m[1].slice(-16) : m[1];
    const origin = m[2] === 'operator' ? 'operator-configured key' : m[2] === 'embedded' ? "key embedded in the source plugin" : m[2];
    return 'signed: key ' + keyID.toUpperCase() + ' (' + origin + ')';
  }
  return text;
}

const CHECKS = {
  'qcow2-header': 'qcow2 header',
  'openpgp-signature': 'OpenPGP signature',
  'qemu-img info': 'qemu-img info',
  'qemu-img check': 'qemu-img check',
};

export function checks(by) {
  if (!by || by.length === 0) return '—';
  return fmt.listText(by.map((c) => CHECKS[c] || (/^sha\d+$/.test(c) ? c + ' digest' : c)));
}

export function sizes(im) {
  const parts = [];
  const disk = im.disk_bytes || im.size;
  if (disk) parts.push(fmt.bytes(disk) + ' on disk');
  if (im.virtual_size) parts.push(fmt.bytes(im.virtual_size) + ' virtual');
  return parts.length ? parts.join(' · ') : '—';
}

// activity is the text under an image's progress bar, and the bar's value
// (null: no bar). p is the live progress the page tracks.
export function activity(im, p) {
  if (p && p.phase === 'downloading') {
    const pct = fmt.percent(p.done, p.total);
    const parts = [p.total > 0 ? fmt.bytes(p.done) + ' of ' + fmt.bytes(p.total) : fmt.bytes(p.done)];
    if (p.rate > 0) parts.push(fmt.rate(p.rate));
    if (p.total > 0 && p.rate > 0) parts.push(fmt.eta((p.total - p.done) / p.rate));
    return { text: 'Downloading: ' + parts.join(' · '), value: p.total > 0 ? pct : null, active: true };
  }
  if (p && p.phase === 'verifying') {
    return { text: 'Verifying: digest, qcow2 header, qemu-img info and check…', value: null, active: true };
  }
  if (p && p.phase === 'resolving') return { text: 'Asking the source for its current build…', value: null, active: true };
  if (p && p.phase === 'waiting') return { text: 'Waiting for another fetchd to finish with the directory…', value: null, active: true };
  if (im.activity) return { text: 'Another fetchd: ' + im.activity, value: null, active: false };
  const [state] = badge(im);
  const idle = {
    present: 'Up to date as of the last check',
    outdated: 'A newer build is available upstream',
    held: im.hold ? 'Held: ' + im.hold : 'Held back',
    missing: 'Not downloaded yet',
  };
  return { text: idle[state] || '', value: null, active: false };
}

// update describes an available update: old → new build and digest.
export function update(im) {
  if (!im.upstream_digest || im.upstream_digest === im.digest) return null;
  if (im.cause && im.error) return null; // upstream's build is the one a check refused

  return {
    from: (im.version || 'current build') + ' (' + fmt.shortDigest(im.digest) + ')',
    to: (im.upstream_version || 'new build') + ' (' + fmt.shortDigest(im.upstream_digest) + ')',
    fromDigest: im.digest || '',
    toDigest: im.upstream_digest,
  };
}

// buildsSummary says how many builds are kept and which VM disks use the
// image by its name.
export function buildsSummary(im) {
  const n = (im.builds || []).length;
  const vms = im.overlays || [];
  return (n === 0 ? 'No builds kept yet' : 'Builds kept: ' + n) +
    (vms.length ? ' · VM disks using ' + im.name + ': ' + vms.join(', ') : '');
}

// buildUsers is the text of a kept build's "Used by" cell: the VM disks
// that use it (by its path or through the name), or "none".
export function buildUsers(b) {
  const vms = b.overlays || [];
  return vms.length ? vms.join(', ') : 'none';
}

// previous lists the builds a rollback can go back to.
export function previous(im) {
  return (im.builds || []).filter((b) => b.role === 'previous');
}

// alert is the problem to show on a card ('' for none), and whether it is
// a refusal (a check said no) rather than a failure.
export function alert(im) {
  if (!im.error) return null;
  if (im.cause) {
    const kept = im.ok ? ' The previous build stays: ' + (im.version || fmt.shortDigest(im.digest)) + '.' : '';
    return { refused: true, text: 'Refused by the ' + causeText(im.cause) + ' check: ' + im.error + kept };
  }
  return { refused: false, text: (im.ok ? 'The last attempt failed: ' : '') + im.error };
}

const CAUSES = {
  digest: 'digest', size: 'size', signature: 'signature', qcow2_header: 'qcow2 header',
  format: 'format', qemu_img: 'qemu-img', url_policy: 'URL policy', plugin_answer: 'plugin answer',
};

export function causeText(cause) {
  return CAUSES[cause] || cause;
}

// diskSegments is the chart's data: each image's space on disk, largest
// first, and what prune would free (if known).
export function diskSegments(images, freeable) {
  const segs = images.map((im) => ({ name: im.name, bytes: im.disk_bytes || im.size || 0 }))
    .filter((s) => s.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name));
  const total = segs.reduce((n, s) => n + s.bytes, 0);
  return { segs, total, freeable: freeable > 0 ? freeable : 0 };
}

// eventText is one activity log line for a stream event.
export function eventText(type, ev) {
  const r = ev.result;
  switch (type) {
    case 'job': return ev.message || 'job ' + ev.job + ' ' + ev.state;
    case 'reload': return ev.message || 'configuration loaded again';
    case 'resolve': return 'asking the source for the current build';
    case 'progress': return ev.event === 'downloading' ? 'download started: ' + (ev.url || '') : 'downloading';
    case 'verifying': return 'verifying the download';
    case 'refused': return 'refused by the ' + causeText(ev.cause) + ' check: ' + (r && r.error ? r.error : '');
    case 'failed': return 'failed: ' + (r && r.error ? r.error : ev.message || '');
    case 'dropped': return ev.message || 'events were dropped';
    default: break;
  }
  if (r) {
    let s = type + (r.version ? ': ' + r.version : '');
    if (r.note) s += ' (' + r.note + ')';
    return s;
  }
  return ev.message || type;
}

export function eventLevel(type) {
  if (type === 'refused' || type === 'failed' || type === 'modified') return 'bad';
  if (type === 'installed' || type === 'present') return 'ok';
  if (type === 'outdated' || type === 'held' || type === 'missing' || type === 'dropped') return 'warn';
  return '';
}
