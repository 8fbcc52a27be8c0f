// The API client: every call carries the tab's token (if any) as a bearer
// token; errors come back as ApiError with fetchd's own words.

const KEY = 'fetchd.token';

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function token() {
  return sessionStorage.getItem(KEY) || '';
}

export function setToken(t) {
  if (t) sessionStorage.setItem(KEY, t);
  else sessionStorage.removeItem(KEY);
}

// takeTokenFromURL moves a token from the address bar's fragment
// (#token=…, as `fetchd serve` prints it) into the tab's storage and takes
// it out of the address bar and the history entry.
export function takeTokenFromURL(loc, hist) {
  const m = /^#token=([^&]+)/.exec(loc.hash);
  if (!m) return false;
  setToken(decodeURIComponent(m[1]));
  hist.replaceState(null, '', loc.pathname + '#images');
  return true;
}

export function headers(extra) {
  const h = new Headers(extra || {});
  const t = token();
  if (t) h.set('Authorization', 'Bearer ' + t);
  return h;
}

// call makes one API call and returns the decoded JSON answer (or null).
export async function call(method, path, body, signal) {
  const init = { method, headers: headers(), signal, cache: 'no-store' };
  if (body !== undefined) {
    init.headers.set('Content-Type', 'application/json');
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, 'fetchd serve does not answer (' + e.message + ')');
  }
  const text = await res.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!res.ok) {
    const msg = data && data.error ? data.error : res.status + ' ' + res.statusText;
    throw new ApiError(res.status, msg);
  }
  return data;
}

export const get = (path, signal) => call('GET', path, undefined, signal);
export const post = (path, body) => call('POST', path, body === undefined ? {} : body);
export const del = (path) => call('DELETE', path);

// image is the API path of an image's sub-resource.
export function imagePath(name, rest) {
  return '/v1/images/' + encodeURIComponent(name) + (rest ? '/' + rest : '');
}
