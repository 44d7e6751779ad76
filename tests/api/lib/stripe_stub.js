// A loopback HTTP server imitating the parts of the Stripe API that souk's
// Stripe-style adapter calls (src/payments/stripe.c):
//
//   POST /v1/payment_intents               amount, currency, metadata[reference]
//   POST /v1/payment_intents/{id}/confirm  payment_method
//   POST /v1/refunds                       payment_intent, amount
//   POST /v1/customers                     payment_method (attached to the new customer)
//   POST /v1/payment_intents/{id}          customer, setup_future_usage (an update)
//
// An intent given a customer confirms only with that customer's payment
// method, and an off_session=true confirmation needs one (else 400, as Stripe
// refuses them); off_session is recorded on the intent (.off_session).
//
// Form-encoded bodies, `Authorization: Bearer <secret key>` (else 401), and
// the `Idempotency-Key` header honoured as Stripe does: a key seen before
// answers the first response again (same status and body) without doing
// anything; the same key with other parameters answers 400 idempotency_error.
//
//   const stub = await startStripeStub({ secretKey: 'sk_test_x' });
//   stub.url                  'http://127.0.0.1:PORT'
//   stub.requests             [{method, path, headers, form, status, replayed}]
//   stub.intents              Map id -> intent (the current state)
//   stub.created              intents created (replays not counted), in order
//   stub.refunds              refunds made (replays not counted)
//   stub.customers            Map id -> {id, payment_method}
//   stub.intentsFor(ref)      intents whose metadata[reference] is REF
//   stub.fault(op, mode)      the next OP ('create'|'confirm'|'refund') request fails:
//                               'drop-before' — the connection is closed before anything is done
//                               'drop-after'  — done (and kept for its key), then the connection is closed
//                               '500'         — an HTTP 500 api_error answer, nothing done, nothing kept
//   stub.alter(op, changes)   the next OP ('create'|'confirm') request changes its intent by CHANGES
//                             ({amount: 1}, {currency: 'eur'}) before the work is done, as if the intent had
//                             been updated at the provider: what confirm charges, and every answer, show them
//   await stub.down()         closes the listening socket and every connection (souk gets "connection refused")
//   await stub.up()           listens again on the same port
//   await stub.stop()
//
// Intents carry amount_received as Stripe's do: 0 until they succeed, then the amount charged.
//
// Confirm outcomes by payment method (as Stripe's test payment methods):
//   pm_card_visa                              succeeded
//   pm_card_chargeDeclined                    402 card_error, decline_code generic_decline
//   pm_card_chargeDeclinedInsufficientFunds   402 card_error, decline_code insufficient_funds
//   pm_card_processing  (stub only)           processing (the webhook decides)
//   anything else                             400 invalid_request_error resource_missing
import http from 'node:http';
import crypto from 'node:crypto';

const rand = (n = 12) => crypto.randomBytes(n).toString('hex').slice(0, n * 2);

export async function startStripeStub({ secretKey = 'sk_test_x' } = {}) {
  const stub = {
    port: null, url: null,
    requests: [], intents: new Map(), created: [], refunds: [], customers: new Map(),
    keys: new Map(), // Idempotency-Key -> {fingerprint, status, body}
    faults: [],
    alterations: [],
    sockets: new Set(),
  };

  stub.intentsFor = (ref) => stub.created.filter((pi) => pi.metadata.reference === ref);
  stub.fault = (op, mode) => { stub.faults.push({ op, mode }); };
  stub.alter = (op, changes) => { stub.alterations.push({ op, changes }); };
  function takeAlteration(op) {
    const i = stub.alterations.findIndex((a) => a.op === op);
    return i < 0 ? null : stub.alterations.splice(i, 1)[0].changes;
  }
  stub.requestsTo = (re) => stub.requests.filter((r) => re.test(r.path));

  function takeFault(op) {
    const i = stub.faults.findIndex((f) => f.op === op);
    return i < 0 ? null : stub.faults.splice(i, 1)[0].mode;
  }

  const publicIntent = (pi) => JSON.parse(JSON.stringify(pi));

  /** Does the work of one request: {status, body}. */
  function perform(op, form, intentId) {
    if (op === 'create') {
      const amount = Number(form.get('amount'));
      const currency = form.get('currency');
      if (!Number.isInteger(amount) || amount < 1 || !/^[a-z]{3}$/.test(currency || '')) {
        return { status: 400, body: { error: { type: 'invalid_request_error', code: 'parameter_invalid', message: 'bad amount or currency' } } };
      }
      const id = `pi_${rand(12)}`;
      const pi = {
        id, object: 'payment_intent', amount, amount_received: 0, currency, status: 'requires_payment_method',
        client_secret: `${id}_secret_${rand(12)}`, metadata: { reference: form.get('metadata[reference]') },
        last_payment_error: null, payment_method: null,
        ...takeAlteration('create'),
      };
      stub.intents.set(id, pi);
      stub.created.push(pi);
      return { status: 200, body: publicIntent(pi) };
    }
    if (op === 'customer') {
      const id = `cus_${rand(12)}`;
      const c = { id, object: 'customer', payment_method: form.get('payment_method') };
      stub.customers.set(id, c);
      return { status: 200, body: c };
    }
    if (op === 'update') {
      const pi = stub.intents.get(intentId);
      if (!pi) return { status: 404, body: { error: { type: 'invalid_request_error', code: 'resource_missing', message: `No such payment_intent: '${intentId}'` } } };
      if (form.has('customer')) {
        if (!stub.customers.has(form.get('customer'))) return { status: 400, body: { error: { type: 'invalid_request_error', code: 'resource_missing', message: 'No such customer' } } };
        pi.customer = form.get('customer');
      }
      if (form.has('setup_future_usage')) pi.setup_future_usage = form.get('setup_future_usage');
      return { status: 200, body: publicIntent(pi) };
    }
    if (op === 'confirm') {
      const pi = stub.intents.get(intentId);
      if (!pi) return { status: 404, body: { error: { type: 'invalid_request_error', code: 'resource_missing', message: `No such payment_intent: '${intentId}'` } } };
      if (pi.status === 'succeeded' || pi.status === 'canceled') {
        return { status: 400, body: { error: { type: 'invalid_request_error', code: 'payment_intent_unexpected_state', message: `already ${pi.status}`, payment_intent: publicIntent(pi) } } };
      }
      Object.assign(pi, takeAlteration('confirm'));
      const pm = form.get('payment_method');
      const attached = pi.customer && stub.customers.get(pi.customer)?.payment_method === pm;
      if ((pi.customer || form.get('off_session') === 'true') && !attached) {
        return { status: 400, body: { error: { type: 'invalid_request_error', code: 'payment_method_customer_mismatch', message: 'The PaymentMethod is attached to another customer than the intent.' } } };
      }
      if (form.get('off_session') === 'true') pi.off_session = true;
      pi.payment_method = pm;
      const decline = { pm_card_chargeDeclined: 'generic_decline', pm_card_chargeDeclinedInsufficientFunds: 'insufficient_funds' }[pm];
      if (pm === 'pm_card_visa') {
        pi.status = 'succeeded';
        pi.amount_received = pi.amount;
        pi.last_payment_error = null;
        return { status: 200, body: publicIntent(pi) };
      }
      if (pm === 'pm_card_processing') {
        pi.status = 'processing';
        return { status: 200, body: publicIntent(pi) };
      }
      if (decline) {
        pi.status = 'requires_payment_method';
        pi.last_payment_error = { type: 'card_error', code: 'card_declined', decline_code: decline, message: 'Your card was declined.' };
        return { status: 402, body: { error: { type: 'card_error', code: 'card_declined', decline_code: decline, message: 'Your card was declined.', payment_intent: publicIntent(pi) } } };
      }
      return { status: 400, body: { error: { type: 'invalid_request_error', code: 'resource_missing', message: `No such PaymentMethod: '${pm}'` } } };
    }
    // refund
    const pi = stub.intents.get(form.get('payment_intent'));
    const amount = form.has('amount') ? Number(form.get('amount')) : pi?.amount;
    if (!pi) return { status: 404, body: { error: { type: 'invalid_request_error', code: 'resource_missing', message: 'No such payment_intent' } } };
    if (pi.status !== 'succeeded') return { status: 400, body: { error: { type: 'invalid_request_error', code: 'charge_not_captured', message: 'nothing to refund' } } };
    const done = stub.refunds.filter((r) => r.payment_intent === pi.id).reduce((a, r) => a + r.amount, 0);
    if (!Number.isInteger(amount) || amount < 1 || done + amount > pi.amount) {
      return { status: 400, body: { error: { type: 'invalid_request_error', code: 'amount_too_large', message: 'refund exceeds the charge' } } };
    }
    const re = { id: `re_${rand(12)}`, object: 'refund', amount, currency: pi.currency, payment_intent: pi.id, status: 'succeeded' };
    stub.refunds.push(re);
    return { status: 200, body: re };
  }

  function route(method, path) {
    if (method !== 'POST') return null;
    if (path === '/v1/payment_intents') return { op: 'create' };
    let m = /^\/v1\/payment_intents\/([^/]+)\/confirm$/.exec(path);
    if (m) return { op: 'confirm', intentId: decodeURIComponent(m[1]) };
    if (path === '/v1/refunds') return { op: 'refund' };
    if (path === '/v1/customers') return { op: 'customer' };
    m = /^\/v1\/payment_intents\/([^/]+)$/.exec(path);
    if (m) return { op: 'update', intentId: decodeURIComponent(m[1]) };
    return null;
  }

  function send(res, status, body, extra = {}) {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Request-Id': `req_${rand(7)}`, ...extra });
    res.end(text);
  }

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (d) => chunks.push(d));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url, 'http://stub');
      const form = new URLSearchParams(raw);
      const rec = {
        method: req.method, path: url.pathname, headers: req.headers, raw,
        form: Object.fromEntries(form), status: null, replayed: false,
      };
      stub.requests.push(rec);
      const answer = (status, body, extra) => { rec.status = status; send(res, status, body, extra); };

      if (req.headers.authorization !== `Bearer ${secretKey}`) {
        return answer(401, { error: { type: 'invalid_request_error', message: 'Invalid API Key provided' } });
      }
      const r = route(req.method, url.pathname);
      if (!r) return answer(404, { error: { type: 'invalid_request_error', message: `Unrecognized request URL (${req.method}: ${url.pathname})` } });

      const key = req.headers['idempotency-key'];
      const fingerprint = `${req.method} ${url.pathname} ${raw}`;
      if (key !== undefined && stub.keys.has(key)) {
        const prev = stub.keys.get(key);
        rec.replayed = true;
        if (prev.fingerprint !== fingerprint) {
          return answer(400, { error: { type: 'idempotency_error', message: 'Keys for idempotent requests can only be used with the same parameters they were first used with.' } });
        }
        return answer(prev.status, prev.body, { 'Idempotent-Replayed': 'true' });
      }

      const fault = takeFault(r.op);
      if (fault === 'drop-before') { rec.status = 'dropped'; req.socket.destroy(); return undefined; }
      if (fault === '500') return answer(500, { error: { type: 'api_error', message: 'An unknown error occurred' } });
      const out = perform(r.op, form, r.intentId);
      if (key !== undefined) stub.keys.set(key, { fingerprint, status: out.status, body: out.body });
      if (fault === 'drop-after') { rec.status = 'dropped'; req.socket.destroy(); return undefined; }
      return answer(out.status, out.body);
    });
  });
  server.on('connection', (s) => {
    stub.sockets.add(s);
    s.on('close', () => stub.sockets.delete(s));
  });

  const listen = (port) => new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  await listen(0);
  stub.port = server.address().port;
  stub.url = `http://127.0.0.1:${stub.port}`;

  stub.down = async () => {
    const closed = new Promise((resolve) => server.close(() => resolve()));
    for (const s of stub.sockets) s.destroy();
    await closed;
  };
  stub.up = async () => {
    // the port was ours a moment ago; retry briefly should the kernel hold it
    for (let i = 0; ; i++) {
      try {
        await listen(stub.port);
        return;
      } catch (e) {
        if (i >= 20 || e.code !== 'EADDRINUSE') throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  stub.stop = async () => {
    if (server.listening) await stub.down();
  };
  return stub;
}

/** A Stripe-Signature header for RAW (the exact body bytes) at unix time T with SECRET. */
export function signature(raw, secret, t = Math.floor(Date.now() / 1000)) {
  const v1 = crypto.createHmac('sha256', secret).update(`${t}.${raw}`).digest('hex');
  return `t=${t},v1=${v1}`;
}
