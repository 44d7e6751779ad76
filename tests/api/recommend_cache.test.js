// Recommendation lists in the response cache (docs/internals/http.md,
// docs/recommendations.md): anonymous answers without a cart are kept per URL;
// signed-in shoppers and carts are never answered from it; a kept list goes
// when a product in it sells out or is archived and when the active model
// changes, and when the account behind an anonymous id is erased; the cache
// reports its size in /metrics.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startServer } from './lib/server.js';
import { api } from './lib/client.js';
import { must, warehouse, product, guestCart, customer, customerWithCart, eventually } from './lib/orders_util.js';

const ADMIN = { key: true };
const eid = () => `e-${randomBytes(6).toString('hex')}`;
const FOR_YOU = '/api/v1/recommendations/for-you?anonymous_id=visitor-0000&limit=12';

describe('recommendation lists in the response cache', () => {
  let srv, wh, model;
  const garden = [], kitchen = [];
  const get = (path, opts = {}) => api(srv, 'GET', path, opts);
  const admin = (method, path, body) => api(srv, method, path, { ...ADMIN, body });

  async function metrics() {
    const text = await (await fetch(`${srv.url}/metrics`)).text();
    const n = (re) => Number((text.match(re) || [])[1] ?? NaN);
    return {
      hit: n(/souk_cache_requests_total\{result="hit"\} (\d+)/) || 0,
      miss: n(/souk_cache_requests_total\{result="miss"\} (\d+)/) || 0,
      bytes: n(/^souk_cache_bytes (\d+)$/m),
      entries: n(/^souk_cache_entries (\d+)$/m),
      budget: n(/^souk_cache_budget_bytes (\d+)$/m),
    };
  }
  /** GETs PATH (OPTS as api()); returns {r, lookup: 'hit' | 'miss' | 'none'}. */
  async function fetchTold(path, opts = {}) {
    const before = await metrics();
    const r = await get(path, opts);
    const after = await metrics();
    const lookup = after.hit > before.hit ? 'hit' : after.miss > before.miss ? 'miss' : 'none';
    return { r, lookup };
  }
  async function train(params) {
    const count = must(await admin('GET', '/api/v1/admin/recommendations/models'), 200).data.length;
    must(await admin('POST', '/api/v1/admin/recommendations/models', { params: { factors: 4, iterations: 8, test_days: 1, ...params } }), 202);
    let v;
    await eventually(async () => {
      const list = must(await admin('GET', '/api/v1/admin/recommendations/models'), 200).data;
      v = list.length > count && list[0].status !== 'training' ? list[0] : null;
      return v !== null;
    }, 'the training job finishes', 20_000);
    assert.equal(v.status, 'ready', JSON.stringify(v));
    return v;
  }
  const ids = (body) => body.data.map((p) => p.id);

  before(async () => {
    srv = await startServer({ env: { SOUK_RATE_LIMIT_IP: '0' } });
    wh = await warehouse(srv);
    for (let i = 0; i < 12; i++) garden.push(await product(srv, { title: `Garden rake ${i}`, variants: [{ price: 1000 + i, stock: 40 }], wh }));
    for (let i = 0; i < 12; i++) kitchen.push(await product(srv, { title: `Kitchen pot ${i}`, variants: [{ price: 2000 + i, stock: 40 }], wh }));
    const list = [];
    for (let v = 0; v < 60; v++) {
      const group = v % 2 === 0 ? garden : kitchen;
      for (let j = 0; j < 10; j++)
        list.push({ id: eid(), type: 'product_view', anonymous_id: `visitor-${String(v).padStart(4, '0')}`, product_id: group[(v * 7 + j * 5) % 12].product.id });
    }
    for (let i = 0; i < list.length; i += 400) must(await api(srv, 'POST', '/api/v1/events', { body: { events: list.slice(i, i + 400) } }), 202);
    model = await train({});
    await eventually(async () => {
      const r = await get(FOR_YOU);
      return r.status === 200 && r.body.model_version === model.version;
    }, 'the first model is served', 10_000);
  });
  after(async () => srv && srv.stop());

  it('keeps anonymous answers per URL, and reports its size', async () => {
    const urls = [FOR_YOU, `/api/v1/products/${garden[0].product.id}/similar?limit=5`,
      `/api/v1/products/${garden[0].product.id}/bought-together?limit=5`, '/api/v1/recommendations/trending?limit=8'];
    for (const url of urls) {
      const first = await fetchTold(url);
      assert.equal(first.r.status, 200);
      const again = await fetchTold(url);
      assert.equal(again.lookup, 'hit', `${url} is answered from the cache`);
      assert.deepEqual(again.r.body, first.r.body);
      assert.equal(again.r.headers.get('cache-control'), first.r.headers.get('cache-control'));
    }
    // the whole URL is the key: another shopper, another limit, another category are their own entries
    assert.equal((await fetchTold('/api/v1/recommendations/for-you?anonymous_id=visitor-0002&limit=12')).lookup, 'miss');
    assert.equal((await fetchTold('/api/v1/recommendations/for-you?anonymous_id=visitor-0000&limit=11')).lookup, 'miss');
    const other = (await fetchTold('/api/v1/recommendations/for-you?anonymous_id=visitor-0001&limit=12')).r.body;
    assert.notDeepEqual(ids(other), ids((await get(FOR_YOU)).body), 'a kitchen visitor is not given the garden list');
    const m = await metrics();
    assert.ok(m.entries >= 6, `entries ${m.entries}`);
    assert.ok(m.bytes > 0 && m.bytes <= m.budget, `bytes ${m.bytes} of ${m.budget}`);
  });

  it('never answers a signed-in shopper or a cart from the cache', async () => {
    await get(FOR_YOU);
    const shared = await fetchTold(FOR_YOU);
    assert.equal(shared.lookup, 'hit');
    const [top] = shared.r.body.data;
    const variant = [...garden, ...kitchen].find((g) => g.product.id === top.id).variants[0].id;

    // an anonymous cart: its lines are left out, so the shared entry is neither read nor replaced
    const cart = await guestCart(srv, [[variant, 1]]);
    const carted = await fetchTold(FOR_YOU, { headers: { 'X-Cart-Token': cart.cart } });
    assert.equal(carted.lookup, 'none');
    assert.equal(carted.r.status, 200);
    assert.ok(!ids(carted.r.body).includes(top.id), 'what is in the cart is not recommended');
    // the lists that do not look at the cart share their entries with every anonymous caller
    await get(`/api/v1/products/${garden[0].product.id}/similar?limit=5`);
    const cartSimilar = await fetchTold(`/api/v1/products/${garden[0].product.id}/similar?limit=5`, { headers: { 'X-Cart-Token': cart.cart } });
    assert.equal(cartSimilar.lookup, 'hit');

    // a signed-in customer asking with the very same URL gets their own answer
    const buyer = await customerWithCart(srv, [[variant, 1]]);
    const mine = await fetchTold(FOR_YOU, { key: buyer.key });
    assert.equal(mine.lookup, 'none');
    assert.equal(mine.r.status, 200);
    assert.ok(!ids(mine.r.body).includes(top.id), 'the customer\'s cart is left out');
    assert.equal(mine.r.headers.get('cache-control'), 'private, no-store');
    const similar = await fetchTold(`/api/v1/products/${garden[0].product.id}/similar?limit=5`, { key: buyer.key });
    assert.equal(similar.lookup, 'none');

    // and the anonymous entry is still the anonymous answer
    const again = await fetchTold(FOR_YOU);
    assert.equal(again.lookup, 'hit');
    assert.deepEqual(ids(again.r.body), ids(shared.r.body));
  });

  /** Warms the lists about the garden, then runs CHANGE on a garden product they show and waits
   * until no list shows it any more (each list asked at once after the change, then polled). */
  async function leavesEveryList(change, what) {
    const urls = [FOR_YOU, `/api/v1/products/${garden[0].product.id}/similar?limit=12`, '/api/v1/recommendations/trending?limit=30'];
    for (const url of urls) await get(url);
    const shown = ids((await get(FOR_YOU)).body);
    const gone = garden.slice(1).find((g) => shown.includes(g.product.id));
    assert.ok(gone, `a garden product in ${shown}`);
    for (const url of urls) assert.equal((await fetchTold(url)).lookup, 'hit', `${url} was cached`);
    assert.ok(ids((await get(urls[2])).body).includes(gone.product.id));
    await change(gone);
    await eventually(async () => {
      const lists = await Promise.all(urls.map((u) => get(u)));
      return lists.every((r) => r.status === 200 && !ids(r.body).includes(gone.product.id));
    }, what, 10_000);
    // and it stays out: no answer computed in between was kept
    await new Promise((r) => setTimeout(r, 1500));
    for (const url of urls) assert.ok(!ids((await get(url)).body).includes(gone.product.id), `${url} still leaves it out`);
    garden.splice(garden.indexOf(gone), 1);
  }

  it('drops a cached list when a product in it sells out', async () => {
    await leavesEveryList(async (gone) => {
      must(await api(srv, 'PUT', `/api/v1/variants/${gone.variants[0].id}/stock/${wh.id}`, { key: true, body: { on_hand: 0, reason: 'count' } }), 200);
    }, 'the sold-out product leaves the cached lists');
  });

  it('drops a cached list when a product in it is archived', async () => {
    await leavesEveryList(async (gone) => {
      must(await api(srv, 'PATCH', `/api/v1/products/${gone.product.id}`, { key: true, body: { status: 'archived' } }), 200);
    }, 'the archived product leaves the cached lists');
  });

  it('drops cached lists when the active model changes', async () => {
    await get(FOR_YOU);
    const cached = await fetchTold(FOR_YOU);
    assert.equal(cached.lookup, 'hit');
    assert.equal(cached.r.body.model_version, model.version);
    const next = await train({ activate: true });
    assert.notEqual(next.version, model.version);
    await eventually(async () => (await get(FOR_YOU)).body.model_version === next.version, 'the new model answers', 10_000);
    await get(FOR_YOU);
    assert.equal((await fetchTold(FOR_YOU)).lookup, 'hit', 'the new answer is cached in turn');
    must(await admin('POST', '/api/v1/admin/recommendations/rollback'), 200);
    await eventually(async () => (await get(FOR_YOU)).body.model_version === model.version, 'the rollback answers', 10_000);
  });

  it('drops cached lists when the account behind an anonymous id is erased', async () => {
    // a browser's history trains a model while it is anonymous; then it signs in (linked) and the account is erased
    const anon = `visitor-erase-${randomBytes(4).toString('hex')}`;
    const url = `/api/v1/recommendations/for-you?anonymous_id=${anon}&limit=6`;
    const views = [];
    for (let j = 0; j < 10; j++) views.push({ id: eid(), type: 'product_view', anonymous_id: anon, product_id: kitchen[(j * 5) % kitchen.length].product.id });
    must(await api(srv, 'POST', '/api/v1/events', { body: { events: views } }), 202);
    const v = await train({ activate: true });
    await eventually(async () => {
      const r = await get(url);
      return r.status === 200 && r.body.model_version === v.version && r.body.strategy === 'als';
    }, 'the browser is known to the new model', 10_000);
    assert.equal((await fetchTold(url)).lookup, 'hit');
    const c = await customer(srv);
    must(await api(srv, 'POST', '/api/v1/events', { key: c.key, body: { events: [{ id: eid(), type: 'page_view', anonymous_id: anon }] } }), 202);
    assert.equal((await fetchTold(url)).lookup, 'hit', 'signing in changes no list');
    const d = await api(srv, 'DELETE', '/api/v1/users/me', { key: c.key, body: { password: c.password } });
    assert.equal(d.status, 204, d.text);
    // the anonymous id finds the history no more, and its kept list went with it
    const after = await fetchTold(url);
    assert.equal(after.lookup, 'miss');
    assert.equal(after.r.body.strategy, 'trending');
  });
});
