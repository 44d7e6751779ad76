// Recommendations over HTTP (docs/recommendations.md): behaviour events in,
// a model trained as a job, lists out — for-you learns a planted structure,
// similar keeps to it, bought-together comes from paid orders, nothing out
// of stock is served, activation and rollback swap what is served, and an
// A/B test attributes impressions and clicks to the right model version.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startServer } from './lib/server.js';
import { api, expectError } from './lib/client.js';
import { ADDRESS, must, warehouse, product, customerWithCart, checkout, eventually } from './lib/orders_util.js';

const ADMIN = { key: true };
const eid = () => `e-${randomBytes(6).toString('hex')}`;
const CARD = '4242424242424242';

describe('recommendations over HTTP', () => {
  let srv, wh;
  const groupA = [], groupB = [];
  const get = (path, opts = {}) => api(srv, 'GET', path, opts);
  const admin = (method, path, body) => api(srv, method, path, { ...ADMIN, body });

  async function events(list) {
    for (let i = 0; i < list.length; i += 400) must(await api(srv, 'POST', '/api/v1/events', { body: { events: list.slice(i, i + 400) } }), 202);
  }
  /** Trains with PARAMS and waits until the new version is ready; returns it. */
  async function train(params) {
    const before = must(await admin('GET', '/api/v1/admin/recommendations/models'), 200).data.length;
    must(await admin('POST', '/api/v1/admin/recommendations/models', { params: { factors: 4, iterations: 8, test_days: 1, ...params } }), 202);
    let v;
    await eventually(async () => {
      const list = must(await admin('GET', '/api/v1/admin/recommendations/models'), 200).data;
      v = list.length > before && list[0].status !== 'training' ? list[0] : null;
      return v !== null;
    }, 'the training job finishes', 20_000);
    assert.equal(v.status, 'ready', JSON.stringify(v));
    return v;
  }
  /** Polls the for-you list of VISITOR until FN(body) holds. */
  async function forYouUntil(visitor, fn, what) {
    let body;
    await eventually(async () => {
      const r = await get(`/api/v1/recommendations/for-you?anonymous_id=${visitor}&limit=6`);
      if (r.status !== 200) return false;
      body = r.body;
      return fn(body);
    }, what, 10_000);
    return body;
  }

  before(async () => {
    srv = await startServer({ env: { SOUK_RATE_LIMIT_IP: '0' } });
    wh = await warehouse(srv);
    for (let i = 0; i < 12; i++) groupA.push((await product(srv, { title: `Garden hose ${i}`, variants: [{ price: 1000 + i, stock: 40 }], wh })));
    for (let i = 0; i < 12; i++) groupB.push((await product(srv, { title: `Kitchen knife ${i}`, variants: [{ price: 2000 + i, stock: 40 }], wh })));
    // planted structure: even visitors look at the garden, odd ones at the kitchen
    const list = [];
    for (let v = 0; v < 80; v++) {
      const group = v % 2 === 0 ? groupA : groupB;
      for (let j = 0; j < 10; j++) {
        const p = group[(v * 7 + j * 5) % group.length].product;
        list.push({ id: eid(), type: 'product_view', anonymous_id: `visitor-${String(v).padStart(4, '0')}`, product_id: p.id });
      }
    }
    await events(list);
  });
  after(async () => srv && srv.stop());

  it('answers trending before any model, and refuses bad parameters', async () => {
    let r;
    // the snapshot is rebuilt within a second or two of the catalog's changes
    await eventually(async () => (r = await get('/api/v1/recommendations/trending?limit=5')).status === 200 && r.body.data.length === 5,
      'a snapshot with the products', 10_000);
    assert.equal(r.body.strategy, 'trending');
    assert.equal(r.body.model_version, null);
    assert.equal(r.body.data.length, 5);
    assert.match(r.headers.get('cache-control'), /max-age=3600/);
    expectError(await get('/api/v1/recommendations/trending?limit=0'), 422, 'VALIDATION_ERROR', 'limit');
    expectError(await get('/api/v1/recommendations/trending?limit=51'), 422, 'VALIDATION_ERROR', 'limit');
    expectError(await get('/api/v1/recommendations/trending?category=no-such-category'), 422, 'VALIDATION_ERROR', 'category');
    expectError(await get('/api/v1/recommendations/trending?bogus=1'), 422, 'VALIDATION_ERROR', 'bogus');
    expectError(await get('/api/v1/products/prod_0000000000000/similar'), 404, 'NOT_FOUND');
    expectError(await get('/api/v1/products/not-an-id/bought-together'), 404, 'NOT_FOUND');
    const fy = must(await get('/api/v1/recommendations/for-you?anonymous_id=visitor-0000'), 200);
    assert.equal(fy.strategy, 'trending', 'no model yet: trending');
  });

  it('trains as a job, activates the first model, and for-you learns the planted groups', async () => {
    expectError(await admin('POST', '/api/v1/admin/recommendations/models', { params: { factors: 0 } }), 422, 'VALIDATION_ERROR', 'params');
    const v = await train({});
    assert.equal(v.active, true, 'the first model is activated');
    assert.ok(v.interactions >= 700, `interactions ${v.interactions}`);
    const detail = must(await admin('GET', `/api/v1/admin/recommendations/models/${v.version}`), 200);
    assert.ok(detail.metrics, 'metrics (or the note why none) are recorded');
    const aIds = new Set(groupA.map((x) => x.product.id)), bIds = new Set(groupB.map((x) => x.product.id));
    const even = await forYouUntil('visitor-0000', (b) => b.model_version === v.version, 'the model is served');
    assert.equal(even.strategy, 'als');
    assert.ok(even.data.filter((p) => aIds.has(p.id)).length >= 5, `garden visitor: ${even.data.map((p) => p.title)}`);
    const odd = must(await get('/api/v1/recommendations/for-you?anonymous_id=visitor-0001&limit=6'), 200);
    assert.ok(odd.data.filter((p) => bIds.has(p.id)).length >= 5, `kitchen visitor: ${odd.data.map((p) => p.title)}`);
    // similar: a garden product's neighbours are garden products
    const sim = must(await get(`/api/v1/products/${groupA[0].product.id}/similar?limit=5`), 200);
    assert.equal(sim.model_version, v.version);
    assert.ok(!sim.data.some((p) => p.id === groupA[0].product.id), 'never the product itself');
    assert.ok(sim.data.filter((p) => aIds.has(p.id)).length >= 4, `similar: ${sim.data.map((p) => p.title + ' ' + p.score)}`);
  });

  it('never serves a product that is out of stock', async () => {
    const gone = groupA[1];
    must(await api(srv, 'PUT', `/api/v1/variants/${gone.variants[0].id}/stock/${wh.id}`, { key: true, body: { on_hand: 0, reason: 'count' } }), 200);
    await eventually(async () => {
      const lists = await Promise.all([
        get('/api/v1/recommendations/for-you?anonymous_id=visitor-0000&limit=12'),
        get(`/api/v1/products/${groupA[0].product.id}/similar?limit=12`),
        get('/api/v1/recommendations/trending?limit=50'),
      ]);
      return lists.every((r) => r.status === 200 && !r.body.data.some((p) => p.id === gone.product.id));
    }, 'the sold-out product leaves every list', 10_000);
  });

  it('learns bought-together from paid orders', async () => {
    const [x, y] = [groupB[2], groupB[3]];
    let buyer;
    for (let i = 0; i < 3; i++) {
      buyer = await customerWithCart(srv, [[x.variants[0].id, 1], [y.variants[0].id, 1]]);
      must(await checkout(srv, buyer.who, { body: { shipping_address: ADDRESS, payment_method: CARD } }), 201);
    }
    const v = await train({ activate: true }); // a new snapshot reads the purchases
    let bt;
    await eventually(async () => {
      bt = await get(`/api/v1/products/${x.product.id}/bought-together?limit=5`);
      return bt.status === 200 && bt.body.data.some((p) => p.id === y.product.id);
    }, 'the pair is bought together', 10_000);
    assert.equal(bt.body.strategy, 'bought_together');
    assert.ok(v.version >= 2);
    // what a customer bought is not offered to them again, whatever the list is made of
    const mine = must(await get('/api/v1/recommendations/for-you?limit=50', { key: buyer.key }), 200);
    assert.ok(mine.data.length > 0);
    assert.ok(!mine.data.some((p) => p.id === x.product.id || p.id === y.product.id), 'bought products are left out');
    assert.match(mine.strategy, /^(als|trending)$/);
  });

  it('rolls back, runs an A/B test and attributes clicks to the version that made the list', async () => {
    const models = must(await admin('GET', '/api/v1/admin/recommendations/models'), 200);
    const [newest, older] = [models.data[0].version, models.data[1].version];
    assert.equal(models.active_version, newest);
    const rb = must(await admin('POST', '/api/v1/admin/recommendations/rollback'), 200);
    assert.equal(rb.version, older);
    assert.equal(rb.active, true);
    expectError(await admin('POST', '/api/v1/admin/recommendations/models/999/activate'), 404, 'NOT_FOUND');
    must(await admin('POST', `/api/v1/admin/recommendations/models/${newest}/activate`), 200);

    const t = must(await admin('POST', '/api/v1/admin/recommendations/ab-tests', { name: 'new vs old', version_a: older, version_b: newest, percent_b: 50 }), 201);
    expectError(await admin('POST', '/api/v1/admin/recommendations/ab-tests', { name: 'again', version_a: older, version_b: newest }), 409, 'CONFLICT');
    // shoppers are split by a stable hash: each keeps their version. The test
    // reaches the serving snapshot a moment after it is created, so a round
    // may straddle that swap: wait for two rounds in a row that agree.
    let seen = new Map();
    await eventually(async () => {
      const round = new Map();
      for (let v = 0; v < 40; v += 2) {
        const id = `visitor-${String(v).padStart(4, '0')}`;
        const b = must(await get(`/api/v1/recommendations/for-you?anonymous_id=${id}&limit=3`), 200);
        round.set(id, b.model_version);
      }
      const steady = round.size === seen.size && [...round].every(([id, version]) => seen.get(id) === version);
      seen = round;
      return steady && new Set(round.values()).size === 2;
    }, 'both versions are served during the test', 10_000);
    for (const [id, version] of seen) {
      const again = must(await get(`/api/v1/recommendations/for-you?anonymous_id=${id}&limit=3`), 200);
      assert.equal(again.model_version, version, `${id} keeps its side`);
    }
    // impressions and clicks with the version each list carried
    const list = [];
    let clicksA = 0, clicksB = 0;
    for (const [id, version] of seen) {
      const p = groupA[0].product.id;
      list.push({ id: eid(), type: 'rec_impression', anonymous_id: id, product_id: p, list: 'for-you', model_version: version, position: 1 });
      list.push({ id: eid(), type: 'rec_impression', anonymous_id: id, product_id: p, list: 'for-you', model_version: version, position: 2 });
      list.push({ id: eid(), type: 'rec_click', anonymous_id: id, product_id: p, list: 'for-you', model_version: version, position: 1 });
      if (version === older) clicksA++; else clicksB++;
    }
    await events(list);
    const res = must(await admin('GET', `/api/v1/admin/recommendations/ab-tests/${t.id}`), 200).results;
    assert.equal(res.a.version, older);
    assert.equal(res.a.clicks, clicksA);
    assert.equal(res.b.clicks, clicksB);
    assert.equal(res.a.impressions, 2 * clicksA);
    assert.equal(res.b.ctr, 0.5);
    assert.ok(res.ctr_difference && typeof res.ctr_difference.p_value === 'number');
    const stopped = must(await admin('POST', `/api/v1/admin/recommendations/ab-tests/${t.id}/stop`), 200);
    assert.equal(stopped.status, 'stopped');
    expectError(await admin('POST', `/api/v1/admin/recommendations/ab-tests/${t.id}/stop`), 409, 'CONFLICT');
  });
});
