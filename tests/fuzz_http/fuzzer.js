// The HTTP-level fuzzer: random but valid-looking requests on every operation of the OpenAPI
// document (src/app/openapi.json, as the server serves it), mutated, against a live souk server,
// with every answer checked against the document. See docs/internals/fuzzing.md ("HTTP fuzzer").
//
//   const report = await runCampaign({ seed: 1, requests: 2000, seconds: 0, log: console.log });
//   report.failures   -> [{kind, message, op, request, index}] (the first of each kind per operation)
//   report.byOp       -> Map "METHOD /template" -> {requests, failures, statuses}
//
// What it does:
// - starts build/souk (tests/api/lib/server.js: a fresh database with a demo store and an admin
//   key), makes two customers, a warehouse with stock, a guest cart, a paid order;
// - harvests ids from every answer (any string matching an id pattern of the document, `slug`
//   fields, cart and order tokens, ETags) so that path parameters and body fields name real
//   objects most of the time;
// - first calls every operation once (in a seeded order), then picks operations at random; each
//   request is generated from the operation's parameters and request schema (gen.js), then
//   mutated (body, headers, path, query, method) with the probabilities below; the credential is
//   none, the admin key, a customer's token or junk;
// - checks every answer (checkAnswer): the connection holds, no 5xx except a 503 the operation
//   documents, a documented status, a JSON body valid for that status, the standard error body on
//   every 4xx/5xx (Error schema, error.request_id = X-Request-Id, Cache-Control: no-store), empty
//   204/304 bodies; every 100 requests (and after any connection error) the process and /healthz.
// A failure records the request (method, path, headers, body) and the seed; runCampaign's caller
// prints them.
import http from 'node:http';
import { startServer } from '../api/lib/server.js';
import { getSpec, api } from '../api/lib/client.js';
import { register } from '../api/lib/auth_util.js';
import { warehouse, stockedProduct, guestCart, checkoutBody } from '../api/lib/checkout_util.js';
import { Rng, Gen } from './gen.js';

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
const KNOWN_KEYWORDS = new Set(['$ref', 'type', 'enum', 'const', 'properties', 'required', 'additionalProperties',
  'items', 'minItems', 'maxItems', 'minLength', 'maxLength', 'pattern', 'minimum', 'maximum', 'exclusiveMinimum',
  'format', 'oneOf', 'anyOf', 'allOf', 'not', 'maxProperties', 'minProperties', 'propertyNames', 'description', 'examples', 'default',
  'example', 'title', 'deprecated', 'readOnly', 'writeOnly', 'contentMediaType', 'contentEncoding', 'uniqueItems']);
const REQUEST_TIMEOUT_MS = 30_000;
const BURST_P = 0.06;

/* encodeURIComponent that also takes lone surrogates (sent as the bytes of U+FFFD) */
function enc(s) {
  try { return encodeURIComponent(s); } catch { return [...Buffer.from(String(s), 'utf8')].map((b) => '%' + b.toString(16).padStart(2, '0')).join(''); }
}
const escPtr = (s) => s.replace(/~/g, '~0').replace(/\//g, '~1');
const mediaBase = (ct) => (ct || '').split(';')[0].trim().toLowerCase();
const isJson = (ct) => /^application\/([a-z0-9.+-]*\+)?json$/.test(mediaBase(ct));

/* Strings that parsers tend to trip on. */
const ODD_STRINGS = [
  '', ' ', '\u0000', 'a\u0000b', '\ud800', '\udfff', '\ud83d\ude00', '\u202eevil', 'e\u0301\u0301\u0301', '\uffff',
  'ｆｕｌｌ', '𝕏', '\t\r\n', '"', '\\', '%', '%00', '%zz', '../../etc/passwd', '<script>alert(1)</script>',
  "' OR 1=1 --", '${x}', '{{x}}', 'null', 'true', '-1', '0', '1e309', 'NaN', '9'.repeat(40), 'prod_', 'sk_',
  'prod_00000000000000', 'prod_0000000000000', 'ord_ZZZZZZZZZZZZZ', 'A'.repeat(300), '\u00e9'.repeat(200),
];
const ODD_NUMBERS = [-1, 0, 1, -0, 0.5, 1.5, 2 ** 31, 2 ** 31 - 1, -(2 ** 31), 2 ** 53, 2 ** 53 + 2, 2 ** 63, -(2 ** 63), 1e308, -1e308, 5e-324, 123456789012];
const ODD_CONTENT_TYPES = [
  'text/plain', 'application/xml', 'application/json; charset=iso-8859-1', 'application/jsonx', '',
  'multipart/form-data', 'multipart/form-data; boundary=', 'application/x-www-form-urlencoded', 'text/csv',
  'image/png', 'application/json;;;', 'APPLICATION/JSON', 'application/json; charset=utf-8', 'application/' + 'x'.repeat(3000),
  '*/*', 'application/merge-patch+json', 'application/json, text/plain',
];

/** The operations of DOC: [{method, tpl, op, ptr, params}] (path-level parameters merged). */
export function operations(doc) {
  const ops = [];
  for (const [tpl, item] of Object.entries(doc.paths)) {
    for (const m of METHODS) {
      const op = item[m];
      if (!op) continue;
      const params = [];
      const seen = new Set();
      const all = [...(op.parameters || []).map((p, i) => [p, `/paths/${escPtr(tpl)}/${m}/parameters/${i}`]),
        ...(item.parameters || []).map((p, i) => [p, `/paths/${escPtr(tpl)}/parameters/${i}`])];
      for (const [p0, ptr0] of all) {
        let p = p0;
        let ptr = ptr0;
        if (p.$ref) { ptr = p.$ref.slice(1); p = p.$ref.slice(2).split('/').reduce((o, k) => o[k], doc); }
        const key = `${p.in}:${p.name}`;
        if (seen.has(key)) continue;
        seen.add(key);
        params.push({ ...p, schemaPtr: `${ptr}/schema` });
      }
      ops.push({ method: m.toUpperCase(), tpl, op, ptr: `/paths/${escPtr(tpl)}/${m}`, params, name: `${m.toUpperCase()} ${tpl}` });
    }
  }
  return ops;
}

/** Keywords of DOC's schemas that gen.js does not know (the fuzzer refuses to run with any). */
export function unknownKeywords(doc) {
  const out = new Set();
  const walkSchema = (s) => {
    if (!s || typeof s !== 'object') return;
    if (Array.isArray(s)) { s.forEach(walkSchema); return; }
    for (const [k, v] of Object.entries(s)) {
      if (!KNOWN_KEYWORDS.has(k)) out.add(k);
      if (k === 'properties') Object.values(v).forEach(walkSchema);
      else if (['items', 'additionalProperties', 'not', 'propertyNames'].includes(k)) walkSchema(v);
      else if (['oneOf', 'anyOf', 'allOf'].includes(k)) v.forEach(walkSchema);
    }
  };
  Object.values(doc.components.schemas).forEach(walkSchema);
  return [...out];
}

/* ------------------------------------------------------------------------------------------ */

class Pools {
  constructor(doc) {
    /* id-like patterns of the document: a literal prefix before '_' */
    this.idPatterns = [];
    const pats = new Set();
    (function walk(x) {
      if (Array.isArray(x)) return x.forEach(walk);
      if (x && typeof x === 'object') {
        if (typeof x.pattern === 'string') pats.add(x.pattern);
        for (const v of Object.values(x)) walk(v);
      }
    })(doc);
    for (const p of pats) if (/^\^\(?[a-z|]+\)?_/.test(p)) this.idPatterns.push([p, new RegExp(p)]);
    this.byPattern = new Map();
    this.byName = new Map(); /* field name -> strings seen in it */
    this.slugs = [];
    this.etags = [];
    this.protect = new Set(); /* ids never used in paths (the admin's own user and key) */
  }

  add(pattern, v) {
    let arr = this.byPattern.get(pattern);
    if (!arr) { arr = []; this.byPattern.set(pattern, arr); }
    if (arr.includes(v)) return;
    if (arr.length >= 200) arr[Math.floor(Math.random() * arr.length)] = v; else arr.push(v);
  }

  harvest(x, key) {
    if (typeof x === 'string') {
      if (x.length > 200 || this.protect.has(x)) return;
      for (const [p, re] of this.idPatterns) if (re.test(x)) this.add(p, x);
      if (key === 'slug' && /^[a-z0-9-]{1,100}$/.test(x) && !this.slugs.includes(x) && this.slugs.length < 200) this.slugs.push(x);
      /* every short string by the name of its field, for fields and parameters of that name */
      if (key && x.length <= 100 && !/^(message|description|title|name|created_at|updated_at|at|url)$/.test(key)) {
        let arr = this.byName.get(key);
        if (!arr) { arr = []; this.byName.set(key, arr); }
        if (!arr.includes(x)) { if (arr.length < 30) arr.push(x); else arr[Math.floor(Math.random() * 30)] = x; }
      }
    } else if (Array.isArray(x)) {
      for (const v of x.slice(0, 50)) this.harvest(v, key);
    } else if (x && typeof x === 'object') {
      for (const [k, v] of Object.entries(x)) this.harvest(v, k);
    }
  }
}

/** one HTTP request with node:http (keeps duplicate headers and the path as given) */
function send(agent, base, req) {
  return new Promise((resolve) => {
    const started = Date.now();
    let done = false;
    const finish = (v) => { if (!done) { done = true; resolve({ ...v, ms: Date.now() - started }); } };
    let r;
    /* header values go out as their UTF-8 bytes (node sends latin1 only) */
    const wire = (v) => Buffer.from(String(v), 'utf8').toString('latin1');
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.map(wire) : wire(v)]));
    try {
      r = http.request({
        host: base.hostname, port: base.port, method: req.method, path: req.path,
        headers, agent, setHost: true,
      }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => finish({ status: res.statusCode, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks), previous }));
        res.on('error', (e) => finish({ error: `response: ${e.code || e.message}` }));
      });
    } catch (e) {
      /* node refuses the request itself (a character it will not send): not the server's fault */
      if (process.env.HTTP_FUZZ_DEBUG_REFUSED) console.error('refused', e.message, JSON.stringify(req.headers).slice(0, 300), req.path.slice(0, 100));
      finish({ refused: e.code || e.message });
      return;
    }
    /* the request sent before on the same connection (a desynchronised answer is its fault) */
    let previous = null;
    r.on('socket', (sock) => { previous = sock.fzLast || null; sock.fzLast = req; });
    r.setTimeout(REQUEST_TIMEOUT_MS, () => { r.destroy(new Error('timeout')); });
    r.on('error', (e) => finish({ error: e.code || e.message }));
    if (req.body !== undefined && req.body !== null) r.end(req.body); else r.end();
  });
}

/** a printable copy of a request for a failure report */
export function describe(req, seed, index) {
  let body = null;
  if (req.body !== undefined && req.body !== null) {
    const b = Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body);
    const utf8 = b.toString('utf8');
    const ok = Buffer.from(utf8, 'utf8').equals(b);
    body = ok ? (utf8.length > 4000 ? utf8.slice(0, 4000) + `… (${b.length} bytes)` : utf8)
      : { base64: b.subarray(0, 3000).toString('base64'), bytes: b.length };
  }
  const headers = [];
  for (const [k, v] of Object.entries(req.headers || {})) {
    for (const one of Array.isArray(v) ? v : [v]) headers.push([k, String(one).length > 300 ? String(one).slice(0, 300) + `… (${String(one).length} chars)` : String(one)]);
  }
  return { seed, index, method: req.method, path: req.path.length > 2000 ? req.path.slice(0, 2000) + `… (${req.path.length} chars)` : req.path, headers, body, mutations: req.mutations };
}

export class Fuzzer {
  constructor({ srv, spec, seed, log = () => {} }) {
    this.srv = srv;
    this.spec = spec;
    this.doc = spec.doc;
    this.seed = seed;
    this.rng = new Rng(seed);
    this.pools = new Pools(this.doc);
    this.gen = new Gen(this.doc, this.rng, this.pools.byPattern);
    this.gen.known = () => this.customers;
    this.gen.byName = this.pools.byName;
    this.ops = operations(this.doc);
    this.base = new URL(srv.url);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    this.log = log;
    this.customers = [];
    this.cartTokens = [];
    this.orderTokens = [];
    this.byOp = new Map();
    this.failures = [];
    this.failureKeys = new Map(); /* "op|kind|status" -> count */
    this.index = 0;
    this.statusCounts = new Map();
    this.connErrors = 0;
    this.refused = 0;
    this.cursors = new Map(); /* operation -> next_cursor values it answered */
    this.stockedVariants = [];
    this.slowest = [];
    this.refusedWhy = {};
  }

  /* ---------------- setup: identities and real objects ---------------- */

  async setup() {
    const srv = this.srv;
    const me = await api(srv, 'GET', '/api/v1/users/me', { key: true });
    if (me.status === 200) this.pools.protect.add(me.body.id);
    const keys = await api(srv, 'GET', '/api/v1/api-keys', { key: true });
    if (keys.status === 200) for (const k of keys.body.data || []) this.pools.protect.add(k.id);
    for (let i = 0; i < 2; i++) {
      const c = await register(srv);
      this.customers.push(c);
      this.pools.protect.add(c.user.id); /* erasing them would leave the fuzzer without customers */
    }
    const wh = await warehouse(srv, 'fz');
    const p = await stockedProduct(srv, wh, { n: 2, stock: 100000, price: 1500, title: 'Fuzz product' });
    this.pools.harvest(p);
    this.stockedVariants = p.variants.map((x) => x.id);
    const tok = await guestCart(srv, [[p.variants[0].id, 1]]);
    this.cartTokens.push(tok);
    const o = await api(srv, 'POST', '/api/v1/checkout', {
      headers: { 'X-Cart-Token': tok, 'Idempotency-Key': `fz-setup-${this.seed}` },
      body: checkoutBody('guest-fuzz@example.com'),
    });
    if (o.status === 201) { this.pools.harvest(o.body); if (o.body.order_token) this.orderTokens.push(o.body.order_token); }
    this.cartTokens.push(await guestCart(srv, [[p.variants[1].id, 2]]));
    /* every list without path parameters, as the admin and as a customer: ids to name */
    for (const o2 of this.ops) {
      if (o2.method !== 'GET' || o2.tpl.includes('{')) continue;
      for (const key of [true, this.customers[0].access]) {
        const r = await this.request(this.plain(o2, key === true ? 'admin' : 'customer'), o2);
        if (r && r.json) this.pools.harvest(r.json);
      }
    }
  }

  /** refresh the customers' access tokens (15 minutes; or a fuzzed request signed them out or
   * changed them): sign in again, or register a new customer when that fails */
  async relogin(onlyBroken = false) {
    for (let i = 0; i < this.customers.length; i++) {
      const c = this.customers[i];
      if (onlyBroken) {
        const me = await send(this.agent, this.base, { method: 'GET', path: '/api/v1/users/me', headers: { Authorization: `Bearer ${c.access}` } });
        if (me.status === 200) continue;
      }
      const r = await send(this.agent, this.base, { method: 'POST', path: '/api/v1/auth/login', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: c.email, password: c.password }) });
      if (r.status === 200) {
        c.access = JSON.parse(r.body.toString()).access_token;
      } else {
        const n = await register(this.srv);
        this.pools.protect.add(n.user.id);
        this.customers[i] = n;
      }
    }
  }

  /** a valid request of ours (checked like the others): METHOD TPL with PATH, credential KIND, BODY */
  async call(method, tpl, path, kind, body, headers = {}) {
    const op = this.ops.find((o) => o.method === method && o.tpl === tpl);
    const h = { ...headers };
    const cred = this.credential(kind);
    if (cred) h.Authorization = cred;
    if (body !== undefined) h['Content-Type'] = 'application/json';
    return this.request({ method, path, headers: h, body: body === undefined ? undefined : JSON.stringify(body), mutations: ['scenario'] }, op);
  }

  /** orders in every state for the order actions to act on: a guest's paid order, and a
   * customer's order moved on to fulfilled, shipped or delivered */
  async scenario() {
    const variants = this.pools.byPattern.get('^var_[0-9A-HJKMNP-TV-Z]{13}$') || [];
    const v = this.stockedVariants.length ? this.rng.pick(this.stockedVariants) : null;
    if (!v) return;
    const cart = await this.call('POST', '/api/v1/carts', '/api/v1/carts', 'none', {});
    if (!cart || cart.status !== 201) return;
    const tok = cart.json.cart_token;
    await this.call('POST', '/api/v1/carts/current/lines', '/api/v1/carts/current/lines', 'none', { variant_id: v, quantity: this.rng.int(1, 3) }, { 'X-Cart-Token': tok });
    if (variants.length && this.rng.chance(0.5)) {
      await this.call('POST', '/api/v1/carts/current/lines', '/api/v1/carts/current/lines', 'none', { variant_id: this.rng.pick(variants), quantity: 1 }, { 'X-Cart-Token': tok });
    }
    const o = await this.call('POST', '/api/v1/checkout', '/api/v1/checkout', 'none',
      { ...checkoutBody(`fz${this.index}@example.com`), ...(this.rng.chance(0.2) ? { payment_method: '4000000000000002' } : {}) },
      { 'X-Cart-Token': tok, 'Idempotency-Key': `fz-sc-${this.seed}-${this.index}` });
    if (!o || o.status !== 201) return;
    const id = o.json.id;
    const steps = this.rng.int(0, 3);
    const acts = [['fulfil', undefined], ['ship', { carrier: 'DHL', tracking: `T${this.index}` }], ['deliver', undefined]];
    for (let i = 0; i < steps; i++) {
      const r = await this.call('POST', `/api/v1/orders/{id}/${acts[i][0]}`, `/api/v1/orders/${id}/${acts[i][0]}`, 'admin', acts[i][1]);
      if (!r || r.status !== 200) break;
    }
  }

  /* ---------------- request generation ---------------- */

  credential(kind) {
    switch (kind) {
      case 'admin': return `Bearer ${this.srv.adminKey}`;
      case 'customer': return `Bearer ${this.customers[0].access}`;
      case 'customer2': return `Bearer ${this.customers[1].access}`;
      case 'junk': return this.rng.pick([
        'Bearer ', 'Bearer x', 'Bearer sk_' + 'A'.repeat(43), 'Bearer sk_', 'Basic YWRtaW46YWRtaW4=', 'bearer ' + this.srv.adminKey,
        'Bearer ' + this.srv.adminKey + 'x', 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.', 'Bearer a.b.c', 'Bearer ' + 'x'.repeat(5000),
        'Bearer  ' + this.srv.adminKey, 'Bearer\t' + this.srv.adminKey, 'Token abc', 'Bearer ' + this.customers[0].access.slice(0, -2) + 'AA',
      ]);
      default: return null;
    }
  }

  pickCredential(op) {
    const sec = op.op.security;
    const isPublic = !sec || sec.length === 0 || sec.some((s) => Object.keys(s).length === 0);
    return this.rng.weighted(isPublic
      ? [[30, 'none'], [25, 'customer'], [5, 'customer2'], [25, 'admin'], [15, 'junk']]
      : [[55, 'admin'], [18, 'customer'], [5, 'customer2'], [10, 'none'], [12, 'junk']]);
  }

  paramValue(p) {
    const rng = this.rng;
    const schema = this.gen.deref(p.schema || {});
    if (p.name === 'X-Cart-Token' && this.cartTokens.length && rng.chance(0.85)) return rng.pick(this.cartTokens);
    if (p.name === 'X-Order-Token' && this.orderTokens.length && rng.chance(0.85)) return rng.pick(this.orderTokens);
    if (p.name === 'If-None-Match' && this.pools.etags.length && rng.chance(0.7)) return rng.pick(this.pools.etags);
    if (p.name === 'id_or_slug') {
      if (this.pools.slugs.length && rng.chance(0.4)) return rng.pick(this.pools.slugs);
      const ids = this.pools.byPattern.get('^prod_[0-9A-HJKMNP-TV-Z]{13}$');
      if (ids && ids.length && rng.chance(0.85)) return rng.pick(ids);
    }
    if (p.name === 'Idempotency-Key') return `fz-${this.seed}-${this.index}-${rng.int(0, 1e6)}`;
    if (p.in === 'path' && !schema.pattern && p.name === 'id') {
      /* an id path parameter without a pattern: any harvested id */
      const all = [...this.pools.byPattern.values()].flat();
      if (all.length && rng.chance(0.8)) return rng.pick(all);
    }
    return this.gen.value(schema, 0, p.name);
  }

  /** a valid-looking request for OP with credential KIND (no mutations) */
  plain(op, kind) {
    const rng = this.rng;
    const headers = {};
    const query = [];
    let path = op.tpl;
    for (const p of op.params) {
      if (p.in === 'path') {
        const v = String(this.paramValue(p));
        path = path.replace(`{${p.name}}`, enc(v));
      } else if (p.in === 'query') {
        if (!p.required && !rng.chance(0.3)) continue;
        if (p.name === 'cursor') {
          const cur = this.cursors.get(op.name);
          if (cur && cur.length && rng.chance(0.8)) query.push(['cursor', rng.pick(cur)]);
          else if (rng.chance(0.2)) query.push(['cursor', this.gen.value(p.schema || {}, 0, 'cursor')]);
          continue;
        }
        const v = this.paramValue(p);
        if (v && typeof v === 'object' && !Array.isArray(v)) {
          for (const [k, x] of Object.entries(v)) query.push([k, String(x)]);
        } else if (Array.isArray(v)) {
          query.push([p.name, v.join(',')]);
        } else if (v !== null && v !== undefined) {
          query.push([p.name, String(v)]);
        }
      } else if (p.in === 'header') {
        if (!p.required && !rng.chance(0.6) && !['X-Cart-Token', 'X-Order-Token'].includes(p.name)) continue;
        const v = this.paramValue(p);
        if (v !== null && v !== undefined) headers[p.name] = String(v);
      }
    }
    const cred = this.credential(kind);
    if (cred) headers.Authorization = cred;
    let body;
    let bodyValue;
    const rb = op.op.requestBody ? this.gen.deref(op.op.requestBody) : null;
    if (rb && rb.content) {
      const types = Object.keys(rb.content);
      const ct = types.includes('application/json') ? 'application/json' : rng.pick(types);
      headers['Content-Type'] = ct;
      if (ct === 'application/json') {
        bodyValue = this.gen.value(rb.content[ct].schema || {});
        body = JSON.stringify(bodyValue);
      } else if (ct === 'text/csv') {
        body = 'Handle,Title,Variant SKU,Variant Price\nfz-' + rng.int(0, 1e6) + ',Fuzz ' + rng.pick(['a', 'ü', '"q"']) + ',FZ-' + rng.int(0, 1e6) + ',' + rng.int(1, 99) + '.00\n';
      } else if (ct.startsWith('image/')) {
        body = this.imageBytes(ct);
      } else if (ct === 'multipart/form-data') {
        const b = 'fzb' + rng.int(0, 1e9);
        headers['Content-Type'] = `multipart/form-data; boundary=${b}`;
        body = Buffer.concat([Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`), this.imageBytes('image/png'), Buffer.from(`\r\n--${b}--\r\n`)]);
      }
    }
    const qs = query.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&');
    return { method: op.method, path: path + (qs ? '?' + qs : ''), headers, body, bodyValue, query, mutations: [] };
  }

  imageBytes(ct) {
    const rng = this.rng;
    const magic = {
      'image/png': Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex'),
      'image/jpeg': Buffer.from('ffd8ffe000104a46494600010100000100010000', 'hex'),
      'image/gif': Buffer.from('474946383961010001000000002c00000000010001000002', 'hex'),
      'image/webp': Buffer.from('524946460000000057454250565038', 'hex'),
    }[ct] || Buffer.alloc(0);
    const junk = Buffer.alloc(rng.int(0, 200));
    for (let i = 0; i < junk.length; i++) junk[i] = rng.int(0, 255);
    return Buffer.concat([magic, junk]);
  }

  /* ---------------- mutations ---------------- */

  mutate(req, op) {
    const rng = this.rng;
    const n = rng.weighted([[35, 0], [37, 1], [18, 2], [10, 3]]);
    for (let i = 0; i < n; i++) {
      const kind = rng.weighted([
        [req.bodyValue !== undefined ? 35 : 6, 'body'],
        [req.body !== undefined ? 8 : 3, 'rawbody'],
        [14, 'header'],
        [12, 'path'],
        [10, 'query'],
        [3, 'method'],
      ]);
      this[`mut_${kind}`](req, op);
    }
    if (req.bodyValue !== undefined && req.mutations.some((m) => m.startsWith('body:'))) {
      let text;
      try { text = JSON.stringify(req.bodyValue); } catch { text = '{"too":"big"}'; req.mutations.push('body:unserialisable'); }
      req.body = text.replace(/"__fz_deep_(\d+)_([ao])__"/g, (_, d, t) => {
        const n = Number(d);
        return t === 'a' ? '['.repeat(n) + '1' + ']'.repeat(n) : '{"a":'.repeat(n) + '1' + '}'.repeat(n);
      });
    }
    return req;
  }

  oddValue() {
    const rng = this.rng;
    return rng.weighted([
      [4, () => rng.pick(ODD_STRINGS)],
      [3, () => rng.pick(ODD_NUMBERS)],
      [1, () => null],
      [1, () => rng.chance(0.5)],
      [1, () => ({})],
      [1, () => []],
      [1, () => [rng.pick(ODD_STRINGS)]],
      [1, () => ({ a: rng.pick(ODD_STRINGS) })],
      [1, () => 'x'.repeat(rng.pick([1000, 70_000, 1_100_000]))],
    ])();
  }

  /** a random place in VALUE: [parent, key] pairs */
  places(value, out = [], depth = 0) {
    if (value && typeof value === 'object' && depth < 8) {
      for (const k of Object.keys(value)) {
        out.push([value, k]);
        this.places(value[k], out, depth + 1);
      }
    }
    return out;
  }

  mut_body(req, op) {
    const rng = this.rng;
    if (req.bodyValue === undefined) {
      /* a JSON body where none is expected */
      req.bodyValue = { a: rng.chance(0.2) ? 'x'.repeat(1_100_000) : rng.pick(ODD_STRINGS) };
      req.headers['Content-Type'] = 'application/json';
      req.mutations.push('body:unexpected');
      return;
    }
    const places = this.places(req.bodyValue);
    const what = rng.weighted([[3, 'drop'], [4, 'type'], [2, 'extra'], [1, 'deep'], [1, 'null'], [1, 'replace'], [1, 'empty'], [1, 'dup-array']]);
    req.mutations.push(`body:${what}`);
    switch (what) {
      case 'drop': if (places.length) { const [o, k] = rng.pick(places); if (Array.isArray(o)) o.splice(Number(k), 1); else delete o[k]; } break;
      case 'type': if (places.length) { const [o, k] = rng.pick(places); o[k] = this.oddValue(); } else req.bodyValue = this.oddValue(); break;
      case 'extra': {
        const objs = [req.bodyValue, ...places.map(([o, k]) => o[k])].filter((x) => x && typeof x === 'object' && !Array.isArray(x));
        if (objs.length) rng.pick(objs)[rng.pick(['extra', '__proto__', 'constructor', 'id', 'ÿ', '', 'x'.repeat(300)])] = this.oddValue();
        break;
      }
      case 'deep': {
        /* a marker, replaced by the nesting in the JSON text (see mutate) */
        const v = `__fz_deep_${rng.pick([20, 31, 32, 33, 64, 500, 5000])}_${rng.chance(0.5) ? 'a' : 'o'}__`;
        if (places.length) { const [o, k] = rng.pick(places); o[k] = v; } else req.bodyValue = v;
        break;
      }
      case 'null': if (places.length) { const [o, k] = rng.pick(places); o[k] = null; } else req.bodyValue = null; break;
      case 'replace': req.bodyValue = this.oddValue(); break;
      case 'empty': req.bodyValue = rng.pick([{}, [], '', 0]); break;
      case 'dup-array': {
        const arrs = places.map(([o, k]) => o[k]).filter(Array.isArray);
        if (arrs.length) {
          const a = rng.pick(arrs);
          const x = a[0] ?? 1;
          const size = (JSON.stringify(x) || '').length + 1;
          const n = Math.min(rng.pick([100, 501, 1001, 10000]), Math.floor(4_000_000 / size));
          for (let i = 0; i < n; i++) a.push(x);
        }
        break;
      }
      default: break;
    }
  }

  mut_rawbody(req) {
    const rng = this.rng;
    const text = req.body === undefined ? '' : (Buffer.isBuffer(req.body) ? req.body.toString('latin1') : req.body);
    const what = rng.weighted([[2, 'truncate'], [1, 'trailing'], [2, 'badutf8'], [1, 'nul'], [1, 'dupkey'], [1, 'bom'], [1, 'empty'], [1, 'ws'], [1, 'bytes'], [1, 'bignum']]);
    req.mutations.push(`rawbody:${what}`);
    req.bodyValue = undefined;
    switch (what) {
      case 'truncate': req.body = text.slice(0, rng.int(0, Math.max(0, text.length - 1))); break;
      case 'trailing': req.body = text + rng.pick(['x', '}', ' {}', '\u0000', ',']); break;
      case 'badutf8': {
        const b = Buffer.from(text || '{"a":"b"}');
        const bad = rng.pick([[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xc0, 0xaf], [0xe2, 0x82]]);
        const at = rng.int(0, b.length);
        req.body = Buffer.concat([b.subarray(0, at), Buffer.from(bad), b.subarray(at)]);
        break;
      }
      case 'nul': { const at = rng.int(0, text.length); req.body = text.slice(0, at) + '\u0000' + text.slice(at); break; }
      case 'dupkey': req.body = text.startsWith('{') && text.length > 2 ? text.replace(/^\{("[^"]*":)/, '{$1null,$1') : '{"a":1,"a":2}'; break;
      case 'bom': req.body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]); break;
      case 'empty': req.body = ''; break;
      case 'ws': req.body = '   \n\t' + text + '\n\n'; break;
      case 'bytes': { const b = Buffer.alloc(rng.int(1, 3000)); for (let i = 0; i < b.length; i++) b[i] = rng.int(0, 255); req.body = b; break; }
      case 'bignum': req.body = text.replace(/:(\d+)/, ':' + rng.pick(['1e999999', '-0.0e-0', '123456789012345678901234567890', '0x10', '01', '1.', '.5', '+1', 'Infinity'])); break;
      default: break;
    }
  }

  mut_header(req) {
    const rng = this.rng;
    const h = req.headers;
    const what = rng.weighted([[3, 'ctype'], [2, 'dup'], [2, 'long'], [2, 'idem'], [1, 'accept'], [1, 'reqid'], [1, 'origin'], [1, 'inm'], [1, 'xff'], [1, 'noctype'], [1, 'tokens'], [1, 'cookie']]);
    req.mutations.push(`header:${what}`);
    switch (what) {
      case 'ctype': h['Content-Type'] = rng.pick(ODD_CONTENT_TYPES); break;
      case 'noctype': delete h['Content-Type']; break;
      case 'dup': {
        /* (two Host lines: node will not send them; tests/api/http_parsing.test.js does) */
        const name = rng.pick(['Content-Type', 'Authorization', 'X-Cart-Token', 'Idempotency-Key', 'X-Request-Id', 'Content-Type']);
        const cur = h[name] ?? (name === 'Host' ? `${this.base.host}` : 'x');
        const other = name === 'Authorization' ? `Bearer ${rng.pick([this.srv.adminKey, this.customers[0].access])}` : rng.pick(['application/json', 'text/plain', 'ct_x', 'other', cur]);
        h[name] = (rng.chance(0.5) ? [cur, other] : [other, cur]).flat().map(String);
        break;
      }
      case 'long': h[rng.pick(['X-Request-Id', 'Idempotency-Key', 'User-Agent', 'X-Cart-Token', 'Accept', 'If-None-Match', 'X-Order-Token', 'Cookie', 'X-Forwarded-For', 'X-Long'])] = 'a'.repeat(rng.pick([65, 101, 257, 4096, 16000, 60000])); break;
      case 'idem': h['Idempotency-Key'] = rng.pick(['', ' ', 'a b', 'x'.repeat(101), 'x'.repeat(256), 'é', '\u00ff\u00fe', 'k\tk', '%00', '../x', 'ok-key-' + rng.int(0, 9), 'ok-key-1']); break;
      case 'accept': h.Accept = rng.pick(['text/csv', 'text/csv;q=0', '*/*', 'application/xml', 'text/html', '', 'image/webp', 'application/json;q=0']); break;
      case 'reqid': h['X-Request-Id'] = rng.pick(['', 'a b', 'x'.repeat(65), 'ok-id', '\u00e9', '../', 'id\u00ff']); break;
      case 'origin': h.Origin = rng.pick(['http://evil.example', 'null', 'http://127.0.0.1', '', 'x'.repeat(500)]); break;
      case 'inm': h['If-None-Match'] = rng.pick(['*', 'W/"x"', '"', '""', ('"a",').repeat(500), 'W/']); break;
      case 'xff': h['X-Forwarded-For'] = rng.pick(['1.2.3.4', 'x', '::1, 10.0.0.1', '999.999.999.999', '']); h['X-Forwarded-Proto'] = rng.pick(['https', 'gopher', '']); break;
      case 'tokens': h[rng.pick(['X-Cart-Token', 'X-Order-Token'])] = rng.pick(['', 'ct_', 'ot_', 'ct_' + 'A'.repeat(43), 'ot_' + 'A'.repeat(43), ...this.cartTokens.map((t) => t + 'x'), '\u00e9']); break;
      case 'cookie': h.Cookie = rng.pick(['souk_session=x', 'a=b; a=c', '=', ';;;', 'souk_csrf=' + 'x'.repeat(300), 'x'.repeat(4000)]); break;
      default: break;
    }
  }

  mut_path(req, op) {
    const rng = this.rng;
    const [p, q] = req.path.split('?');
    const segs = p.split('/');
    const what = rng.weighted([[3, 'param'], [1, 'trailing'], [1, 'double'], [1, 'case'], [1, 'append'], [1, 'dots'], [1, 'encode']]);
    req.mutations.push(`path:${what}`);
    const paramIdx = op.tpl.split('/').map((s, i) => (/^\{/.test(s) ? i : -1)).filter((i) => i >= 0);
    let i;
    switch (what) {
      case 'param':
        i = paramIdx.length ? rng.pick(paramIdx) : rng.int(1, segs.length - 1);
        segs[i] = rng.pick([
          '%', '%z', '%zz', '%e9', '%c3%28', '%00', '%2F', '%2e%2e', '..', '.', '', 'x'.repeat(rng.pick([300, 5000, 70000])),
          enc(rng.pick(ODD_STRINGS)) || '%20', '%ed%a0%80', '%f0%9f%98%80', '-1', '0', '1e9', 'null', '%25', 'prod_%30%30',
          segs[i] + '%00', segs[i] + 'x', segs[i].toLowerCase(), '%' + 'ff'.repeat(50),
        ]);
        break;
      case 'trailing': segs.push(''); break;
      case 'double': i = rng.int(1, segs.length - 1); segs.splice(i, 0, ''); break;
      case 'case': i = rng.int(1, segs.length - 1); segs[i] = segs[i].toUpperCase(); break;
      case 'append': segs.push(rng.pick(['x', '..', '%2e', 'index.html', '{id}', '%'])); break;
      case 'dots': i = rng.int(1, segs.length - 1); segs.splice(i, 0, rng.pick(['.', '..', '%2e', '%2E%2E'])); break;
      case 'encode': i = rng.int(1, segs.length - 1); segs[i] = [...segs[i]].map((c) => '%' + c.charCodeAt(0).toString(16).padStart(2, '0')).join(''); break;
      default: break;
    }
    req.path = segs.join('/') + (q !== undefined ? '?' + q : '');
    if (!req.path.startsWith('/')) req.path = '/' + req.path;
  }

  mut_query(req, op) {
    const rng = this.rng;
    const qparams = op.params.filter((p) => p.in === 'query').map((p) => p.name);
    const what = rng.weighted([[3, 'badvalue'], [1, 'unknown'], [1, 'repeat'], [1, 'badenc'], [1, 'huge'], [1, 'empty'], [1, 'bare']]);
    req.mutations.push(`query:${what}`);
    const name = qparams.length ? rng.pick(qparams) : 'x';
    let extra;
    switch (what) {
      case 'badvalue': extra = `${name}=${enc(String(rng.pick([...ODD_STRINGS, ...ODD_NUMBERS])))}`; break;
      case 'unknown': extra = `${rng.pick(['foo', 'attr.', 'attr.x', 'attr.' + 'a'.repeat(70), '__proto__', 'limit[]', ''])}=1`; break;
      case 'repeat': extra = `${name}=1&${name}=2&${name}=3`; break;
      case 'badenc': extra = `${name}=${rng.pick(['%', '%z', '%zz', '%e9', '%00', '%ff%fe', '%c3', '+%2B+', '%ed%a0%80'])}`; break;
      case 'huge': extra = `${name}=${'9'.repeat(rng.pick([30, 1000, 10000]))}`; break;
      case 'empty': extra = `${name}=`; break;
      case 'bare': extra = rng.pick([name, '&&&', '=', '==', '?']); break;
      default: break;
    }
    req.path += (req.path.includes('?') ? '&' : '?') + extra;
  }

  mut_method(req) {
    const rng = this.rng;
    req.method = rng.pick(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'PROPFIND', 'TRACE', 'FOO']);
    req.mutations.push(`method:${req.method}`);
  }

  /* ---------------- checking answers ---------------- */

  fail(kind, message, req, op, status) {
    const opName = op ? op.name : `${req.method} ?`;
    const key = `${opName}|${kind}|${status ?? ''}`;
    const n = (this.failureKeys.get(key) || 0) + 1;
    this.failureKeys.set(key, n);
    const st = this.stat(op);
    st.failures++;
    if (n === 1) {
      this.failures.push({ kind, message, op: opName, status, request: describe(req, this.seed, this.index) });
      this.log(`new failure [${kind}] ${message.slice(0, 300)}`);
    }
  }

  stat(op) {
    const name = op ? op.name : '(unmatched)';
    let st = this.byOp.get(name);
    if (!st) { st = { requests: 0, failures: 0, statuses: {} }; this.byOp.set(name, st); }
    return st;
  }

  /** Check an answer RES to REQ (generated for OP); returns the parsed JSON body or undefined. */
  checkAnswer(req, res, op) {
    const spec = this.spec;
    const where = () => `${req.method} ${req.path.slice(0, 200)} -> ${res.status}`;
    const status = res.status;
    const h = res.headers;
    const ct = h['content-type'];
    const text = res.body.toString('utf8');
    if ((status === 204 || status === 304) && res.body.length) {
      this.fail('empty-body', `${where()}: ${status} with a body`, req, op, status);
      return undefined;
    }
    let json;
    if (res.body.length > 0 && isJson(ct)) {
      try { json = JSON.parse(text); } catch (e) {
        this.fail('json', `${where()}: content-type ${ct} but the body is not JSON (${e.message}): ${text.slice(0, 300)}`, req, op, status);
        return undefined;
      }
    }
    const rid = h['x-request-id'];
    if (!rid || !/^[A-Za-z0-9._-]{1,64}$/.test(rid)) this.fail('request-id', `${where()}: missing or invalid X-Request-Id (${rid})`, req, op, status);
    if (status >= 400 && req.method !== 'HEAD') {
      if (!isJson(ct) || json === undefined) {
        this.fail('error-body', `${where()}: an error without a JSON body (content-type ${ct}): ${text.slice(0, 300)}`, req, op, status);
      } else {
        const v = spec.validator('/components/schemas/Error');
        if (!v(json)) this.fail('error-body', `${where()}: the error body is not the standard Error: ${JSON.stringify(v.errors.slice(0, 5))}\nbody: ${text.slice(0, 600)}`, req, op, status);
        else if (json.error.request_id !== rid) this.fail('error-body', `${where()}: error.request_id ${json.error.request_id} is not X-Request-Id ${rid}`, req, op, status);
        if (!/no-store/.test(h['cache-control'] || '')) this.fail('error-body', `${where()}: an error without Cache-Control: no-store`, req, op, status);
      }
    }
    if (status >= 500) {
      const documented503 = op && status === 503 && op.method === req.method && op.op.responses && '503' in op.op.responses;
      if (!documented503) {
        this.fail('5xx', `${where()}: ${status} ${json?.error?.code ?? ''} ${json?.error?.message ?? text.slice(0, 200)}`, req, op, status);
        return json;
      }
    }

    /* which operation answered: the method may have been mutated */
    /* percent-encoded unreserved characters are those characters (RFC 3986 6.2.2.2): the server may
     * route them so; HEAD is GET without the body (RFC 9110 9.3.2) */
    const pathname = req.path.split('?')[0].replace(/%([0-9A-Fa-f]{2})/g, (m, hex) => {
      const c = String.fromCharCode(parseInt(hex, 16));
      return /[A-Za-z0-9\-._~]/.test(c) ? c : m;
    });
    const tpl = spec.match(pathname);
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    const opNow = tpl ? this.ops.find((o) => o.tpl === tpl && o.method === method) : undefined;
    if (req.method === 'OPTIONS' && !opNow) {
      if (![204, 400, 403, 404, 405].includes(status)) this.fail('status', `${where()}: unexpected status for OPTIONS`, req, op, status);
      return json;
    }
    if (!opNow && !tpl && !pathname.startsWith('/api/')) {
      /* outside the API (the storefront's pages, media, /admin): the document says nothing */
      return json;
    }
    if (!opNow) {
      /* an undocumented method or a path no template matches */
      const ok = [400, 404, 405, 414, 431, 501];
      if (!ok.includes(status)) this.fail('status', `${where()}: ${tpl ? `method ${req.method} not documented for ${tpl}` : 'no documented path matches'}, so the status must be one of ${ok.join(', ')}`, req, op, status);
      if (status === 405 && !h.allow) this.fail('allow', `${where()}: 405 without Allow`, req, op, status);
      if (json && status === 405 && json.error && json.error.code !== 'METHOD_NOT_ALLOWED') this.fail('code', `${where()}: 405 with code ${json.error.code}`, req, op, status);
      if (json && status === 404 && json.error && json.error.code !== 'NOT_FOUND') this.fail('code', `${where()}: 404 with code ${json.error.code}`, req, op, status);
      return json;
    }
    const responses = opNow.op.responses || {};
    let key = String(status);
    if (!(key in responses)) {
      if (`${key[0]}XX` in responses) key = `${key[0]}XX`;
      else if ('default' in responses) key = 'default';
      else {
        this.fail('status', `${where()}: status ${status} is not documented for ${opNow.name} (documented: ${Object.keys(responses).join(', ')}); body: ${text.slice(0, 400)}`, req, opNow, status);
        return json;
      }
    }
    const { obj: resp, ptr: respPtr } = spec.resolve(responses[key], `${opNow.ptr}/responses/${escPtr(key)}`);
    for (const [name, hdef0] of Object.entries(resp.headers || {})) {
      const { obj: hdef } = spec.resolve(hdef0, '');
      if (hdef.required && !(name.toLowerCase() in h)) this.fail('header', `${where()}: the documented required header ${name} is missing`, req, opNow, status);
    }
    const content = resp.content || {};
    const types = Object.keys(content);
    if (types.length === 0) {
      if (res.body.length && req.method !== 'HEAD') this.fail('body', `${where()}: documented without a body, got ${text.slice(0, 200)}`, req, opNow, status);
      return json;
    }
    if (status === 304 || req.method === 'HEAD') return json;
    const mt = types.find((t) => mediaBase(t) === mediaBase(ct));
    if (!mt) {
      this.fail('content-type', `${where()}: content-type ${ct} is not among the documented ${types.join(', ')}`, req, opNow, status);
      return json;
    }
    if (content[mt].schema && isJson(mt)) {
      const v = spec.validator(`${respPtr}/content/${escPtr(mt)}/schema`);
      if (!v(json)) this.fail('schema', `${where()}: the body does not match the schema for ${opNow.name} ${key}: ${JSON.stringify(v.errors.slice(0, 6).map((e) => ({ at: e.instancePath, msg: e.message, params: e.params })))}\nbody: ${text.slice(0, 800)}`, req, opNow, status);
    }
    return json;
  }

  /** send REQ (for OP), check the answer, harvest ids; returns {status, json} or null on a connection failure */
  async request(req, op) {
    this.index++;
    const st = this.stat(op);
    st.requests++;
    /* our own request id, to see that the answer is this request's (unless a mutation set one) */
    const ownId = `fz${this.index}`;
    if (!Object.keys(req.headers).some((k) => k.toLowerCase() === 'x-request-id')) req.headers['X-Request-Id'] = ownId;
    if (req.body !== undefined && req.body !== null && !('Content-Length' in req.headers)) {
      req.headers['Content-Length'] = String(Buffer.byteLength(req.body));
    }
    const res = await send(this.agent, this.base, req);
    /* (an answer without any X-Request-Id is checked as this request's: checkAnswer reports it) */
    if (!res.error && !res.refused && req.headers['X-Request-Id'] === ownId && res.headers['x-request-id'] && res.headers['x-request-id'] !== ownId) {
      this.fail('desync', `${req.method} ${req.path.slice(0, 200)} -> ${res.status}: the answer carries X-Request-Id ${res.headers['x-request-id']}, not ${ownId}: an answer to another request on this connection; the request before it on the connection was ${JSON.stringify(res.previous ? describe(res.previous, this.seed, -1) : null)}`, req, op, res.status);
      return null;
    }
    if (res.refused) { this.refused++; this.refusedWhy[res.refused] = (this.refusedWhy[res.refused] || 0) + 1; return null; }
    if (res.error) {
      this.connErrors++;
      const alive = await this.alive();
      this.fail('connection', `${req.method} ${req.path.slice(0, 200)}: ${res.error} after ${res.ms} ms; the server ${alive ? 'still answers /healthz' : 'is gone or not answering'}`, req, op, null);
      if (!alive) throw new ServerGone(this.srv.exited ? `exit ${this.srv.exited.code ?? this.srv.exited.signal}` : 'not answering');
      return null;
    }
    st.statuses[res.status] = (st.statuses[res.status] || 0) + 1;
    /* the slowest answers, for the report (not a failure: the machine's load decides too) */
    if (this.slowest.length < 5 || res.ms > this.slowest[this.slowest.length - 1].ms) {
      this.slowest.push({ ms: res.ms, status: res.status, request: describe(req, this.seed, this.index) });
      this.slowest.sort((a, b) => b.ms - a.ms);
      this.slowest.length = Math.min(this.slowest.length, 5);
    }
    this.statusCounts.set(res.status, (this.statusCounts.get(res.status) || 0) + 1);
    const json = this.checkAnswer(req, res, op);
    if (res.status === 422 && !req.mutations.length && json && json.error && (st.why422 || []).length < 3) {
      (st.why422 ||= []).push(json.error.details.map((d) => `${d.field}: ${d.message}`).join('; ').slice(0, 300));
    }
    if (json && res.status < 300) {
      this.pools.harvest(json);
      if (typeof json.cart_token === 'string' && !this.cartTokens.includes(json.cart_token)) { this.cartTokens.push(json.cart_token); if (this.cartTokens.length > 50) this.cartTokens.shift(); }
      if (typeof json.order_token === 'string' && !this.orderTokens.includes(json.order_token)) { this.orderTokens.push(json.order_token); if (this.orderTokens.length > 50) this.orderTokens.shift(); }
      if (res.headers.etag && this.pools.etags.length < 100) this.pools.etags.push(res.headers.etag);
      if (op && typeof json.next_cursor === 'string') {
        const cur = this.cursors.get(op.name) || [];
        if (cur.length < 20) cur.push(json.next_cursor); else cur[this.index % 20] = json.next_cursor;
        this.cursors.set(op.name, cur);
      }
    }
    return { status: res.status, json };
  }

  /** the process runs and /healthz answers 200 */
  async alive() {
    if (this.srv.exited) return false;
    const r = await send(new http.Agent({ keepAlive: false }), this.base, { method: 'GET', path: '/healthz', headers: {} });
    return !r.error && r.status === 200 && !this.srv.exited;
  }

  /** the admin key still works (the fuzzer may have changed the admin's account) */
  async adminWorks() {
    const r = await send(this.agent, this.base, { method: 'GET', path: '/api/v1/users/me', headers: { Authorization: `Bearer ${this.srv.adminKey}` } });
    return r.status === 200;
  }

  /** one random (or, with OP, that operation's) fuzzed request; now and then (BURST_P) the same
   * write sent 2-6 times at once, for races between equal writes (unique keys, idempotency) */
  async one(op) {
    op = op || this.rng.pick(this.ops);
    const req = this.plain(op, this.pickCredential(op));
    this.mutate(req, op);
    if (op.method !== 'GET' && this.rng.chance(BURST_P)) {
      const n = this.rng.int(2, 6);
      req.mutations.push(`burst:${n}`);
      const copies = Array.from({ length: n }, () => ({ ...req, headers: Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== 'X-Request-Id')) }));
      const rs = await Promise.all(copies.map((c) => this.request(c, op)));
      return rs[0];
    }
    return this.request(req, op);
  }
}

export class ServerGone extends Error {}

/**
 * Run a campaign: start a server, set up, fuzz for REQUESTS requests or SECONDS seconds
 * (whichever ends first; 0 = no bound on that one), stop the server.
 * Returns {seed, requests, seconds, rps, failures, failureCounts, byOp, ops, statusCounts, errorLogs, serverExit}.
 */
export async function runCampaign({ seed = 1, requests = 2000, seconds = 0, products = 60, concurrency = 2, log = () => {}, env = {} } = {}) {
  /* webhook targets on loopback (port 9, discard: deliveries fail, and retry) since the machine may have no DNS */
  const srv = await startServer({ products, seed: (seed % 1000) + 1, env: { SOUK_WEBHOOKS_ALLOW_TARGETS: '127.0.0.1/32', ...env } });
  let fz;
  const started = Date.now();
  try {
    const spec = await getSpec(srv);
    const unknown = unknownKeywords(spec.doc);
    if (unknown.length) throw new Error(`the OpenAPI document uses schema keywords the generator does not know: ${unknown.join(', ')} (teach tests/fuzz_http/gen.js)`);
    fz = new Fuzzer({ srv, spec, seed, log });
    await fz.setup();
    log(`setup done: ${fz.ops.length} operations, ${fz.index} requests`);
    const deadline = seconds > 0 ? started + seconds * 1000 : Infinity;
    const limit = requests > 0 ? requests : Infinity;
    /* every operation once, in a seeded order, then at random */
    const order = fz.ops.map((o) => [fz.rng.next(), o]).sort((a, b) => a[0] - b[0]).map(([, o]) => o);
    let sent = 0;
    let lastLogin = Date.now();
    let lastLog = Date.now();
    let gone = null;
    const worker = async () => {
      while (!gone && sent < limit && Date.now() < deadline) {
        const n = sent++;
        const op = n < order.length ? order[n] : undefined;
        try {
          await fz.one(op);
        } catch (e) {
          if (e instanceof ServerGone) { gone = e; return; }
          throw e;
        }
        if (n % 150 === 149) await fz.scenario();
        if (n % 100 === 99) {
          if (!(await fz.alive())) { gone = new ServerGone('not answering /healthz'); fz.fail('death', `the server stopped answering /healthz after request ${fz.index}`, { method: '-', path: '-', headers: {} }, null, null); return; }
          await fz.relogin(true);
          if (!(await fz.adminWorks())) throw new Error(`the admin key stopped working after request ${fz.index} (a fuzzed request changed the admin account; the fuzzer should protect it)`);
        }
        if (Date.now() - lastLogin > 10 * 60_000) { lastLogin = Date.now(); await fz.relogin(); }
        if (Date.now() - lastLog > 30_000) { lastLog = Date.now(); log(`${sent} requests, ${((Date.now() - started) / 1000).toFixed(0)} s, ${fz.failures.length} distinct failures`); }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    if (gone) fz.fail('death', `the server died or stopped answering: ${gone.message}\nstderr tail:\n${srv.stderr.slice(-3000)}`, { method: '-', path: '-', headers: {} }, null, null);
  } finally {
    const elapsed = (Date.now() - started) / 1000;
    const errorLogs = srv.logs.filter((l) => l.level === 'error' || l.level === 'fatal');
    const code = await srv.stop().catch((e) => `stop failed: ${e.message}`);
    if (fz) {
      fz.elapsed = elapsed;
      fz.errorLogs = errorLogs;
      fz.serverExit = code;
    }
  }
  const failureCounts = Object.fromEntries(fz.failureKeys);
  return {
    seed, requests: fz.index, seconds: fz.elapsed, rps: fz.index / fz.elapsed, failures: fz.failures, failureCounts,
    byOp: fz.byOp, ops: fz.ops.map((o) => o.name), statusCounts: Object.fromEntries(fz.statusCounts),
    errorLogs: fz.errorLogs, serverExit: fz.serverExit, connErrors: fz.connErrors, refused: fz.refused, refusedWhy: fz.refusedWhy, slowest: fz.slowest,
  };
}
