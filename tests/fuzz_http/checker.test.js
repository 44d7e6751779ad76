// The HTTP fuzzer's answer checks on made-up answers (no souk server): each rule it claims to
// hold must catch a broken answer, and a good answer must pass. The OpenAPI document is served
// from src/app/openapi.json by a small node server, as souk serves it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { getSpec } from '../api/lib/client.js';
import { Fuzzer } from './fuzzer.js';

const docText = readFileSync(new URL('../../src/app/openapi.json', import.meta.url));
let server;
let fz;

before(async () => {
  server = http.createServer((req, res) => { res.setHeader('content-type', 'application/json'); res.end(docText); });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const srv = { url: `http://127.0.0.1:${server.address().port}`, adminKey: 'sk_x' };
  fz = new Fuzzer({ srv, spec: await getSpec(srv), seed: 1 });
});
after(() => server.close());

const rid = 'fz1';
const errorBody = (code, status) => Buffer.from(JSON.stringify({ error: { code, message: 'm', details: [], request_id: rid, timestamp: '2026-12-02T10:00:00.000000Z' } }));
const answer = (status, body, headers = {}) => ({
  status, body: Buffer.isBuffer(body) ? body : Buffer.from(body),
  headers: { 'x-request-id': rid, 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
});
/* the kinds of failure the check of ANSWER to METHOD PATH records */
function kinds(method, path, res) {
  const before = fz.failures.length;
  fz.failureKeys.clear();
  const tpl = fz.spec.match(path.split('?')[0]);
  const op = fz.ops.find((o) => o.tpl === tpl && o.method === method);
  fz.checkAnswer({ method, path, headers: {} }, res, op);
  return fz.failures.splice(before).map((f) => f.kind);
}

test('good answers pass', () => {
  assert.deepEqual(kinds('GET', '/api/v1/categories', answer(200, JSON.stringify({ data: [] }))), []);
  assert.deepEqual(kinds('GET', '/api/v1/search?q=x', answer(503, errorBody('UNAVAILABLE'))), [], 'a 503 the operation documents');
  assert.deepEqual(kinds('GET', '/api/v1/categories', answer(422, errorBody('VALIDATION_ERROR'))), []);
  assert.deepEqual(kinds('GET', '/api/v1/nothing-here', answer(404, errorBody('NOT_FOUND'))), []);
  assert.deepEqual(kinds('GET', '/api/v1/categories', answer(304, '')), []);
});

test('a 500, and a 503 the operation does not document, fail', () => {
  assert.ok(kinds('GET', '/api/v1/categories', answer(500, errorBody('INTERNAL'))).includes('5xx'));
  assert.ok(kinds('GET', '/api/v1/categories', answer(503, errorBody('UNAVAILABLE'))).includes('5xx'));
  assert.ok(kinds('GET', '/api/v1/search', answer(503, 'busy', { 'content-type': 'text/plain' })).includes('error-body'), 'a documented 503 without the standard body');
});

test('an undocumented status, a body off its schema, a bad error body fail', () => {
  assert.ok(kinds('GET', '/api/v1/categories', answer(418, errorBody('BAD_REQUEST'))).includes('status'));
  assert.ok(kinds('GET', '/api/v1/categories', answer(200, JSON.stringify({ data: [{ id: 3 }] }))).includes('schema'));
  assert.ok(kinds('GET', '/api/v1/categories', answer(200, '{"data":')).includes('json'));
  assert.ok(kinds('GET', '/api/v1/categories', answer(404, 'Not Found', { 'content-type': 'text/plain' })).includes('error-body'));
  assert.ok(kinds('GET', '/api/v1/categories', answer(404, errorBody('NOT_FOUND'), { 'x-request-id': 'other' })).includes('error-body'));
  assert.ok(kinds('GET', '/api/v1/categories', answer(422, errorBody('VALIDATION_ERROR'), { 'cache-control': 'max-age=60' })).includes('error-body'));
  assert.ok(kinds('GET', '/api/v1/categories', answer(304, 'x')).includes('empty-body'));
  assert.ok(kinds('GET', '/api/v1/nothing-here', answer(200, '{}')).includes('status'), 'an unknown /api/ path must be 404');
  assert.ok(kinds('DELETE', '/api/v1/categories', answer(405, errorBody('METHOD_NOT_ALLOWED'))).includes('allow'), '405 without Allow');
});
