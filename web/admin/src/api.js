// api.js — the dashboards' only way to the server: same-origin fetch of the JSON API.
// The browser sends the session cookie (HttpOnly: this script never sees a token);
// every call carries the page's CSRF token in X-CSRF-Token, which the server checks
// before it lets the cookie stand for an Authorization header (docs/internals/web.md).
const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.content || '';

export const csrf = meta('souk-csrf');
export const face = meta('souk-face') || 'admin';
const permissions = meta('souk-permissions').split(' ').filter(Boolean);

// Whether the signed-in account holds PERMISSION (to leave out what it may not do;
// the API refuses it anyway).
export const can = (permission) => permissions.includes('*') || permissions.includes(permission);

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message || `The server answered ${status}.`);
    this.status = status;
    this.details = body?.error?.details || [];
  }
}

// The session ended (expired access token): the renewal page trades the refresh
// cookie for a new session and comes back here.
function renew() {
  location.assign(`/account/renew?next=${encodeURIComponent(location.pathname)}`);
}

// GET or POST PATH (under /api/v1) with an optional JSON BODY, or RAW bytes (a File or text) of
// TYPE; resolves to the parsed answer.
export async function api(path, { method = 'GET', body, raw, type, headers = {} } = {}) {
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json', 'X-CSRF-Token': csrf, ...headers } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  } else if (raw !== undefined) {
    init.headers['Content-Type'] = type;
    init.body = raw;
  }
  const res = await fetch(`/api/v1${path}`, init);
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  if (res.status === 401) { renew(); throw new ApiError(401, json); }
  if (!res.ok) throw new ApiError(res.status, json);
  return json;
}

// A query string from an object, leaving out empty values.
export function qs(params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

// The answer to GET PATH as a Blob (a CSV export), with the same credential as api().
export async function download(path, accept) {
  const res = await fetch(`/api/v1${path}`, { credentials: 'same-origin', headers: { Accept: accept, 'X-CSRF-Token': csrf } });
  if (res.status === 401) { renew(); throw new ApiError(401, null); }
  if (!res.ok) {
    let json = null;
    try { json = await res.json(); } catch { json = null; }
    throw new ApiError(res.status, json);
  }
  return res.blob();
}
