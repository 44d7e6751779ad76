// Inventory and the job-queue admin API: warehouses, stock levels per
// warehouse and their totals, adjustments and their history, the catalog's
// in_stock filter and per-variant "available" (both read the inventory's
// derived variant_availability), and GET /admin/jobs + POST /admin/jobs/{id}/retry.
//
// Shapes: docs/api-shapes.md "Inventory"; docs/internals/inventory.md,
// docs/internals/jobs.md. Every response is validated against the OpenAPI
// document by lib/client.js.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from './lib/db.js';
import { startServer } from './lib/server.js';
import { api, expectError, walk } from './lib/client.js';
import { register } from './lib/auth_util.js';
import { token, sleep } from './lib/util.js';

const ID = (prefix) => new RegExp(`^${prefix}_[0-9A-HJKMNP-TV-Z]{13}$`);


describe('inventory', () => {
  let srv;
  const fx = {};

  const admin = (method, path, body) => api(srv, method, path, { key: true, body });
  async function must(r, status) {
    assert.equal(r.status, status, `${r.method} ${r.path} -> ${r.status}: ${r.text.slice(0, 500)}`);
    return r.body;
  }
  const code = (tag) => `${tag}-${token()}`.slice(0, 32).replace(/[^A-Za-z0-9_-]/g, '');
  async function warehouse(tag, name = `Warehouse ${tag}`) {
    return must(await admin('POST', '/api/v1/warehouses', { code: code(tag), name }), 201);
  }
  /** An active product with N active variants (priced in USD). */
  async function product(title, n = 1) {
    return must(await admin('POST', '/api/v1/products', {
      title: `${title} ${token()}`, status: 'active',
      variants: Array.from({ length: n }, () => ({ sku: `INV-${token()}`, prices: [{ amount: 1000, currency: 'USD' }] })),
    }), 201);
  }
  const stockPath = (v, w) => `/api/v1/variants/${v}/stock/${w}`;
  const setStock = async (v, w, body) => must(await admin('PUT', stockPath(v, w), body), 200);
  const adjust = (v, w, body) => admin('POST', `${stockPath(v, w)}/adjustments`, body);
  const levelOf = (stock, w) => stock.warehouses.find((l) => l.warehouse.id === w);
  /** Holds N units of VARIANT (an object with sku) in warehouse WH as reserved. No route reserves (checkout
   *  will); this sets the column directly, so the derived variant_availability only follows at the next change. */
  const reserveInTable = (variant, wh, n) => sql(srv.dbPath, `UPDATE stock_levels SET reserved = ${n} ` +
    `WHERE variant_id = (SELECT id FROM variants WHERE sku = '${variant.sku}') AND warehouse_id = (SELECT id FROM warehouses WHERE code = '${wh.code}')`);

  before(async () => {
    srv = await startServer();
    fx.whA = await warehouse('A', 'Main warehouse');
    fx.whB = await warehouse('B', 'Overflow');
  });

  after(async () => {
    if (srv) await srv.stop();
  });

  // ---------------------------------------------------------------- warehouses
  describe('warehouses', () => {
    it('create answers 201 with the warehouse and a Location', async () => {
      const c = code('new');
      const r = await admin('POST', '/api/v1/warehouses', { code: c, name: 'New warehouse' });
      const w = await must(r, 201);
      assert.match(w.id, ID('wh'));
      assert.equal(w.code, c);
      assert.equal(w.name, 'New warehouse');
      assert.equal(r.headers.get('location'), `/api/v1/warehouses/${w.id}`);
      assert.equal(w.created_at, w.updated_at);
    });

    it('a taken code is 409 CONFLICT field code (on create and on update)', async () => {
      expectError(await admin('POST', '/api/v1/warehouses', { code: fx.whA.code, name: 'Dup' }), 409, 'CONFLICT', 'code');
      const other = await warehouse('dup');
      expectError(await admin('PATCH', `/api/v1/warehouses/${other.id}`, { code: fx.whA.code }), 409, 'CONFLICT', 'code');
      // nothing changed
      const list = (await must(await admin('GET', '/api/v1/warehouses'), 200)).data;
      assert.equal(list.find((w) => w.id === other.id).code, other.code);
      assert.equal(list.filter((w) => w.code === fx.whA.code).length, 1);
    });

    it('bad input is 422 with the field named', async () => {
      expectError(await admin('POST', '/api/v1/warehouses', { name: 'no code' }), 422, 'VALIDATION_ERROR', 'code');
      expectError(await admin('POST', '/api/v1/warehouses', { code: code('noname') }), 422, 'VALIDATION_ERROR', 'name');
      expectError(await admin('POST', '/api/v1/warehouses', { code: 'has space', name: 'x' }), 422, 'VALIDATION_ERROR', 'code');
      expectError(await admin('POST', '/api/v1/warehouses', { code: 'x'.repeat(33), name: 'x' }), 422, 'VALIDATION_ERROR', 'code');
      expectError(await admin('POST', '/api/v1/warehouses', { code: code('blank'), name: '   ' }), 422, 'VALIDATION_ERROR', 'name');
      expectError(await admin('POST', '/api/v1/warehouses', { code: code('long'), name: 'n'.repeat(201) }), 422, 'VALIDATION_ERROR', 'name');
    });

    it('update changes code and name; unknown ids are 404', async () => {
      const w = await warehouse('upd');
      const c = code('renamed');
      const u = await must(await admin('PATCH', `/api/v1/warehouses/${w.id}`, { code: c, name: 'Renamed' }), 200);
      assert.equal(u.id, w.id);
      assert.equal(u.code, c);
      assert.equal(u.name, 'Renamed');
      assert.equal(u.created_at, w.created_at);
      assert.ok(u.updated_at >= w.updated_at);
      const n = await must(await admin('PATCH', `/api/v1/warehouses/${w.id}`, { name: 'Only the name' }), 200);
      assert.equal(n.code, c);
      assert.equal(n.name, 'Only the name');
      // keeping its own code is not a conflict
      await must(await admin('PATCH', `/api/v1/warehouses/${w.id}`, { code: c }), 200);
      expectError(await admin('PATCH', '/api/v1/warehouses/wh_0000000000000', { name: 'x' }), 404, 'NOT_FOUND');
      expectError(await admin('PATCH', '/api/v1/warehouses/not-an-id', { name: 'x' }), 404, 'NOT_FOUND');
    });

    it('list holds every warehouse, ordered by code', async () => {
      const list = (await must(await admin('GET', '/api/v1/warehouses'), 200)).data;
      for (const w of [fx.whA, fx.whB]) assert.ok(list.some((x) => x.id === w.id && x.name === w.name), `${w.code} listed`);
      const codes = list.map((w) => w.code);
      assert.deepEqual(codes, [...codes].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
      assert.equal(new Set(list.map((w) => w.id)).size, list.length);
    });

    it('needs inventory:write: anonymous 401, customers 403', async () => {
      expectError(await api(srv, 'GET', '/api/v1/warehouses'), 401, 'UNAUTHORIZED');
      const cust = await register(srv);
      expectError(await api(srv, 'GET', '/api/v1/warehouses', { key: cust.access }), 403, 'FORBIDDEN');
    });
  });

  // ---------------------------------------------------------------- stock
  describe('stock', () => {
    it('a variant without levels has zero stock', async () => {
      const p = await product('Nothing yet');
      const s = await must(await admin('GET', `/api/v1/variants/${p.variants[0].id}/stock`), 200);
      assert.deepEqual(s, { variant_id: p.variants[0].id, on_hand: 0, reserved: 0, available: 0, warehouses: [] });
    });

    it('PUT sets a level per warehouse; GET gives levels and totals', async () => {
      const p = await product('Stocked');
      const v = p.variants[0].id;
      let s = await setStock(v, fx.whA.id, { on_hand: 10, reason: 'initial count' });
      assert.equal(s.variant_id, v);
      assert.equal(s.on_hand, 10);
      assert.equal(s.available, 10);
      s = await setStock(v, fx.whB.id, { on_hand: 5, low_stock_threshold: 8, reason: 'initial count' });
      assert.deepEqual([s.on_hand, s.reserved, s.available], [15, 0, 15]);
      const g = await must(await admin('GET', `/api/v1/variants/${v}/stock`), 200);
      assert.deepEqual(g, s);
      assert.equal(g.warehouses.length, 2);
      const a = levelOf(g, fx.whA.id);
      const b = levelOf(g, fx.whB.id);
      assert.deepEqual({ ...a.warehouse }, { id: fx.whA.id, code: fx.whA.code, name: fx.whA.name });
      assert.deepEqual([a.on_hand, a.reserved, a.available, a.low_stock_threshold, a.low_stock], [10, 0, 10, 0, false]);
      assert.deepEqual([b.on_hand, b.reserved, b.available, b.low_stock_threshold, b.low_stock], [5, 0, 5, 8, true]);
      // ordered by warehouse code
      const codes = g.warehouses.map((l) => l.warehouse.code);
      assert.deepEqual(codes, [...codes].sort());
      // a lower count; the threshold stays when not sent
      s = await setStock(v, fx.whB.id, { on_hand: 9, reason: 'recount' });
      assert.deepEqual([levelOf(s, fx.whB.id).on_hand, levelOf(s, fx.whB.id).low_stock_threshold, levelOf(s, fx.whB.id).low_stock], [9, 8, false]);
      assert.equal(s.on_hand, 19);
      // the differences were recorded as adjustments with the reason
      const h = await must(await admin('GET', `${stockPath(v, fx.whB.id)}/adjustments`), 200);
      assert.deepEqual(h.data.map((x) => [x.delta, x.on_hand_after, x.reason]), [[4, 9, 'recount'], [5, 5, 'initial count']]);
      fx.stocked = { product: p, variant: v };
    });

    it('PUT refuses bad input (422), unknown variants and warehouses (404)', async () => {
      const v = (await product('Bad puts')).variants[0].id;
      const put = (w, body) => admin('PUT', stockPath(v, w), body);
      expectError(await put(fx.whA.id, { on_hand: 1 }), 422, 'VALIDATION_ERROR', 'reason');
      expectError(await put(fx.whA.id, { on_hand: 1, reason: ' ' }), 422, 'VALIDATION_ERROR', 'reason');
      expectError(await put(fx.whA.id, { on_hand: 1, reason: 'r'.repeat(201) }), 422, 'VALIDATION_ERROR', 'reason');
      expectError(await put(fx.whA.id, { reason: 'x' }), 422, 'VALIDATION_ERROR', 'on_hand');
      expectError(await put(fx.whA.id, { on_hand: -1, reason: 'x' }), 422, 'VALIDATION_ERROR', 'on_hand');
      expectError(await put(fx.whA.id, { on_hand: 1_000_000_001, reason: 'x' }), 422, 'VALIDATION_ERROR', 'on_hand');
      expectError(await put(fx.whA.id, { on_hand: 1.5, reason: 'x' }), 422, 'VALIDATION_ERROR', 'on_hand');
      expectError(await put(fx.whA.id, { on_hand: 1, low_stock_threshold: -1, reason: 'x' }), 422, 'VALIDATION_ERROR', 'low_stock_threshold');
      expectError(await put(fx.whA.id, { on_hand: 1, reason: 'x', extra: 1 }), 422, 'VALIDATION_ERROR');
      expectError(await admin('PUT', stockPath('var_0000000000000', fx.whA.id), { on_hand: 1, reason: 'x' }), 404, 'NOT_FOUND');
      expectError(await put('wh_0000000000000', { on_hand: 1, reason: 'x' }), 404, 'NOT_FOUND');
      expectError(await admin('GET', '/api/v1/variants/var_0000000000000/stock'), 404, 'NOT_FOUND');
      // none of that left a trace
      const s = await must(await admin('GET', `/api/v1/variants/${v}/stock`), 200);
      assert.deepEqual(s.warehouses, []);
    });
  });

  // ---------------------------------------------------------------- adjustments
  describe('adjustments', () => {
    it('POST adds or takes with a reason and answers the adjustment and the new level', async () => {
      const v = (await product('Adjusted')).variants[0].id;
      const r = await adjust(v, fx.whA.id, { delta: 12, reason: 'delivery 1' });
      const a = await must(r, 201);
      assert.match(a.id, ID('adj'));
      assert.equal(a.variant_id, v);
      assert.equal(a.warehouse_id, fx.whA.id);
      assert.deepEqual([a.delta, a.on_hand_after, a.reason, a.reservation_id], [12, 12, 'delivery 1', null]);
      assert.match(a.actor, ID('key'), 'the actor is the admin API key');
      assert.deepEqual(a.stock, { on_hand: 12, reserved: 0, available: 12, low_stock_threshold: 0 });
      assert.equal(r.headers.get('location'), `${stockPath(v, fx.whA.id)}/adjustments`);
      const b = await must(await adjust(v, fx.whA.id, { delta: -2, reason: 'damaged' }), 201);
      assert.deepEqual([b.delta, b.on_hand_after, b.stock.on_hand, b.stock.available], [-2, 10, 10, 10]);
      const s = await must(await admin('GET', `/api/v1/variants/${v}/stock`), 200);
      assert.equal(s.on_hand, 10);
      // down to exactly zero is allowed
      const z = await must(await adjust(v, fx.whA.id, { delta: -10, reason: 'sold off elsewhere' }), 201);
      assert.deepEqual([z.on_hand_after, z.stock.available], [0, 0]);
    });

    it('an inventory manager adjusts too, recorded as usr_…', async () => {
      const email = `im-${token()}@example.com`;
      const password = 'inventory manager pw 1';
      const reg = await must(await api(srv, 'POST', '/api/v1/auth/register', { body: { email, password } }), 201);
      await must(await admin('PATCH', `/api/v1/admin/users/${reg.user.id}`, { role: 'inventory_manager' }), 200);
      const t = (await must(await api(srv, 'POST', '/api/v1/auth/login', { body: { email, password } }), 200)).access_token;
      const v = (await product('Managed')).variants[0].id;
      const a = await must(await api(srv, 'POST', `${stockPath(v, fx.whB.id)}/adjustments`, { key: t, body: { delta: 3, reason: 'found' } }), 201);
      assert.equal(a.actor, reg.user.id);
    });

    it('reason is required and delta non-zero (422)', async () => {
      const v = (await product('Bad adjustments')).variants[0].id;
      expectError(await adjust(v, fx.whA.id, { delta: 1 }), 422, 'VALIDATION_ERROR', 'reason');
      expectError(await adjust(v, fx.whA.id, { delta: 1, reason: '' }), 422, 'VALIDATION_ERROR', 'reason');
      expectError(await adjust(v, fx.whA.id, { delta: 1, reason: ' \t ' }), 422, 'VALIDATION_ERROR', 'reason');
      expectError(await adjust(v, fx.whA.id, { delta: 0, reason: 'nothing' }), 422, 'VALIDATION_ERROR', 'delta');
      expectError(await adjust(v, fx.whA.id, { reason: 'no delta' }), 422, 'VALIDATION_ERROR', 'delta');
      expectError(await adjust(v, fx.whA.id, { delta: '5', reason: 'string' }), 422, 'VALIDATION_ERROR', 'delta');
      expectError(await adjust(v, fx.whA.id, { delta: 1_000_000_001, reason: 'too many' }), 422, 'VALIDATION_ERROR', 'delta');
      expectError(await adjust('var_0000000000000', fx.whA.id, { delta: 1, reason: 'x' }), 404, 'NOT_FOUND');
      expectError(await adjust(v, 'wh_0000000000000', { delta: 1, reason: 'x' }), 404, 'NOT_FOUND');
      const h = await must(await admin('GET', `${stockPath(v, fx.whA.id)}/adjustments`), 200);
      assert.deepEqual(h, { data: [], next_cursor: null });
    });

    it('going below zero, or below the reserved quantity, is 409 CONFLICT and changes nothing', async () => {
      const variant = (await product('Guarded')).variants[0];
      const v = variant.id;
      await must(await adjust(v, fx.whA.id, { delta: 5, reason: 'delivery' }), 201);
      expectError(await adjust(v, fx.whA.id, { delta: -6, reason: 'too many' }), 409, 'CONFLICT', 'delta');
      // 3 of the 5 held by a reservation (no route makes one: checkout does; set it in the table)
      reserveInTable(variant, fx.whA, 3);
      let s = await must(await admin('GET', `/api/v1/variants/${v}/stock`), 200);
      assert.deepEqual([s.on_hand, s.reserved, s.available], [5, 3, 2], 'the reservation was set on this variant');
      expectError(await adjust(v, fx.whA.id, { delta: -3, reason: 'below reserved' }), 409, 'CONFLICT', 'delta');
      expectError(await admin('PUT', stockPath(v, fx.whA.id), { on_hand: 2, reason: 'below reserved' }), 409, 'CONFLICT', 'on_hand');
      s = await must(await admin('GET', `/api/v1/variants/${v}/stock`), 200);
      assert.deepEqual([s.on_hand, s.reserved, s.available], [5, 3, 2]);
      // down to the reserved quantity is fine
      const a = await must(await adjust(v, fx.whA.id, { delta: -2, reason: 'to reserved' }), 201);
      assert.deepEqual(a.stock, { on_hand: 3, reserved: 3, available: 0, low_stock_threshold: 0 });
      const h = await must(await admin('GET', `${stockPath(v, fx.whA.id)}/adjustments`), 200);
      assert.deepEqual(h.data.map((x) => x.delta), [-2, 5], 'refused changes are not in the history');
    });

    it('the history is newest first and paged with next_cursor', async () => {
      const v = (await product('History')).variants[0].id;
      const made = [];
      for (let i = 1; i <= 7; i++) made.push(await must(await adjust(v, fx.whB.id, { delta: i, reason: `delivery ${i}` }), 201));
      const path = `${stockPath(v, fx.whB.id)}/adjustments`;
      const all = await must(await admin('GET', path), 200);
      assert.equal(all.next_cursor, null);
      assert.deepEqual(all.data.map((x) => x.id), made.map((x) => x.id).reverse());
      assert.deepEqual(all.data[0], Object.fromEntries(Object.entries(made[6]).filter(([k]) => k !== 'stock')));
      const seen = [];
      let cursor = null;
      let pages = 0;
      do {
        const page = await must(await admin('GET', `${path}?limit=3${cursor ? `&cursor=${cursor}` : ''}`), 200);
        assert.ok(page.data.length <= 3);
        seen.push(...page.data.map((x) => x.id));
        cursor = page.next_cursor;
        pages++;
      } while (cursor && pages < 10);
      assert.equal(pages, 3);
      assert.deepEqual(seen, all.data.map((x) => x.id));
      // the other warehouse's history is separate
      assert.deepEqual((await must(await admin('GET', `${stockPath(v, fx.whA.id)}/adjustments`), 200)).data, []);
    });

    it('history parameters: unknown, repeated or bad ones are 422', async () => {
      const v = fx.stocked?.variant ?? (await product('Params')).variants[0].id;
      const path = `${stockPath(v, fx.whA.id)}/adjustments`;
      for (const [q, field] of [['limit=0', 'limit'], ['limit=101', 'limit'], ['limit=x', 'limit'], ['cursor=nope', 'cursor'],
        ['cursor=wh_0000000000000', 'cursor'], ['limit=1&limit=2', 'limit'], ['sort=asc', 'sort']]) {
        expectError(await admin('GET', `${path}?${q}`), 422, 'VALIDATION_ERROR', field);
      }
      await must(await admin('GET', `${path}?limit=100`), 200);
      expectError(await admin('GET', `/api/v1/variants/var_0000000000000/stock/${fx.whA.id}/adjustments`), 404, 'NOT_FOUND');
      expectError(await admin('GET', `/api/v1/variants/${v}/stock/wh_0000000000000/adjustments`), 404, 'NOT_FOUND');
    });
  });

  // ---------------------------------------------------------------- catalog
  describe('catalog reads the availability', () => {
    it('in_stock=true|false splits the product list; other values are 422', async () => {
      const inStock = await product('In stock', 2);
      const soldOut = await product('Sold out');
      const never = await product('Never stocked');
      const archivedOnly = await product('Stock only on an archived variant', 2);
      await setStock(inStock.variants[1].id, fx.whA.id, { on_hand: 4, reason: 'count' });
      await setStock(soldOut.variants[0].id, fx.whA.id, { on_hand: 3, reason: 'count' });
      await setStock(soldOut.variants[0].id, fx.whA.id, { on_hand: 0, reason: 'sold elsewhere' });
      await setStock(archivedOnly.variants[0].id, fx.whB.id, { on_hand: 7, reason: 'count' });
      await must(await admin('PATCH', `/api/v1/variants/${archivedOnly.variants[0].id}`, { status: 'archived' }), 200);

      const ids = async (q) => new Set((await walk(srv, q)).items.map((p) => p.id));
      const yes = await ids({ in_stock: 'true' });
      const no = await ids({ in_stock: 'false' });
      const every = await ids({});
      assert.ok(yes.has(inStock.id), 'a product with one variant in stock is in stock');
      for (const p of [soldOut, never, archivedOnly]) {
        assert.ok(!yes.has(p.id), `${p.title} is not in stock`);
        assert.ok(no.has(p.id), `${p.title} is listed by in_stock=false`);
      }
      assert.ok(!no.has(inStock.id));
      assert.equal(yes.size + no.size, every.size, 'true and false partition the list');
      for (const id of yes) assert.ok(!no.has(id));

      // stock arriving moves a product over
      await must(await adjust(never.variants[0].id, fx.whB.id, { delta: 1, reason: 'delivery' }), 201);
      assert.ok((await ids({ in_stock: 'true' })).has(never.id));

      for (const v of ['yes', '1', 'TRUE', '']) {
        expectError(await api(srv, 'GET', `/api/v1/products?in_stock=${v}`), 422, 'VALIDATION_ERROR', 'in_stock');
      }
      expectError(await api(srv, 'GET', '/api/v1/products?in_stock=true&in_stock=false'), 422, 'VALIDATION_ERROR', 'in_stock');
    });

    it('product detail gives each variant its available total over all warehouses', async () => {
      const p = await product('Detail', 3);
      const [v1, v2, v3] = p.variants.map((x) => x.id);
      assert.ok(p.variants.every((x) => x.available === 0), 'a new variant has nothing available');
      await setStock(v1, fx.whA.id, { on_hand: 6, reason: 'count' });
      await setStock(v1, fx.whB.id, { on_hand: 4, reason: 'count' });
      await must(await adjust(v2, fx.whB.id, { delta: 2, reason: 'delivery' }), 201);
      const d = await must(await api(srv, 'GET', `/api/v1/products/${p.id}`), 200);
      assert.deepEqual(Object.fromEntries(d.variants.map((x) => [x.id, x.available])), { [v1]: 10, [v2]: 2, [v3]: 0 });
      // reserved units are not available (a reservation, set in the table, held in the derived model)
      reserveInTable(p.variants[0], fx.whA, 4);
      await must(await adjust(v1, fx.whA.id, { delta: 1, reason: 'delivery' }), 201); // rewrites variant_availability
      const s = await must(await admin('GET', `/api/v1/variants/${v1}/stock`), 200);
      assert.deepEqual([s.on_hand, s.reserved, s.available], [11, 4, 7]);
      const d2 = await must(await api(srv, 'GET', `/api/v1/products/${p.id}`), 200);
      assert.equal(d2.variants.find((x) => x.id === v1).available, 7);
      // the variant routes answer it too
      const pv = await must(await admin('PATCH', `/api/v1/variants/${v2}`, { title: 'renamed' }), 200);
      assert.equal(pv.available, 2);
    });
  });

  // ---------------------------------------------------------------- jobs
  describe('job queue admin API', () => {
    const list = async (q = '') => must(await admin('GET', `/api/v1/admin/jobs${q}`), 200);

    it('lists the scheduled jobs once the scheduler has run', async () => {
      // The scheduler writes each schedule's next due time to job_schedules at start and enqueues a job only
      // when that time comes (reservations.expire: the next minute, carts.purge: minute 17). Make both due now.
      for (let i = 0; i < 40 && sql(srv.dbPath, 'SELECT count(*) FROM job_schedules') < '7'; i++) await sleep(250);
      assert.equal(sql(srv.dbPath, 'SELECT kind FROM job_schedules ORDER BY kind').split('\n').join(','), 'analytics.predict,campaigns.audiences,carts.purge,loyalty.maintenance,order.emails,orders.maintenance,pricing.recompute,recommend.train,reservations.expire,subscriptions.due,webhooks.purge,wishlist.purge');
      sql(srv.dbPath, 'UPDATE job_schedules SET next_run_at = 0');
      let jobs = [];
      for (let i = 0; i < 40; i++) {
        jobs = (await list('?limit=200')).data;
        if (['carts.purge', 'reservations.expire'].every((k) => jobs.some((j) => j.kind === k))) break;
        await sleep(250);
      }
      for (const k of ['carts.purge', 'reservations.expire']) assert.ok(jobs.some((j) => j.kind === k), `${k} scheduled: ${JSON.stringify(jobs.map((j) => [j.kind, j.state]))}`);
      for (const j of jobs) {
        assert.match(j.id, ID('job'));
        assert.ok(j.attempts <= j.max_attempts);
        assert.equal(typeof j.payload.scheduled_for, 'string', 'a scheduled job names its due time');
        assert.equal(j.finished_at === null, j.state !== 'done', 'finished_at is set exactly when done');
      }
      const ids = jobs.map((j) => j.id);
      assert.deepEqual(ids, [...ids].sort().reverse(), 'newest first');
      // the workers run them (both are cheap on an empty store)
      for (let i = 0; i < 40 && !(await list('?kind=reservations.expire')).data.some((j) => j.state === 'done'); i++) await sleep(250);
      fx.done = (await list('?state=done')).data[0];
      assert.ok(fx.done, 'a scheduled job ran to done');
      assert.equal(fx.done.last_error, null);
    });

    it('filters by state and kind, and pages', async () => {
      const all = (await list('?limit=200')).data;
      assert.ok(all.length >= 2);
      for (const state of ['queued', 'running', 'done', 'dead']) {
        const page = (await list(`?state=${state}`)).data;
        assert.ok(page.every((j) => j.state === state), `state=${state}`);
      }
      assert.ok((await list('?state=done')).data.some((j) => j.id === fx.done.id));
      const purge = (await list('?kind=carts.purge')).data;
      assert.ok(purge.length >= 1 && purge.every((j) => j.kind === 'carts.purge'));
      const both = (await list('?kind=carts.purge&state=done')).data;
      assert.ok(both.every((j) => j.kind === 'carts.purge' && j.state === 'done'));
      assert.deepEqual((await list('?kind=no.such.kind')).data, []);
      const p1 = await list('?limit=1');
      assert.equal(p1.data.length, 1);
      assert.equal(typeof p1.next_cursor, 'string');
      const p2 = await list(`?limit=1&cursor=${encodeURIComponent(p1.next_cursor)}`);
      assert.equal(p2.data.length, 1);
      assert.ok(p2.data[0].id < p1.data[0].id, 'the next page continues after the first');
      assert.equal((await list('?limit=200')).next_cursor, null);
    });

    it('bad parameters are 422 with the parameter named', async () => {
      for (const [q, field] of [['state=bogus', 'state'], ['state=', 'state'], ['limit=0', 'limit'], ['limit=201', 'limit'],
        ['limit=ten', 'limit'], ['cursor=!!!', 'cursor'], ['cursor=' + Buffer.from('x1|5').toString('base64url'), 'cursor'],
        ['kind=', 'kind'], ['kind=' + 'k'.repeat(65), 'kind'], ['state=queued&state=dead', 'state'], ['page=2', 'page']]) {
        expectError(await admin('GET', `/api/v1/admin/jobs?${q}`), 422, 'VALIDATION_ERROR', field);
      }
    });

    it('retry refuses unknown jobs (404) and jobs that are not dead (409 INVALID_STATE)', async () => {
      expectError(await admin('POST', '/api/v1/admin/jobs/job_0000000000000/retry'), 404, 'NOT_FOUND');
      expectError(await admin('POST', '/api/v1/admin/jobs/not-a-job/retry'), 404, 'NOT_FOUND');
      assert.ok(fx.done, 'a done job (from the scheduler test)');
      expectError(await admin('POST', `/api/v1/admin/jobs/${fx.done.id}/retry`), 409, 'INVALID_STATE');
      assert.equal((await list('?state=done')).data.find((j) => j.id === fx.done.id)?.attempts, fx.done.attempts, 'left alone');
      // a queued one (not due for an hour)
      const now = Date.now() * 1000;
      sql(srv.dbPath, 'INSERT INTO jobs (id, kind, payload, state, attempts, max_attempts, run_at, created_at, updated_at) ' +
        `SELECT coalesce(max(id), 0) + 1000, 'test.later', '{}', 'queued', 0, 5, ${now + 3600e6}, ${now}, ${now} FROM jobs`);
      const later = (await list('?kind=test.later')).data[0];
      assert.equal(later.state, 'queued');
      expectError(await admin('POST', `/api/v1/admin/jobs/${later.id}/retry`), 409, 'INVALID_STATE');
    });

    /** Inserts a dead job of KIND (no worker has a handler for it) after every other job; returns it as listed. */
    async function deadJob(kind) {
      const now = Date.now() * 1000;
      sql(srv.dbPath, 'INSERT INTO jobs (id, kind, payload, state, attempts, max_attempts, run_at, last_error, created_at, updated_at, finished_at) ' +
        `SELECT coalesce(max(id), 0) + 1000, '${kind}', '{"n":1}', 'dead', 3, 3, ${now - 60e6}, 'boom', ${now - 120e6}, ${now - 60e6}, NULL FROM jobs`);
      const dead = (await list(`?state=dead&kind=${kind}`)).data[0];
      assert.ok(dead, 'the dead job is listed under state=dead');
      assert.deepEqual([dead.state, dead.attempts, dead.max_attempts, dead.last_error, dead.payload], ['dead', 3, 3, 'boom', { n: 1 }]);
      return dead;
    }

    it('a dead job retried is queued again with attempts 0', async () => {
      const dead = await deadJob('test.dead');
      const r = await must(await admin('POST', `/api/v1/admin/jobs/${dead.id}/retry`), 200);
      assert.equal(r.id, dead.id);
      assert.equal(r.created_at, dead.created_at);
      assert.ok(r.run_at > dead.run_at && r.updated_at > dead.updated_at);
      assert.equal(r.finished_at, null);
      // the answer is the row as the retry left it (read inside its transaction)
      assert.deepEqual([r.state, r.attempts], ['queued', 0], JSON.stringify(r));
      // a second retry finds it no longer dead
      expectError(await admin('POST', `/api/v1/admin/jobs/${dead.id}/retry`), 409, 'INVALID_STATE');
      assert.ok(['queued', 'running'].includes(sql(srv.dbPath, "SELECT state FROM jobs WHERE kind = 'test.dead'")));
    });

    it('the retry answers the job as it left it (queued, attempts 0)', async () => {
      const seen = [];
      for (let i = 0; i < 5; i++) {
        const dead = await deadJob(`test.race${i}`);
        const r = await must(await admin('POST', `/api/v1/admin/jobs/${dead.id}/retry`), 200);
        seen.push(`${r.state}/${r.attempts}`);
      }
      assert.deepEqual(seen, Array(5).fill('queued/0'));
    });

    it('a dead job whose dedupe key a queued job holds again is 409 and stays dead', async () => {
      const now = Date.now() * 1000;
      const key = `test.dup@${token()}`;
      sql(srv.dbPath, 'INSERT INTO jobs (id, kind, payload, state, attempts, max_attempts, run_at, last_error, dedupe_key, created_at, updated_at) ' +
        `SELECT coalesce(max(id), 0) + 1000, 'test.dup', '{}', 'dead', 5, 5, ${now}, 'boom', '${key}', ${now}, ${now} FROM jobs`);
      sql(srv.dbPath, 'INSERT INTO jobs (id, kind, payload, state, attempts, max_attempts, run_at, dedupe_key, created_at, updated_at) ' +
        `SELECT coalesce(max(id), 0) + 1000, 'test.dup', '{}', 'queued', 0, 5, ${now + 3600e6}, '${key}', ${now}, ${now} FROM jobs`);
      const dead = (await list('?kind=test.dup&state=dead')).data[0];
      assert.ok(dead);
      expectError(await admin('POST', `/api/v1/admin/jobs/${dead.id}/retry`), 409, 'CONFLICT');
      const again = (await list('?kind=test.dup&state=dead')).data[0];
      assert.deepEqual([again.id, again.state, again.attempts], [dead.id, 'dead', 5]);
    });

    it('needs jobs:manage: inventory managers 403, anonymous 401', async () => {
      expectError(await api(srv, 'GET', '/api/v1/admin/jobs'), 401, 'UNAUTHORIZED');
      const email = `im2-${token()}@example.com`;
      const password = 'inventory manager pw 2';
      const reg = await must(await api(srv, 'POST', '/api/v1/auth/register', { body: { email, password } }), 201);
      await must(await admin('PATCH', `/api/v1/admin/users/${reg.user.id}`, { role: 'inventory_manager' }), 200);
      const t = (await must(await api(srv, 'POST', '/api/v1/auth/login', { body: { email, password } }), 200)).access_token;
      expectError(await api(srv, 'GET', '/api/v1/admin/jobs', { key: t }), 403, 'FORBIDDEN');
      expectError(await api(srv, 'POST', '/api/v1/admin/jobs/job_0000000000000/retry', { key: t }), 403, 'FORBIDDEN');
    });
  });
});
