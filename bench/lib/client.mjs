// What the node load generators of bench/ share (node built-ins only): a keep-alive HTTP
// client for one souk, failing the run on an answer it did not expect, and durations.
import http from 'node:http';

export const log = (...a) => console.error('bench:', ...a);

/** Logs MSG and exits with CODE. */
export function fail(code, msg) {
  log(msg);
  process.exit(code);
}

/** Seconds in a duration such as "10s", "500ms", "2m". */
export function seconds(s) {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(String(s || '10s'));
  if (!m) throw new Error(`bad duration ${s}`);
  return Number(m[1]) * (m[2] === 'ms' ? 0.001 : m[2] === 'm' ? 60 : 1);
}

/** The p-th percentile of the sorted array SORTED. */
export const pct = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);

/**
 * A client of the souk at BASE (URL text), sending KEY as the admin's bearer token when asked,
 * with up to SOCKETS keep-alive connections: {request, must, close}.
 *   request(method, path, {body, headers, admin}) -> {status, text, ms}; rejects on network errors
 *   must(status, method, path, opts) -> the parsed body, or exits 1 on another status
 */
export function client(base, key, sockets) {
  const url = new URL(base);
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
  function request(method, path, { body, headers = {}, admin = false } = {}) {
    return new Promise((resolve, reject) => {
      const h = { ...headers };
      let payload;
      if (body !== undefined) {
        payload = Buffer.from(JSON.stringify(body));
        h['Content-Type'] = 'application/json';
        h['Content-Length'] = payload.length;
      }
      if (admin) h.Authorization = `Bearer ${key}`;
      const t0 = process.hrtime.bigint();
      const req = http.request({ host: url.hostname, port: url.port, method, path, headers: h, agent }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8'),
          ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(payload);
    });
  }
  async function must(status, method, path, opts) {
    const r = await request(method, path, opts);
    if (r.status !== status) fail(1, `${method} ${path} -> ${r.status} (expected ${status}): ${r.text.slice(0, 300)}`);
    return r.text ? JSON.parse(r.text) : null;
  }
  return { request, must, close: () => agent.destroy() };
}
