// CLI tests: help, migrate, demo determinism, import (synthetic and real data).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { souk } from './lib/souk.js';

const here = dirname(fileURLToPath(import.meta.url));
const RETAIL = resolve(here, '../../../shared/data/online-retail/online_retail.csv.gz');

function sql(db, query) {
  const r = spawnSync('sqlite3', ['-readonly', db, query], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

let dir;
before(() => { dir = mkdtempSync(join(tmpdir(), 'souk-cli-')); });
after(() => rmSync(dir, { recursive: true, force: true }));

describe('help and usage', () => {
  it('souk --help lists every command; each has --help', () => {
    const r = souk(['--help']);
    assert.equal(r.code, 0);
    for (const cmd of ['serve', 'migrate', 'demo', 'import', 'user', 'keys', 'routes']) {
      assert.match(r.out, new RegExp(`^  ${cmd} `, 'm'));
      const h = souk([cmd, '--help']);
      assert.equal(h.code, 0, cmd);
      assert.match(h.out, new RegExp(`^usage: souk ${cmd}`), cmd);
    }
  });
  it('unknown commands and bad flags exit 2 with a message', () => {
    let r = souk(['frobnicate']);
    assert.equal(r.code, 2);
    assert.match(r.err, /unknown command 'frobnicate'/);
    r = souk(['serve', '--threads', '0', '--db', join(dir, 'x.db')]);
    assert.equal(r.code, 2);
    assert.match(r.err, /threads must be/);
    r = souk(['serve', '--listen', 'nonsense']);
    assert.equal(r.code, 2);
    r = souk(['demo', '--products', '-5']);
    assert.equal(r.code, 2);
    r = souk(['migrate', '--db', join(dir, 'm.db')], { env: { ...process.env, SOUK_CURRENCY: 'XYZ' } });
    assert.equal(r.code, 2);
    assert.match(r.err, /SOUK_CURRENCY/);
  });
});

describe('migrate', () => {
  it('creates the schema once and is a no-op afterwards', () => {
    const db = join(dir, 'migrate.db');
    let r = souk(['migrate', '--db', db]);
    assert.equal(r.code, 0, r.err);
    const files = readdirSync(resolve(here, '../../src/store/migrations/sqlite')).filter((f) => f.endsWith('.sql'));
    // the version is the highest migration's number (each context has its own range, so numbers have gaps)
    const highest = Math.max(...files.map((f) => Number.parseInt(f, 10)));
    assert.match(r.out, new RegExp(`schema version ${highest}\\b`));
    assert.equal((r.err.match(/"migration applied"/g) || []).length, files.length);
    r = souk(['migrate', '--db', db]);
    assert.equal(r.code, 0);
    assert.doesNotMatch(r.err, /migration applied/);
    assert.equal(sql(db, 'select count(*) from schema_migrations'), String(files.length));
  });
});

describe('demo', () => {
  it('is deterministic for a seed and different for another seed', () => {
    const dump = (db) => sql(db, `select p.slug, p.title, p.status, group_concat(v.sku || ':' || vp.currency || ':' || vp.amount, ',')
      from products p join variants v on v.product_id = p.id join variant_prices vp on vp.variant_id = v.id
      group by p.id order by p.slug`);
    const a = join(dir, 'demo-a.db'), b = join(dir, 'demo-b.db'), c = join(dir, 'demo-c.db');
    const outs = new Map();
    const r0 = (db) => outs.get(db);
    for (const [db, seed] of [[a, '3'], [b, '3'], [c, '4']]) {
      const r = souk(['demo', '--db', db, '--products', '120', '--seed', seed]);
      outs.set(db, r.out);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^admin api key: sk_[A-Za-z0-9_-]{43}$/m);
      assert.match(r.out, /demo store: 120 products/);
    }
    assert.equal(sql(a, 'select count(*) from products'), '120');
    // a store one can buy from: stock for every active variant (every tenth sold out), a shipping method
    assert.equal(sql(a, "select code from warehouses"), 'main');
    assert.equal(sql(a, "select count(*) from variants v where v.status = 'active' and not exists "
      + '(select 1 from stock_levels l where l.variant_id = v.id)'), '0');
    assert.equal(sql(a, 'select count(*) from stock_levels where on_hand not in (0, 100)'), '0');
    assert.ok(Number(sql(a, 'select count(*) from stock_levels where on_hand = 0')) > 0, 'some things are sold out');
    assert.equal(sql(a, 'select count(*) from variant_availability va join stock_levels l using (variant_id) '
      + 'where va.available <> l.on_hand'), '0');
    assert.equal(sql(a, "select code || ' ' || currency || ' ' || amount || ' ' || free_above from shipping_methods"), 'standard USD 499 5000');
    assert.match(r0(a), /demo stock: 100 of each variant/);
    assert.equal(dump(a), dump(b));
    assert.notEqual(dump(a), dump(c));
    // the key is stored hashed, never in clear text
    const key = souk(['demo', '--db', join(dir, 'demo-d.db'), '--products', '0']).out.match(/sk_[A-Za-z0-9_-]{43}/)[0];
    assert.ok(!readFileSync(join(dir, 'demo-d.db')).includes(key));
  });
  it('refuses a database that already has a catalog', () => {
    const db = join(dir, 'demo-twice.db');
    assert.equal(souk(['demo', '--db', db, '--products', '5']).code, 0);
    const r = souk(['demo', '--db', db, '--products', '5']);
    assert.equal(r.code, 1);
    assert.match(r.err, /already has a catalog/);
    assert.equal(sql(db, 'select count(*) from products'), '5');
  });
  it('--history DAYS adds past orders, their customers and the browsing behind them, the same for one seed', () => {
    const day = 86400e6;
    const today = Math.floor(Date.now() * 1000 / day) * day;
    const summary = [];
    for (const name of ['hist-a.db', 'hist-b.db']) {
      const db = join(dir, name);
      const r = souk(['demo', '--db', db, '--products', '60', '--seed', '4', '--history', '30']);
      assert.equal(r.code, 0, r.err);
      const m = r.out.match(/orders: (\d+) customers \((\d+) new\), (\d+) orders created with (\d+) lines/);
      assert.ok(m, r.out);
      const [customers, orders, lines] = [+m[1], +m[3], +m[4]];
      assert.ok(orders >= 30 * 3 && orders <= 30 * 15, `${orders} orders in 30 days`);
      assert.ok(customers < orders, 'some customers came back');
      assert.ok(lines >= orders && lines <= 3 * orders);
      assert.equal(sql(db, 'select count(*) from orders'), String(orders));
      assert.equal(sql(db, "select count(*) from orders where state = 'delivered'"), String(orders));
      assert.equal(sql(db, "select count(*) from users where email like 'demo-%@customers.example'"), String(customers));
      // every order lies in the 30 days before today, and their lines are the demo's active products
      const [lo, hi] = sql(db, 'select min(created_at), max(created_at) from orders').split('|').map(Number);
      assert.ok(lo >= today - 30 * day && hi < today, `orders between ${lo} and ${hi}`);
      assert.equal(sql(db, "select count(*) from order_lines l join products p on p.id = l.product_id where p.status != 'active'"), '0');
      // the browsing: buyers' views before their orders, and visitors who did not buy
      const views = +sql(db, 'select count(*) from behaviour_events where type = 2');
      const anon = +sql(db, 'select count(*) from behaviour_events where type = 2 and user_id is null');
      assert.ok(anon > 0 && views > anon, `${views} views, ${anon} anonymous`);
      summary.push([customers, orders, lines, views]);
    }
    assert.deepEqual(summary[0], summary[1], 'one seed, one history');
    for (const bad of ['-1', '731', 'x']) assert.equal(souk(['demo', '--db', join(dir, `hist-${bad}.db`), '--history', bad]).code, 2, bad);
  });
});

describe('accounts and keys from the command line', () => {
  it('user create reads the password from stdin and enforces the rules', () => {
    const db = join(dir, 'users.db');
    assert.equal(souk(['migrate', '--db', db]).code, 0);
    const create = (args, input) => souk(['user', 'create', '--db', db, ...args], { input });
    let r = create(['--email', 'Ops@Example.com', '--role', 'admin', '--api-key'], 'a long enough password\n');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^created admin ops@example\.com \(usr_[0-9A-Z]{13}\)$/m);
    assert.match(r.out, /^admin api key: sk_[A-Za-z0-9_-]{43}$/m);
    assert.equal(sql(db, "select role || ' ' || status from users where email = 'ops@example.com'"), 'admin active');
    assert.match(sql(db, "select password_hash from users where email = 'ops@example.com'"), /^\$argon2id\$/);
    // duplicate, short password, password = e-mail, bad role, vendor without vendor, no stdin
    assert.match(create(['--email', 'ops@example.com', '--role', 'admin'], 'a long enough password\n').err, /exists already/);
    assert.match(create(['--email', 'b@example.com', '--role', 'admin'], 'short\n').err, /at least 10/);
    assert.match(create(['--email', 'c@example.com', '--role', 'admin'], 'c@example.com\n').err, /e-mail/);
    assert.equal(create(['--email', 'd@example.com', '--role', 'root'], 'a long enough password\n').code, 1);
    assert.match(create(['--email', 'e@example.com', '--role', 'vendor'], 'a long enough password\n').err, /a vendor account needs a vendor: give --vendor/);
    assert.equal(souk(['user', 'create', '--db', db, '--email', 'f@example.com', '--role', 'admin']).code, 2);
    assert.equal(sql(db, 'select count(*) from users'), '1');
  });
  it('user create --api-key names the role the key carries', () => {
    const db = join(dir, 'user-keys.db');
    assert.equal(souk(['migrate', '--db', db]).code, 0);
    for (const role of ['customer', 'inventory_manager', 'admin']) {
      const r = souk(['user', 'create', '--db', db, '--email', `${role}@example.com`, '--role', role, '--api-key'],
        { input: 'a long enough password\n' });
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, new RegExp(`^${role} api key: sk_[A-Za-z0-9_-]{43}$`, 'm'), r.out);
      if (role !== 'admin') assert.doesNotMatch(r.out, /admin api key/, `a ${role} key is not called an admin key`);
    }
  });
  it('keys rotate adds a signing key and retires the old one', () => {
    const db = join(dir, 'keys.db');
    assert.equal(souk(['migrate', '--db', db]).code, 0);
    assert.equal(sql(db, 'select count(*) from signing_keys where retired_at is null'), '1');
    const r = souk(['keys', 'rotate', '--db', db]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^new signing key sig_[0-9A-Z]{13}/);
    assert.equal(sql(db, 'select count(*) from signing_keys'), '2');
    assert.equal(sql(db, 'select count(*) from signing_keys where retired_at is null'), '1');
  });
  it('routes --json lists every route with a permission', () => {
    const r = souk(['routes', '--json']);
    assert.equal(r.code, 0);
    const routes = JSON.parse(r.out);
    assert.ok(routes.length > 40);
    for (const route of routes) {
      assert.match(route.method, /^(GET|POST|PUT|PATCH|DELETE)$/);
      assert.ok(route.permission.length > 0, `${route.method} ${route.path}`);
    }
    assert.ok(routes.some((x) => x.path === '/api/v1/auth/login' && x.rate === 'auth' && x.blocking));
  });
});

const HEADER = 'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n';

describe('import online-retail', () => {
  it('imports products, reports bad rows with line numbers, and is idempotent', () => {
    const rows = [
      '536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom', // line 2
      '536365,71053,WHITE METAL LANTERN,6,2010-12-01 08:26:00,3.39,17850.0,United Kingdom',
      '536366,85123A,,6,2010-12-02 08:28:00,2.65,17850.0,United Kingdom',               // newer price, no description
      '536367,22752,"SET 7 BABUSHKA NESTING BOXES, ""RED""",2,2010-12-01 08:34:00,7.65,13047.0,United Kingdom',
      '536368,22960,JAM MAKING SET,abc,2010-12-01 08:34:00,4.25,13047.0,United Kingdom',  // line 6: bad quantity
      '536369,22961,JAM JARS,6,2010-13-01 08:34:00,1.45,13047.0,United Kingdom',          // line 7: bad date
      'C536370,71053,WHITE METAL LANTERN,-1,2010-12-09 08:34:00,9.99,13047.0,United Kingdom', // cancellation: no price change
      '536371,,NO CODE,1,2010-12-01 08:34:00,1.00,13047.0,United Kingdom',                 // line 9: empty code
      '536372,B1,BAD DEBT,1,2010-12-01 08:34:00,-11062.06,,United Kingdom',                 // line 10: negative price
      '536373,NODESC,,1,2010-12-01 08:34:00,1.00,,United Kingdom',                          // code without any description
    ];
    const csv = join(dir, 'retail.csv');
    writeFileSync(csv, HEADER + rows.join('\n') + '\n');
    const db = join(dir, 'import.db'), errors = join(dir, 'errors.csv');
    let r = souk(['import', 'online-retail', '--db', db, '--errors', errors, csv]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /10 rows read, 4 stock codes; 3 products created, 0 updated, 0 unchanged; 4 rows with errors, 1 stock codes skipped/);
    const report = readFileSync(errors, 'utf8').trim().split('\n');
    assert.equal(report[0], 'record,line,field,message');
    const byLine = Object.fromEntries(report.slice(1).filter((l) => !l.startsWith('0,')).map((l) => [l.split(',')[1], l.split(',')[2]]));
    assert.deepEqual(byLine, { 6: 'Quantity', 7: 'InvoiceDate', 9: 'StockCode', 10: 'UnitPrice' });
    assert.ok(report.some((l) => l.includes('NODESC')));
    assert.equal(sql(db, "select title from products where external_ref = 'online-retail:22752'"), 'SET 7 BABUSHKA NESTING BOXES, "RED"');
    // the latest sale's price wins; cancellations do not set prices
    assert.equal(sql(db, "select amount from variant_prices vp join variants v on v.id = vp.variant_id where v.sku = '85123A'"), '265');
    assert.equal(sql(db, "select amount from variant_prices vp join variants v on v.id = vp.variant_id where v.sku = '71053'"), '339');
    assert.equal(sql(db, "select currency || min_amount from product_prices pp join products p on p.id = pp.product_id where p.external_ref = 'online-retail:71053'"), 'GBP339');

    // again: nothing created twice
    r = souk(['import', 'online-retail', '--db', db, csv]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /0 products created, 0 updated, 3 unchanged/);
    assert.equal(sql(db, 'select count(*) from products'), '3');

    // a changed price and title update in place (gzip input this time)
    const changed = rows.map((l) => l.replace('3.39', '3.49').replace('JAM JARS', 'JAM JARS'))
      .concat(['536380,71053,WHITE METAL LANTERN,1,2011-01-01 10:00:00,3.49,,United Kingdom']);
    writeFileSync(csv + '.gz', gzipSync(HEADER + changed.join('\n') + '\n'));
    r = souk(['import', 'online-retail', '--db', db, csv + '.gz']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /0 products created, 1 updated, 2 unchanged/);
    assert.equal(sql(db, "select min_amount from product_prices pp join products p on p.id = pp.product_id where p.external_ref = 'online-retail:71053'"), '349');
  });

  it('--orders makes the invoices customers and delivered orders at their dates, once, and souk train learns from them', () => {
    const rows = [
      '536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom',
      '536365,71053,WHITE METAL LANTERN,2,2010-12-01 08:26:00,3.39,17850.0,United Kingdom',
      '536366,85123A,WHITE HANGING HEART T-LIGHT HOLDER,1,2010-12-02 09:00:00,2.55,13047.0,France',
      'C536367,71053,WHITE METAL LANTERN,-1,2010-12-03 08:34:00,3.39,13047.0,France', // a cancellation: no order
      '536368,71053,WHITE METAL LANTERN,1,2010-12-03 08:34:00,3.39,,United Kingdom',   // a guest: no order
      '536369,22752,BABUSHKA BOXES,0,2010-12-03 08:34:00,7.65,13047.0,France',          // quantity 0: no line
    ];
    const csv = join(dir, 'orders.csv');
    writeFileSync(csv, HEADER + rows.join('\n') + '\n');
    const db = join(dir, 'orders.db');
    let r = souk(['import', 'online-retail', '--orders', '--db', db, csv]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /orders: 2 customers \(2 new\), 2 orders created with 3 lines, 0 there already; rows left out: 1 of cancellations, 1 of guests, 1 with a quantity or price <= 0/);
    assert.equal(sql(db, "select state || ' ' || payment_status || ' ' || currency || ' ' || total from orders where external_ref = 'online-retail:536365'"),
      'delivered succeeded GBP 2208');
    assert.equal(sql(db, "select datetime(paid_at / 1000000, 'unixepoch') from orders where external_ref = 'online-retail:536366'"), '2010-12-02 09:00:00');
    assert.equal(sql(db, "select count(*) from users where email like 'online-retail-%@customers.example' and password_hash is null"), '2');
    assert.equal(sql(db, "select group_concat(quantity || 'x' || sku, ' ') from order_lines l join orders o on o.id = l.order_id where o.external_ref = 'online-retail:536365'"),
      '6x85123A 2x71053');
    r = souk(['import', 'online-retail', '--orders', '--db', db, csv]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /0 orders created with 0 lines, 2 there already/);
    assert.equal(sql(db, 'select count(*) from orders'), '2');
    // no purchase events until a dispatcher records them: souk train says there is nothing to learn from
    r = souk(['train', '--db', db]);
    assert.equal(r.code, 1);
    assert.match(r.err, /no interactions/);
    assert.equal(souk(['train', '--db', db, '--factors', '0']).code, 2);
  });

  it('rejects a file that is not the Online Retail layout, changing nothing', () => {
    const csv = join(dir, 'other.csv');
    writeFileSync(csv, 'a,b,c\n1,2,3\n');
    const db = join(dir, 'other.db');
    const r = souk(['import', 'online-retail', '--db', db, csv]);
    assert.equal(r.code, 1);
    assert.match(r.err, /not an Online Retail file/);
    assert.ok(!existsSync(db) || sql(db, "select count(*) from sqlite_master where name = 'products'") === '0');
    assert.equal(souk(['import', 'online-retail', '--db', db, join(dir, 'missing.csv')]).code, 1);
    assert.equal(souk(['import', 'magento', '--db', db, csv]).code, 2);
    assert.equal(souk(['import', 'shopify', '--db', db, csv]).code, 1, 'shopify is a format now (tests/cli/exchange.test.js)');
  });

  it('imports the real UCI data set', { skip: !existsSync(RETAIL) && `data set absent: ${RETAIL}` }, () => {
    const db = join(dir, 'retail.db');
    let r = souk(['import', 'online-retail', '--db', db, '--errors', join(dir, 'retail-errors.csv'), RETAIL]);
    assert.equal(r.code, 0, r.err);
    const m = r.out.match(/541909 rows read, 4070 stock codes; (\d+) products created, 0 updated, 0 unchanged; (\d+) rows with errors, (\d+) stock codes skipped/);
    assert.ok(m, r.out);
    const [created, , skipped] = m.slice(1).map(Number);
    assert.equal(created + skipped, 4070, 'every stock code is a product or reported');
    assert.equal(sql(db, 'select count(*) from products'), String(created));
    assert.equal(sql(db, "select count(*) from products where external_ref like 'online-retail:%'"), String(created));
    r = souk(['import', 'online-retail', '--db', db, RETAIL]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`0 products created, 0 updated, ${created} unchanged`));
  });
});
