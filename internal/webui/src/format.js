// Formatting for people: sizes in binary units, rates, times left, and
// dates in the browser's locale and time zone.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function bytes(n) {
  if (!Number.isFinite(n) || n < 0) return '—';
  let i = 0;
  let v = n;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  const digits = i === 0 || v >= 100 ? 0 : 1;
  return new Intl.NumberFormat(undefined, { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(v) + ' ' + UNITS[i];
}

export function rate(bytesPerSecond) {
  if (!(bytesPerSecond > 0)) return '';
  return bytes(bytesPerSecond) + '/s';
}

// eta says how long is left: "12 s left", "3 min left", "2 h 5 min left".
export function eta(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return '';
  const s = Math.ceil(seconds);
  if (s < 60) return s + ' s left';
  const m = Math.round(s / 60);
  if (m < 60) return m + ' min left';
  return Math.floor(m / 60) + ' h ' + (m % 60) + ' min left';
}

export function percent(done, total) {
  if (!(total > 0)) return 0;
  return Math.max(0, Math.min(100, (done / total) * 100));
}

const dateFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

// when formats an RFC 3339 time in the user's locale ('' for none).
export function when(rfc3339) {
  if (!rfc3339) return '';
  const d = new Date(rfc3339);
  if (Number.isNaN(d.getTime())) return '';
  return dateFmt.format(d);
}

export function clock(rfc3339) {
  const d = new Date(rfc3339);
  if (Number.isNaN(d.getTime())) return '';
  return timeFmt.format(d);
}

// shortDigest keeps the algorithm and the first 12 hex digits.
export function shortDigest(d) {
  if (!d) return '';
  const [algo, hex] = d.includes(':') ? d.split(':', 2) : ['', d];
  const short = hex.length > 12 ? hex.slice(0, 12) + '…' : hex;
  return algo ? algo + ':' + short : short;
}

// listText joins words: "a", "a and b", "a, b and c".
export function listText(items) {
  if (items.length <= 1) return items.join('');
  return items.slice(0, -1).join(', ') + ' and ' + items[items.length - 1];
}
