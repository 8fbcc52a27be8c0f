// Unit tests of the UI's pure modules, run in the browser by unit_test.go.
import * as fmt from '/src/format.js';
import * as model from '/src/model.js';
import { Parser } from '/src/sse.js';
import * as api from '/src/api.js';

const failures = [];
let passed = 0;

function eq(name, got, want) {
  const g = JSON.stringify(got);
  const w = JSON.stringify(want);
  if (g === w) passed++;
  else failures.push(name + ': got ' + g + ', want ' + w);
}

function ok(name, cond) {
  eq(name, !!cond, true);
}

// format
eq('bytes 0', fmt.bytes(0), '0 B');
eq('bytes KiB', fmt.bytes(1536), '1.5 KiB');
eq('bytes GiB', fmt.bytes(5 * 1024 ** 3), '5.0 GiB');
eq('bytes big unit', fmt.bytes(200 * 1024 ** 2), '200 MiB');
eq('bytes bad', fmt.bytes(-1), '—');
eq('bytes NaN', fmt.bytes(NaN), '—');
eq('rate', fmt.rate(2048), '2.0 KiB/s');
eq('rate zero', fmt.rate(0), '');
eq('eta s', fmt.eta(12.2), '13 s left');
eq('eta min', fmt.eta(150), '3 min left');
eq('eta h', fmt.eta(7500), '2 h 5 min left');
eq('eta bad', fmt.eta(-1), '');
eq('percent', fmt.percent(50, 200), 25);
eq('percent unknown', fmt.percent(50, 0), 0);
eq('percent clamp', fmt.percent(300, 200), 100);
eq('shortDigest', fmt.shortDigest('sha256:' + 'ab'.repeat(32)), 'sha256:abababababab…');
eq('shortDigest bare', fmt.shortDigest('abc'), 'abc');
eq('shortDigest none', fmt.shortDigest(''), '');
eq('when none', fmt.when(''), '');
eq('when bad', fmt.when('not a time'), '');
ok('when locale', fmt.when('2026-12-03T10:00:00Z').includes('2026'));
ok('clock', fmt.clock('2026-12-03T10:00:00Z').length > 0);
eq('clock bad', fmt.clock('x'), '');
eq('listText 0', fmt.listText([]), '');
eq('listText 1', fmt.listText(['a']), 'a');
eq('listText 3', fmt.listText(['a', 'b', 'c']), 'a, b and c');

// model: badges
eq('badge present', model.badge({ state: 'installed', ok: true }), ['present', 'ok']);
eq('badge downloading', model.badge({ state: 'missing', progress: { phase: 'downloading' } }), ['downloading', 'busy']);
eq('badge verifying', model.badge({ state: 'present', progress: { phase: 'verifying' } }), ['verifying', 'busy']);
eq('badge refused', model.badge({ state: 'failed', ok: false, cause: 'digest', error: 'x' }), ['refused', 'bad']);
eq('badge refused but kept', model.badge({ state: 'present', ok: true, cause: 'digest', error: 'x' }), ['present', 'ok']);
eq('badge held by the operator', model.badge({ state: 'present', ok: true, hold: 'testing' }), ['held', 'held']);
eq('badge held but failed', model.badge({ state: 'failed', ok: false, hold: 'testing' }), ['failed', 'bad']);
eq('badge rolled back', model.badge({ state: 'rolled-back', ok: true }), ['held', 'held']);
eq('badge unknown', model.badge({ state: 'weird' }), ['weird', 'warn']);
eq('badge empty', model.badge({}), ['unknown', 'warn']);
eq('source', model.source({ source: 'ubuntu', release: '24.04', arch: 'amd64', variant: 'server' }), 'ubuntu 24.04 · amd64 · server');
eq('source url', model.source({ url: 'https://x/y' }), 'direct URL');
eq('source none', model.source({}), '—');
eq('signature operator', model.signature('verified (key 0123456789ABCDEF0123456789ABCDEF01234567, operator)'), 'signed: key 89ABCDEF01234567 (operator-configured key)');
eq('signature embedded', model.signature('verified (key abcd, embedded)'), 'signed: key ABCD (key embedded in the source plugin)');
eq('signature unsigned', model.signature('unsigned: checksum over https'), 'unsigned: checksum over https');
eq('signature none', model.signature(''), '—');
eq('checks', model.checks(['sha256', 'openpgp-signature', 'qcow2-header', 'qemu-img check', 'other']), 'sha256 digest, OpenPGP signature, qcow2 header, qemu-img check and other');
eq('checks none', model.checks([]), '—');
eq('sizes', model.sizes({ disk_bytes: 1024, virtual_size: 2048 }), '1.0 KiB on disk · 2.0 KiB virtual');
eq('sizes none', model.sizes({}), '—');

// model: activity lines
const dl = model.activity({}, { phase: 'downloading', done: 512, total: 1024, rate: 256 });
eq('activity downloading', dl, { text: 'Downloading: 512 B of 1.0 KiB · 256 B/s · 2 s left', value: 50, active: true });
eq('activity unknown size', model.activity({}, { phase: 'downloading', done: 512, total: 0, rate: 0 }), { text: 'Downloading: 512 B', value: null, active: true });
eq('activity verifying', model.activity({}, { phase: 'verifying' }).active, true);
eq('activity resolving', model.activity({}, { phase: 'resolving' }).active, true);
eq('activity waiting', model.activity({}, { phase: 'waiting' }).active, true);
eq('activity other fetchd', model.activity({ activity: 'downloading 4% (pid 9)' }, null).text, 'Another fetchd: downloading 4% (pid 9)');
eq('activity idle present', model.activity({ state: 'present', ok: true }, null).text, 'Up to date as of the last check');
eq('activity idle held', model.activity({ state: 'held', ok: true, hold: 'testing' }, null).text, 'Held: testing');
eq('activity idle held back', model.activity({ state: 'held', ok: true }, null).text, 'Held back');
eq('activity idle failed', model.activity({ state: 'failed' }, null).text, '');

// model: update, previous, alert
eq('update none', model.update({ digest: 'sha256:aa', upstream_digest: 'sha256:aa' }), null);
eq('update', model.update({ version: '1', digest: 'sha256:aa', upstream_version: '2', upstream_digest: 'sha256:bb' }),
  { from: '1 (sha256:aa)', to: '2 (sha256:bb)', fromDigest: 'sha256:aa', toDigest: 'sha256:bb' });
eq('update refused', model.update({ digest: 'sha256:aa', upstream_digest: 'sha256:bb', cause: 'digest', error: 'x' }), null);
eq('update unnamed', model.update({ upstream_digest: 'sha256:bb' }).from, 'current build ()');
eq('previous', model.previous({ builds: [{ role: 'current' }, { role: 'previous', digest: 'x' }] }), [{ role: 'previous', digest: 'x' }]);
eq('previous none', model.previous({}), []);
eq('build users none', model.buildUsers({ role: 'current' }), 'none');
eq('build users', model.buildUsers({ role: 'previous', overlays: ['/vm/a.qcow2', '/vm/b.qcow2'] }), '/vm/a.qcow2, /vm/b.qcow2');
eq('builds summary none', model.buildsSummary({ name: 'a' }), 'No builds kept yet');
eq('builds summary', model.buildsSummary({ name: 'a', builds: [{}, {}], overlays: [] }), 'Builds kept: 2');
eq('builds summary vms', model.buildsSummary({ name: 'a', builds: [{}], overlays: ['/vm/x.qcow2', '/vm/y.qcow2'] }), 'Builds kept: 1 · VM disks using a: /vm/x.qcow2, /vm/y.qcow2');
eq('alert none', model.alert({}), null);
eq('alert refused kept', model.alert({ ok: true, cause: 'qcow2_header', error: 'corrupt bit', version: '1' }),
  { refused: true, text: 'Refused by the qcow2 header check: corrupt bit The previous build stays: 1.' });
eq('alert refused', model.alert({ ok: false, cause: 'odd', error: 'e' }), { refused: true, text: 'Refused by the odd check: e' });
eq('alert failed kept', model.alert({ ok: true, error: 'network' }).text, 'The last attempt failed: network');
eq('alert failed', model.alert({ ok: false, error: 'network' }).text, 'network');

// model: disk chart
eq('disk', model.diskSegments([{ name: 'b', size: 10 }, { name: 'a', disk_bytes: 30 }, { name: 'c' }], 5),
  { segs: [{ name: 'a', bytes: 30 }, { name: 'b', bytes: 10 }], total: 40, freeable: 5 });
eq('disk none freeable', model.diskSegments([], -1).freeable, 0);

// model: activity log
eq('event job', model.eventText('job', { message: 'sync (api) succeeded' }), 'sync (api) succeeded');
eq('event job bare', model.eventText('job', { job: '3', state: 'running' }), 'job 3 running');
eq('event reload', model.eventText('reload', {}), 'configuration loaded again');
eq('event resolve', model.eventText('resolve', {}), 'asking the source for the current build');
eq('event downloading', model.eventText('progress', { event: 'downloading', url: 'u' }), 'download started: u');
eq('event progress', model.eventText('progress', { event: 'progress' }), 'downloading');
eq('event verifying', model.eventText('verifying', {}), 'verifying the download');
eq('event refused', model.eventText('refused', { cause: 'digest', result: { error: 'mismatch' } }), 'refused by the digest check: mismatch');
eq('event refused bare', model.eventText('refused', { cause: 'digest' }), 'refused by the digest check: ');
eq('event failed', model.eventText('failed', { result: { error: 'x' } }), 'failed: x');
eq('event failed message', model.eventText('failed', { message: 'm' }), 'failed: m');
eq('event dropped', model.eventText('dropped', {}), 'events were dropped');
eq('event installed', model.eventText('installed', { result: { version: '2', note: 'n' } }), 'installed: 2 (n)');
eq('event other', model.eventText('message', { message: 'hi' }), 'hi');
eq('event bare', model.eventText('x', {}), 'x');
eq('levels', ['refused', 'installed', 'held', 'job'].map(model.eventLevel), ['bad', 'ok', 'warn', '']);
eq('causeText', model.causeText('url_policy'), 'URL policy');

// sse parser: fields, comments, CRLF, events split across chunks
const got = [];
const p = new Parser((e) => got.push(e));
p.push('retry: 2000\n: comment\n\nid: 1\nevent: progress\ndata: {"a":');
p.push('1}\n\nid: 2\r\nevent: job\r\ndata: x\r\ndata: y\r\n\r\n');
p.push('data:nospace\nunknown: z\nid\n\n');
eq('sse events', got, [
  { id: '1', type: 'progress', data: '{"a":1}' },
  { id: '2', type: 'job', data: 'x\ny' },
  { id: '', type: 'message', data: 'nospace' },
]);

// api: the token moves from the fragment into the tab's storage
sessionStorage.clear();
const replaced = [];
const hist = { replaceState: (a, b, url) => replaced.push(url) };
eq('no token in url', api.takeTokenFromURL({ hash: '#images', pathname: '/' }, hist), false);
eq('token in url', api.takeTokenFromURL({ hash: '#token=abc%2Fdef', pathname: '/' }, hist), true);
eq('token kept', api.token(), 'abc/def');
eq('url cleaned', replaced, ['/#images']);
eq('auth header', api.headers().get('Authorization'), 'Bearer abc/def');
api.setToken('');
eq('token dropped', api.token(), '');
eq('no auth header', api.headers().has('Authorization'), false);
eq('imagePath', api.imagePath('a b.qcow2', 'sync'), '/v1/images/a%20b.qcow2/sync');
eq('imagePath bare', api.imagePath('x'), '/v1/images/x');

// The CSP: an inline script and an inline handler never ran, and a
// script element made at run time is refused too.
document.getElementById('attr').click();
const s = document.createElement('script');
let blocked = false;
try {
  s.textContent = 'window.injectedRan = true';
  document.body.append(s);
} catch {
  blocked = true; // Trusted Types refuse the text itself
}
eq('inline script did not run', window.inlineRan, undefined);
eq('inline handler did not run', window.handlerRan, undefined);
eq('injected script did not run', window.injectedRan, undefined);
ok('trusted types refused the script text', blocked);
let htmlBlocked = false;
try {
  document.getElementById('out').innerHTML = '<b>x</b>';
} catch {
  htmlBlocked = true;
}
ok('trusted types refuse innerHTML', htmlBlocked);
// Styles: the page's CSP allows its own sheet by hash and nothing else, so
// neither a style attribute nor a style element made at run time applies.
const st = document.createElement('style');
st.textContent = '#out { color: rgb(1, 2, 3); }';
document.head.append(st);
const colour = (id) => getComputedStyle(document.getElementById(id)).color;
ok('an injected style element does not apply', colour('out') !== 'rgb(1, 2, 3)');
ok('a style attribute does not apply', colour('styled') !== 'rgb(4, 5, 6)');

window.unitResults = { passed, failures };
