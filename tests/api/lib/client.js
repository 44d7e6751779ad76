// HTTP client that validates every response against the OpenAPI document
// served by the running server (GET /api/v1/openapi.json).
//
//   const r = await api(server, 'GET', '/api/v1/products?limit=5');
//   r.status, r.headers (Headers), r.body (parsed JSON or text), r.text
//
// Options: body (JSON-encoded, Content-Type application/json), rawBody (sent
// as is), headers, key (true = server.adminKey, or a literal key string).
import assert from 'node:assert/strict';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const specs = new WeakMap(); // server -> Promise<Spec>

function escapePtr(s) {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

class Spec {
  constructor(doc) {
    this.doc = doc;
    this.ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(this.ajv);
    this.ajv.addSchema(doc, 'openapi');
    this.validators = new Map();
    this.templates = Object.keys(doc.paths || {}).map((tpl) => {
      const segs = tpl.split('/');
      const literal = segs.filter((s) => !/^\{[^}]+\}$/.test(s)).length;
      const re = new RegExp('^' + segs.map((s) => (/^\{[^}]+\}$/.test(s) ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/') + '$');
      return { tpl, re, literal };
    }).sort((a, b) => b.literal - a.literal);
  }

  /** Follow $ref chains of non-schema objects; returns {obj, ptr}. */
  resolve(obj, ptr) {
    let guard = 0;
    while (obj && typeof obj.$ref === 'string') {
      assert.ok(obj.$ref.startsWith('#/'), `only local $refs are supported: ${obj.$ref}`);
      ptr = obj.$ref.slice(1);
      obj = ptr.slice(1).split('/').reduce((o, s) => o?.[s.replace(/~1/g, '/').replace(/~0/g, '~')], this.doc);
      assert.ok(obj !== undefined, `unresolvable $ref ${ptr}`);
      assert.ok(++guard < 20, `$ref loop at ${ptr}`);
    }
    return { obj, ptr };
  }

  validator(ptr) {
    let v = this.validators.get(ptr);
    if (!v) {
      v = this.ajv.compile({ $ref: 'openapi#' + ptr });
      this.validators.set(ptr, v);
    }
    return v;
  }

  match(pathname) {
    for (const t of this.templates) if (t.re.test(pathname)) return t.tpl;
    return null;
  }
}

export async function getSpec(server) {
  let p = specs.get(server);
  if (!p) {
    p = (async () => {
      const res = await fetch(server.url + '/api/v1/openapi.json');
      const text = await res.text();
      assert.equal(res.status, 200, `GET /api/v1/openapi.json -> ${res.status}: ${text.slice(0, 500)}`);
      assert.match(res.headers.get('content-type') || '', /^application\/json\b/i, 'openapi.json content-type');
      let doc;
      try { doc = JSON.parse(text); } catch (e) { assert.fail(`openapi.json is not valid JSON: ${e.message}`); }
      assert.match(String(doc.openapi), /^3\.1\./, 'openapi version');
      return new Spec(doc);
    })();
    specs.set(server, p);
    p.catch(() => specs.delete(server));
  }
  return p;
}

function fmtErrors(errors) {
  return JSON.stringify((errors || []).slice(0, 12).map((e) => ({ at: e.instancePath || '/', schema: e.schemaPath, msg: e.message, params: e.params })), null, 1);
}

const mediaBase = (ct) => (ct || '').split(';')[0].trim().toLowerCase();
const isJson = (ct) => /^application\/([a-z0-9.+-]*\+)?json$/.test(mediaBase(ct));

/**
 * Perform a request and validate the response against the document.
 * @returns {Promise<{status:number, headers:Headers, body:any, text:string, method:string, path:string}>}
 */
export async function api(server, method, path, { body, headers = {}, key, rawBody } = {}) {
  const spec = await getSpec(server);
  method = method.toUpperCase();
  const h = { ...headers };
  if (key === true) {
    assert.ok(server.adminKey, 'server has no admin key');
    h.Authorization = `Bearer ${server.adminKey}`;
  } else if (typeof key === 'string') {
    h.Authorization = `Bearer ${key}`;
  }
  let payload;
  if (rawBody !== undefined) {
    payload = rawBody;
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['Content-Type'] = 'application/json';
  }
  const res = await fetch(server.url + path, { method, headers: h, body: payload, redirect: 'manual' });
  const text = await res.text();
  const ct = res.headers.get('content-type');
  let parsed = text;
  const where = `${method} ${path} -> ${res.status}`;
  if (text.length > 0 && isJson(ct)) {
    try { parsed = JSON.parse(text); } catch (e) { assert.fail(`${where}: content-type ${ct} but body is not JSON (${e.message}): ${text.slice(0, 300)}`); }
  }
  const out = { status: res.status, headers: res.headers, body: parsed, text, method, path };

  // ---- checks that hold for every response ----
  const rid = res.headers.get('x-request-id');
  assert.ok(rid && /^[A-Za-z0-9._-]{1,64}$/.test(rid), `${where}: missing/invalid X-Request-Id header (${rid})`);
  if (res.status === 204 || res.status === 304) {
    assert.equal(text, '', `${where}: ${res.status} must have an empty body, got ${JSON.stringify(text.slice(0, 200))}`);
  }
  if (res.status >= 400) {
    assert.ok(isJson(ct), `${where}: error response must be JSON, content-type ${ct}; body ${text.slice(0, 200)}`);
    const v = spec.validator('/components/schemas/Error');
    assert.ok(v(parsed), `${where}: error body does not match components.schemas.Error: ${fmtErrors(v.errors)}\nbody: ${text.slice(0, 800)}`);
    assert.equal(parsed.error.request_id, rid, `${where}: error.request_id must equal the X-Request-Id header`);
    assert.match(res.headers.get('cache-control') || '', /no-store/, `${where}: errors must carry Cache-Control: no-store`);
  }

  const url = new URL(path, server.url);
  const tpl = spec.match(url.pathname);
  const op = tpl ? spec.doc.paths[tpl][method.toLowerCase()] : undefined;

  if (method === 'OPTIONS' && !op) {
    // CORS preflight is not part of the document.
    assert.ok([204, 403, 404, 405].includes(res.status), `${where}: unexpected status for OPTIONS`);
    if (res.status === 403) assert.equal(parsed.error.code, 'FORBIDDEN', `${where}: preflight rejection code`);
    return out;
  }
  if (!op) {
    const what = tpl ? `method ${method} not documented for ${tpl}` : `no documented path matches ${url.pathname}`;
    assert.ok(res.status === 404 || res.status === 405, `${where}: ${what}, so the status must be 404 or 405`);
    if (res.status === 405) {
      assert.ok(res.headers.get('allow'), `${where}: 405 without Allow header`);
      assert.equal(parsed.error.code, 'METHOD_NOT_ALLOWED', `${where}: error code`);
    } else {
      assert.equal(parsed.error.code, 'NOT_FOUND', `${where}: error code`);
    }
    return out;
  }

  const opPtr = `/paths/${escapePtr(tpl)}/${method.toLowerCase()}`;
  const responses = op.responses || {};
  let key2 = String(res.status);
  if (!(key2 in responses)) {
    const range = `${key2[0]}XX`;
    if (range in responses) key2 = range;
    else if ('default' in responses) key2 = 'default';
    else assert.fail(`${where}: status ${res.status} is not documented for ${method} ${tpl} (documented: ${Object.keys(responses).join(', ')}); body: ${text.slice(0, 500)}`);
  }
  const { obj: resp, ptr: respPtr } = spec.resolve(responses[key2], `${opPtr}/responses/${escapePtr(key2)}`);

  // documented required headers
  for (const [name, hdef0] of Object.entries(resp.headers || {})) {
    const { obj: hdef } = spec.resolve(hdef0, '');
    if (hdef.required) assert.ok(res.headers.has(name), `${where}: documented required header ${name} is missing`);
  }

  const content = resp.content || {};
  const types = Object.keys(content);
  if (types.length === 0) {
    assert.equal(text, '', `${where}: documented without a body, got ${JSON.stringify(text.slice(0, 200))}`);
    return out;
  }
  const mt = types.find((t) => mediaBase(t) === mediaBase(ct));
  assert.ok(mt, `${where}: content-type ${ct} not among documented ${types.join(', ')}`);
  const schemaPtr = `${respPtr}/content/${escapePtr(mt)}/schema`;
  if (content[mt].schema) {
    const v = spec.validator(schemaPtr);
    const ok = v(parsed);
    assert.ok(ok, `${where}: body does not match the schema for ${method} ${tpl} ${key2}: ${fmtErrors(v.errors)}\nbody: ${text.slice(0, 800)}`);
  }
  return out;
}

/** Assert an error response: status, code, and (optionally) a details[].field. */
export function expectError(r, status, code, field) {
  const where = `${r.method} ${r.path}`;
  assert.equal(r.status, status, `${where}: expected ${status}, got ${r.status}: ${r.text.slice(0, 500)}`);
  assert.equal(r.body.error.code, code, `${where}: error code`);
  if (field !== undefined) {
    const fields = r.body.error.details.map((d) => d.field);
    const ok = fields.some((f) => f === field || f.startsWith(field + '.') || f.startsWith(field + '['));
    assert.ok(ok, `${where}: expected details[].field ${JSON.stringify(field)}, got ${JSON.stringify(fields)}`);
  }
  return r;
}

/** Walk all pages of a product list; returns {items, pages}. */
export async function walk(server, query = {}, { key, between } = {}) {
  const items = [];
  const pages = [];
  let cursor = null;
  for (let i = 0; i < 10_000; i++) {
    const q = new URLSearchParams(query);
    if (cursor) q.set('cursor', cursor);
    const qs = q.toString();
    const r = await api(server, 'GET', '/api/v1/products' + (qs ? '?' + qs : ''), { key });
    assert.equal(r.status, 200, `GET /api/v1/products?${qs} -> ${r.status}: ${r.text.slice(0, 500)}`);
    pages.push(r.body);
    items.push(...r.body.data);
    cursor = r.body.next_cursor;
    if (cursor === null) return { items, pages };
    if (between) await between(i);
  }
  assert.fail('pagination did not terminate after 10000 pages');
}
