// Outgoing webhooks end to end (bench/webhooks.sh): BENCH_EVENTS stock changes (PUT
// /variants/{id}/stock/{warehouse}, BENCH_CONCURRENCY at a time) each become a stock.changed
// delivery to a node receiver on loopback that checks every signature. Prints the rate events
// were made at, the rate they were delivered at (first PUT to last delivery), the lag from a PUT's
// answer to its delivery (p50/p99), and, as the reference in the same run, the rate at which node
// itself POSTs the same signed bodies to the same receiver over new connections, two at a time
// (souk serve runs two job workers, and a delivery opens a new connection).
import http from 'node:http';
import { createHmac } from 'node:crypto';
import { client, fail, log, pct } from './lib/client.mjs';

const N = Number(process.env.BENCH_EVENTS || 2000);
const CONC = Number(process.env.BENCH_CONCURRENCY || 8);
const souk = client(process.env.BENCH_BASE, process.env.BENCH_ADMIN_KEY, CONC);

const got = new Map(); // on_hand -> ms of arrival
let secret = null, bad = 0, total = 0;
const verify = (h, body) => {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const want = createHmac('sha256', key).update(`${h['webhook-id']}.${h['webhook-timestamp']}.${body}`).digest('base64');
  return String(h['webhook-signature']).split(' ').some((s) => s === `v1,${want}`);
};
const rx = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    total++;
    if (!secret || !verify(req.headers, body)) bad++;
    else if (req.url === '/hook') got.set(JSON.parse(body).data.on_hand, performance.now());
    res.writeHead(204).end();
  });
});
await new Promise((r) => rx.listen(0, '127.0.0.1', r));
const port = rx.address().port;

const p = await souk.must(201, 'POST', '/api/v1/products', { admin: true, body: {
  title: 'Webhook bench', status: 'active', variants: [{ sku: `WHB-${Date.now()}`, prices: [{ amount: 100, currency: 'USD' }] }] } });
const wh = await souk.must(201, 'POST', '/api/v1/warehouses', { admin: true, body: { code: `whb${Date.now()}`, name: 'Bench' } });
const sub = await souk.must(201, 'POST', '/api/v1/admin/webhooks', { admin: true, body: {
  url: `http://127.0.0.1:${port}/hook`, event_types: ['stock.changed'] } });
secret = sub.secret;

const emitted = new Map();
let next = 1;
const t0 = performance.now();
await Promise.all(Array.from({ length: CONC }, async () => {
  while (next <= N) {
    const n = next++;
    await souk.must(200, 'PUT', `/api/v1/variants/${p.variants[0].id}/stock/${wh.id}`, { admin: true, body: { on_hand: n, reason: 'bench' } });
    emitted.set(n, performance.now());
  }
}));
const tEmit = performance.now();
const deadline = Date.now() + 300_000;
while (got.size < N && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
if (got.size < N) fail(2, `only ${got.size} of ${N} events delivered within 5 minutes`);
const tLast = Math.max(...got.values());
const lags = [...got].map(([n, t]) => t - emitted.get(n)).sort((a, b) => a - b);

// reference: node POSTs the same kind of signed body, new connection each, two at a time
const body = JSON.stringify({ type: 'stock.changed', timestamp: new Date().toISOString(), data: { on_hand: 0, variant_id: p.variants[0].id } });
let sent = 0;
const r0 = performance.now();
await Promise.all([0, 1].map(async () => {
  while (sent < N) {
    sent++;
    const ts = Math.floor(Date.now() / 1000), id = `ref_${sent}`;
    const sig = createHmac('sha256', Buffer.from(secret.slice(6), 'base64')).update(`${id}.${ts}.${body}`).digest('base64');
    await new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: '/ref', method: 'POST', agent: false,
        headers: { 'Content-Type': 'application/json', 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': `v1,${sig}` } },
      (res) => { res.resume(); res.on('end', resolve); });
      req.on('error', reject);
      req.end(body);
    });
  }
}));
const refRate = N / ((performance.now() - r0) / 1000);

const emitRate = N / ((tEmit - t0) / 1000);
const deliverRate = N / ((tLast - t0) / 1000);
console.log(`Outgoing webhooks: ${N} stock.changed events, PUTs ${CONC} at a time, one subscription`);
console.log(`  events made        ${emitRate.toFixed(0)} /s`);
console.log(`  souk delivered     ${deliverRate.toFixed(0)} /s  (first PUT to last delivery; each signed, SSRF-checked, logged)`);
console.log(`  lag PUT -> receiver p50 ${pct(lags, 50).toFixed(1)} ms  p99 ${pct(lags, 99).toFixed(1)} ms`);
console.log(`  node direct POSTs  ${refRate.toFixed(0)} /s  (reference: 2 at a time, new connection each)`);
console.log(`  ratio souk/node    ${(deliverRate / refRate).toFixed(2)}`);
const dup = total - N - N - bad;
console.log(`  requests ${total}, bad signatures ${bad}, duplicates ${dup < 0 ? 0 : dup}`);
souk.close();
rx.close();
if (bad) fail(2, `${bad} deliveries did not verify`);
