// The address book (docs/auth.md "Addresses"): saved, listed default first, edited, deleted;
// one default at a time (the first one saved is it); validated and bounded (20 an account);
// another account's address is a 404; in the GDPR export and gone after erasure.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { api, expectError } from './lib/client.js';
import { register } from './lib/auth_util.js';
import { must } from './lib/orders_util.js';

const HOME = { label: 'Home', name: 'Ada Lovelace', line1: '12 St James Square', city: 'London', postal_code: 'SW1Y 4JH', country: 'GB' };
const WORK = { label: 'Work', name: 'Ada Lovelace', line1: '1 Analytical Row', line2: 'Floor 2', city: 'Manchester', postal_code: 'M1 1AA', region: 'Greater Manchester', country: 'GB' };

describe('the address book', () => {
  let srv, ada, bob;
  const as = (who, method, path, body) => api(srv, method, path, { key: who.access, body });

  before(async () => {
    srv = await startServer({ env: { SOUK_RATE_LIMIT_IP: '0', SOUK_RATE_LIMIT_USER: '0' } });
    ada = await register(srv);
    bob = await register(srv);
  });
  after(async () => { await srv?.stop(); });

  it('saves addresses; the first is the default, a new default takes over', async () => {
    assert.deepEqual(must(await as(ada, 'GET', '/api/v1/users/me/addresses'), 200).data, []);
    const home = must(await as(ada, 'POST', '/api/v1/users/me/addresses', HOME), 201);
    assert.match(home.id, /^adr_/);
    assert.equal(home.default_shipping, true, 'the first address is the default');
    assert.equal(home.line2, '');
    const work = must(await as(ada, 'POST', '/api/v1/users/me/addresses', WORK), 201);
    assert.equal(work.default_shipping, false);
    assert.equal(work.region, 'Greater Manchester');
    let list = must(await as(ada, 'GET', '/api/v1/users/me/addresses'), 200).data;
    assert.deepEqual(list.map((a) => [a.label, a.default_shipping]), [['Home', true], ['Work', false]]);
    const moved = must(await as(ada, 'PATCH', `/api/v1/users/me/addresses/${work.id}`, { default_shipping: true }), 200);
    assert.equal(moved.default_shipping, true);
    assert.equal(moved.line1, WORK.line1, 'fields not given stay');
    list = must(await as(ada, 'GET', '/api/v1/users/me/addresses'), 200).data;
    assert.deepEqual(list.map((a) => [a.label, a.default_shipping]), [['Work', true], ['Home', false]]);
    const edited = must(await as(ada, 'PATCH', `/api/v1/users/me/addresses/${home.id}`, { line1: '13 St James Square', line2: null, label: null }), 200);
    assert.equal(edited.line1, '13 St James Square');
    assert.equal(edited.label, '');
    assert.equal(must(await as(ada, 'GET', `/api/v1/users/me/addresses/${home.id}`), 200).line1, '13 St James Square');
    const r = await as(ada, 'DELETE', `/api/v1/users/me/addresses/${work.id}`);
    assert.equal(r.status, 204, r.text);
    list = must(await as(ada, 'GET', '/api/v1/users/me/addresses'), 200).data;
    assert.deepEqual(list.map((a) => [a.id, a.default_shipping]), [[home.id, false]], 'deleting the default leaves none');
    expectError(await as(ada, 'DELETE', `/api/v1/users/me/addresses/${work.id}`), 404, 'NOT_FOUND');
  });

  it('validates every field', async () => {
    expectError(await as(ada, 'POST', '/api/v1/users/me/addresses', { ...HOME, country: 'gb' }), 422, 'VALIDATION_ERROR', 'country');
    expectError(await as(ada, 'POST', '/api/v1/users/me/addresses', { ...HOME, country: 'GBR' }), 422, 'VALIDATION_ERROR', 'country');
    expectError(await as(ada, 'POST', '/api/v1/users/me/addresses', { ...HOME, name: '   ' }), 422, 'VALIDATION_ERROR', 'name');
    expectError(await as(ada, 'POST', '/api/v1/users/me/addresses', { ...HOME, line1: undefined }), 422, 'VALIDATION_ERROR', 'line1');
    expectError(await as(ada, 'POST', '/api/v1/users/me/addresses', { ...HOME, label: 'x'.repeat(51) }), 422, 'VALIDATION_ERROR', 'label');
    expectError(await as(ada, 'POST', '/api/v1/users/me/addresses', { ...HOME, city: 'y'.repeat(201) }), 422, 'VALIDATION_ERROR', 'city');
    expectError(await as(ada, 'POST', '/api/v1/users/me/addresses', { ...HOME, planet: 'Mars' }), 422, 'VALIDATION_ERROR', 'planet');
    const one = must(await as(ada, 'GET', '/api/v1/users/me/addresses'), 200).data[0];
    expectError(await as(ada, 'PATCH', `/api/v1/users/me/addresses/${one.id}`, { name: '' }), 422, 'VALIDATION_ERROR', 'name');
    expectError(await as(ada, 'PATCH', `/api/v1/users/me/addresses/${one.id}`, { city: null }), 422, 'VALIDATION_ERROR', 'city');
    expectError(await as(ada, 'GET', '/api/v1/users/me/addresses/nonsense'), 404, 'NOT_FOUND');
    expectError(await api(srv, 'GET', '/api/v1/users/me/addresses'), 401, 'UNAUTHORIZED');
  });

  it("another account's address is not found", async () => {
    const mine = must(await as(ada, 'GET', '/api/v1/users/me/addresses'), 200).data[0];
    expectError(await as(bob, 'GET', `/api/v1/users/me/addresses/${mine.id}`), 404, 'NOT_FOUND');
    expectError(await as(bob, 'PATCH', `/api/v1/users/me/addresses/${mine.id}`, { default_shipping: true }), 404, 'NOT_FOUND');
    expectError(await as(bob, 'DELETE', `/api/v1/users/me/addresses/${mine.id}`), 404, 'NOT_FOUND');
    assert.deepEqual(must(await as(bob, 'GET', '/api/v1/users/me/addresses'), 200).data, []);
    assert.equal(must(await as(ada, 'GET', `/api/v1/users/me/addresses/${mine.id}`), 200).name, HOME.name);
  });

  it('keeps at most 20 an account', async () => {
    const have = must(await as(bob, 'GET', '/api/v1/users/me/addresses'), 200).data.length;
    for (let i = have; i < 20; i++) must(await as(bob, 'POST', '/api/v1/users/me/addresses', { ...HOME, label: `No ${i}` }), 201);
    expectError(await as(bob, 'POST', '/api/v1/users/me/addresses', HOME), 409, 'CONFLICT');
    const list = must(await as(bob, 'GET', '/api/v1/users/me/addresses'), 200).data;
    assert.equal(list.length, 20);
    assert.equal(list.filter((a) => a.default_shipping).length, 1);
  });

  it('is in the export and goes with the account', async () => {
    const ex = must(await as(ada, 'GET', '/api/v1/users/me/export'), 200);
    assert.deepEqual(ex.addresses.map((a) => a.line1), ['13 St James Square']);
    const r = await as(ada, 'DELETE', '/api/v1/users/me', { password: ada.password });
    assert.equal(r.status, 204, r.text);
    const ex2 = must(await api(srv, 'POST', `/api/v1/admin/customers/${bob.user.id}/export`, { key: true }), 200);
    assert.equal(ex2.addresses.length, 20);
    const gone = await api(srv, 'POST', `/api/v1/admin/customers/${bob.user.id}/erase`, { key: true, body: { email: bob.email } });
    assert.equal(gone.status, 204, gone.text);
    const { sqlite } = await import('./lib/auth_util.js');
    if (srv.dbPath) assert.equal(sqlite(srv.dbPath, `select count(*) from addresses`).trim(), '0');
  });
});
