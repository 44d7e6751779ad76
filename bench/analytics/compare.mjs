// compare.mjs — bench/analytics.sh's measuring part: times every souk report over HTTP (cold:
// the first request after start; warm: the same request again, answered from the report cache;
// recompute: the same report over a range one day longer, computed again on warm memory), answers
// the same questions with DuckDB over CSV exports of the same views (loaded into DuckDB tables
// first; each query run twice, cold and warm), checks that both agree, and prints the ratios.
//
// usage: node compare.mjs NAME BASE_URL API_KEY CSV_DIR FROM TO CURRENCY THREADS
import { DuckDBInstance } from '@duckdb/node-api';

const [name, base, key, dir, from, to, currency, threads] = process.argv.slice(2);
const DAY = 86400000;
const dayNum = (s) => Math.floor(Date.parse(`${s}T00:00:00Z`) / DAY);
const d0 = dayNum(from), d1 = dayNum(to), len = d1 - d0 + 1, p0 = d0 - len;
const m0 = new Date(d0 * DAY).getUTCFullYear() * 12 + new Date(d0 * DAY).getUTCMonth();
const m1 = new Date(d1 * DAY).getUTCFullYear() * 12 + new Date(d1 * DAY).getUTCMonth();
const dayBefore = new Date((d0 - 1) * DAY).toISOString().slice(0, 10);

async function souk(path) {
  const t = performance.now();
  const r = await fetch(`${base}/api/v1/admin/analytics/${path}`, { headers: { Authorization: `Bearer ${key}` } });
  const body = await r.json();
  const ms = performance.now() - t;
  if (r.status !== 200) throw new Error(`${path}: ${r.status} ${JSON.stringify(body)}`);
  return { ms, body };
}

const cur = `'${currency}'`;
const L = `(SELECT * FROM lines WHERE currency = ${cur})`;
const bucket = (col) => `CASE WHEN ${col} BETWEEN ${d0} AND ${d1} THEN 0 ELSE 1 END`;
const QUERIES = {
  kpis: `
    WITH l AS ${L},
    f AS (SELECT user_id, MIN(day) AS fd FROM l WHERE user_id IS NOT NULL GROUP BY user_id),
    p AS (SELECT *, ${bucket('day')} AS b FROM l WHERE day BETWEEN ${p0} AND ${d1}),
    o AS (SELECT b, SUM(amount) AS gross, SUM(quantity) AS units, COUNT(DISTINCT order_id) AS orders,
                 COUNT(DISTINCT user_id) AS customers, COUNT(DISTINCT CASE WHEN user_id IS NULL THEN order_id END) AS guest_orders
          FROM p GROUP BY b),
    n AS (SELECT ${bucket('fd')} AS b, COUNT(*) AS new_customers FROM f WHERE fd BETWEEN ${p0} AND ${d1} GROUP BY 1),
    r AS (SELECT ${bucket('day')} AS b, SUM(amount) AS refunds FROM refunds WHERE currency = ${cur} AND day BETWEEN ${p0} AND ${d1} GROUP BY 1),
    e AS (SELECT *, ${bucket('day')} AS b FROM events WHERE day BETWEEN ${p0} AND ${d1}),
    v AS (SELECT b, visitor, MAX(CASE WHEN type = 20 THEN 1 ELSE 0 END) AS bought, MAX(CASE WHEN type = 5 THEN 1 ELSE 0 END) AS carted
          FROM e GROUP BY b, visitor),
    t AS (SELECT b, COUNT(*) AS visitors, SUM(bought) AS buyers, SUM(carted) AS carts, SUM(carted * (1 - bought)) AS carts_left FROM v GROUP BY b),
    d AS (SELECT b, COUNT(*) AS visitor_days FROM (SELECT DISTINCT b, visitor, day FROM e) GROUP BY b),
    w AS (SELECT COUNT(DISTINCT visitor) FILTER (WHERE day >= ${d1 - 6}) AS wau, COUNT(DISTINCT visitor) AS mau
          FROM events WHERE day BETWEEN ${d1 - 29} AND ${d1})
    SELECT o.b, gross, COALESCE(refunds, 0) AS refunds, orders, units, customers, COALESCE(new_customers, 0) AS new_customers,
           guest_orders, visitors, buyers, carts, carts_left, visitor_days, wau, mau
    FROM o LEFT JOIN n USING (b) LEFT JOIN r USING (b) LEFT JOIN t USING (b) LEFT JOIN d USING (b), w ORDER BY o.b`,
  timeseries: `
    WITH l AS (SELECT * FROM ${L} WHERE day BETWEEN ${d0} AND ${d1}),
    f AS (SELECT user_id, MIN(day) AS fd FROM ${L} WHERE user_id IS NOT NULL GROUP BY user_id),
    o AS (SELECT day, SUM(amount) AS gross, SUM(quantity) AS units, COUNT(DISTINCT order_id) AS orders,
                 COUNT(DISTINCT user_id) AS customers FROM l GROUP BY day),
    n AS (SELECT fd AS day, COUNT(*) AS new_customers FROM f WHERE fd BETWEEN ${d0} AND ${d1} GROUP BY fd),
    r AS (SELECT day, SUM(amount) AS refunds FROM refunds WHERE currency = ${cur} AND day BETWEEN ${d0} AND ${d1} GROUP BY day),
    v AS (SELECT day, visitor, MAX(CASE WHEN type = 20 THEN 1 ELSE 0 END) AS bought, MAX(CASE WHEN type = 5 THEN 1 ELSE 0 END) AS carted
          FROM events WHERE day BETWEEN ${d0} AND ${d1} GROUP BY day, visitor),
    t AS (SELECT day, COUNT(*) AS visitors, SUM(bought) AS buyers, SUM(carted) AS carts, SUM(carted * (1 - bought)) AS carts_left FROM v GROUP BY day)
    SELECT day, gross, COALESCE(refunds, 0) AS refunds, orders, units, customers, COALESCE(new_customers, 0) AS new_customers, visitors, buyers
    FROM o FULL JOIN n USING (day) FULL JOIN r USING (day) FULL JOIN t USING (day) ORDER BY day`,
  funnel: `
    WITH e AS (SELECT visitor, sec, type FROM events WHERE day BETWEEN ${d0} AND ${d1} AND type IN (2, 5, 7, 20)),
    s1 AS (SELECT visitor, MIN(sec) AS t FROM e WHERE type = 2 GROUP BY visitor),
    s2 AS (SELECT e.visitor, MIN(e.sec) AS t FROM e JOIN s1 ON e.visitor = s1.visitor AND e.sec >= s1.t WHERE e.type = 5 GROUP BY e.visitor),
    s3 AS (SELECT e.visitor, MIN(e.sec) AS t FROM e JOIN s2 ON e.visitor = s2.visitor AND e.sec >= s2.t WHERE e.type = 7 GROUP BY e.visitor),
    s4 AS (SELECT e.visitor, MIN(e.sec) AS t FROM e JOIN s3 ON e.visitor = s3.visitor AND e.sec >= s3.t WHERE e.type = 20 GROUP BY e.visitor)
    SELECT (SELECT COUNT(*) FROM s1) AS c1, (SELECT COUNT(*) FROM s2) AS c2, (SELECT COUNT(*) FROM s3) AS c3, (SELECT COUNT(*) FROM s4) AS c4`,
  cohorts: `
    WITH l AS (SELECT * FROM ${L} WHERE user_id IS NOT NULL),
    f AS (SELECT user_id, MIN(day) AS fd FROM l GROUP BY user_id),
    x AS (SELECT year(DATE '1970-01-01' + fd) * 12 + month(DATE '1970-01-01' + fd) - 1 AS cm,
                 year(DATE '1970-01-01' + day) * 12 + month(DATE '1970-01-01' + day) - 1 AS am, user_id, amount
          FROM l JOIN f USING (user_id) WHERE day <= ${d1})
    SELECT cm, am - cm AS k, COUNT(DISTINCT user_id) AS customers, SUM(amount) AS revenue
    FROM x WHERE cm BETWEEN ${m0} AND ${m1} GROUP BY cm, am ORDER BY cm, k`,
  rfm: `
    WITH c AS (SELECT user_id, MAX(day) AS last, COUNT(DISTINCT order_id) AS orders, SUM(amount) AS revenue
               FROM ${L} WHERE user_id IS NOT NULL AND day BETWEEN ${d0} AND ${d1} GROUP BY user_id),
    n AS (SELECT COUNT(*) AS n FROM c),
    s AS (SELECT user_id, last, orders, revenue,
                 1 + (5 * (RANK() OVER (ORDER BY last) - 1)) // n AS r,
                 1 + (5 * (RANK() OVER (ORDER BY orders) - 1)) // n AS f,
                 1 + (5 * (RANK() OVER (ORDER BY revenue) - 1)) // n AS m FROM c, n),
    g AS (SELECT *, CASE
            WHEN r >= 4 AND f >= 4 THEN 'champions' WHEN r = 3 AND f >= 4 THEN 'loyal'
            WHEN r >= 4 AND f BETWEEN 2 AND 3 THEN 'potential_loyalists' WHEN r = 5 AND f = 1 THEN 'new_customers'
            WHEN r IN (3, 4) AND f = 1 THEN 'promising' WHEN r = 3 AND f BETWEEN 2 AND 3 THEN 'need_attention'
            WHEN r <= 2 AND f = 5 THEN 'cant_lose_them' WHEN (r = 2 AND f BETWEEN 3 AND 4) OR (r = 1 AND f = 4) THEN 'at_risk'
            WHEN (r = 2 AND f <= 2) OR (r = 1 AND f = 3) THEN 'hibernating' ELSE 'lost' END AS segment FROM s)
    SELECT segment, COUNT(*) AS customers, SUM(revenue) AS revenue FROM g GROUP BY segment ORDER BY segment`,
};

const num = (v) => (v === null || v === undefined ? 0 : Number(v));
/** What souk answered, reduced to the figures DuckDB's answer gives too. */
const SOUK_FIGURES = {
  kpis: (b) => ({ gross: b.current.gross_revenue, refunds: b.current.refunds, orders: b.current.orders, units: b.current.units,
    customers: b.current.customers, new_customers: b.current.new_customers, prev_gross: b.previous.gross_revenue,
    prev_orders: b.previous.orders, visitors: b.current.visitors, wau: b.current.wau, mau: b.current.mau }),
  timeseries: (b) => ({ days: b.rows.filter((r) => r.orders || r.visitors).length,
    gross: b.rows.reduce((s, r) => s + r.gross_revenue, 0), customer_days: b.rows.reduce((s, r) => s + r.customers, 0),
    new_customers: b.rows.reduce((s, r) => s + r.new_customers, 0), visitor_days: b.rows.reduce((s, r) => s + (r.visitors ?? 0), 0) }),
  funnel: (b) => ({ steps: b.rows.map((r) => r.count).join('/') }),
  cohorts: (b) => ({ cells: b.rows.filter((r) => r.customers).length, customers: b.rows.reduce((s, r) => s + r.customers, 0), revenue: b.rows.reduce((s, r) => s + r.revenue, 0) }),
  rfm: (b) => ({ customers: b.customers, segments: b.segments.filter((s) => s.customers).map((s) => `${s.segment}:${s.customers}`).sort().join(' ') }),
};
const DUCK_FIGURES = {
  kpis: (rows) => {
    const c = rows.find((r) => num(r.b) === 0) ?? {}, p = rows.find((r) => num(r.b) === 1) ?? {};
    return { gross: num(c.gross), refunds: num(c.refunds), orders: num(c.orders), units: num(c.units), customers: num(c.customers),
      new_customers: num(c.new_customers), prev_gross: num(p.gross), prev_orders: num(p.orders), visitors: num(c.visitors),
      wau: num(rows[0]?.wau), mau: num(rows[0]?.mau) };
  },
  timeseries: (rows) => ({ days: rows.filter((r) => num(r.orders) || num(r.visitors)).length, gross: rows.reduce((s, r) => s + num(r.gross), 0),
    customer_days: rows.reduce((s, r) => s + num(r.customers), 0), new_customers: rows.reduce((s, r) => s + num(r.new_customers), 0),
    visitor_days: rows.reduce((s, r) => s + num(r.visitors), 0) }),
  funnel: (rows) => ({ steps: [rows[0].c1, rows[0].c2, rows[0].c3, rows[0].c4].map(num).join('/') }),
  cohorts: (rows) => ({ cells: rows.length, customers: rows.reduce((s, r) => s + num(r.customers), 0), revenue: rows.reduce((s, r) => s + num(r.revenue), 0) }),
  rfm: (rows) => ({ customers: rows.reduce((s, r) => s + num(r.customers), 0), segments: rows.map((r) => `${r.segment}:${num(r.customers)}`).sort().join(' ') }),
};

const instance = await DuckDBInstance.create(':memory:', { threads: String(threads) });
const db = await instance.connect();
let t = performance.now();
const csv = (file, columns) => `read_csv('${dir}/${file}', header = true, nullstr = '', columns = {${columns}})`;
await db.run(`CREATE TABLE lines AS SELECT * FROM ${csv('lines.csv', "'order_id': 'BIGINT', 'user_id': 'BIGINT', 'day': 'INTEGER', " +
  "'currency': 'VARCHAR', 'channel': 'INTEGER', 'product_id': 'BIGINT', 'category_id': 'BIGINT', 'vendor_id': 'BIGINT', " +
  "'quantity': 'INTEGER', 'amount': 'BIGINT'")}`);
await db.run(`CREATE TABLE refunds AS SELECT * FROM ${csv('refunds.csv', "'order_id': 'BIGINT', 'day': 'INTEGER', 'amount': 'BIGINT', 'currency': 'VARCHAR'")}`);
await db.run(`CREATE TABLE events AS SELECT * FROM ${csv('events.csv', "'visitor': 'BIGINT', 'type': 'INTEGER', 'sec': 'BIGINT', 'day': 'INTEGER'")}`);
const loadMs = performance.now() - t;
const count = async (table) => num((await db.runAndReadAll(`SELECT COUNT(*) AS n FROM ${table}`)).getRowObjectsJson()[0].n);
console.log(`${name}: DuckDB loaded ${await count('lines')} lines, ${await count('refunds')} refunds, ${await count('events')} events from CSV in ${(loadMs / 1000).toFixed(1)} s (${threads} threads)`);

const paths = {
  kpis: (f) => `kpis?from=${f}&to=${to}&currency=${currency}`,
  timeseries: (f) => `timeseries?from=${f}&to=${to}&currency=${currency}&granularity=day`,
  funnel: (f) => `funnel?from=${f}&to=${to}`,
  cohorts: (f) => `cohorts?from=${f}&to=${to}&currency=${currency}`,
  rfm: (f) => `rfm?from=${f}&to=${to}&currency=${currency}`,
};
const fmt = (ms) => (ms < 10 ? ms.toFixed(1) : ms.toFixed(0)).padStart(6);
console.log(`${name}: ${from}..${to}, ${currency}; times in ms (souk over HTTP on loopback, DuckDB in process)`);
console.log('  report       souk cold   warm  recompute | DuckDB cold   warm | cold ratio  recompute ratio | same answer');
let agree = true;
const results = {};
for (const [report, sql] of Object.entries(QUERIES)) {
  const cold = await souk(paths[report](from));
  const warm = await souk(paths[report](from));
  const again = await souk(paths[report](dayBefore)); // another range: not in the cache
  t = performance.now();
  await db.runAndReadAll(sql);
  const dCold = performance.now() - t;
  t = performance.now();
  const rows = (await db.runAndReadAll(sql)).getRowObjectsJson();
  const dWarm = performance.now() - t;
  const a = SOUK_FIGURES[report](cold.body), b = DUCK_FIGURES[report](rows);
  const same = JSON.stringify(a) === JSON.stringify(b);
  agree &&= same;
  results[report] = { souk: a, duckdb: b };
  console.log(`  ${report.padEnd(11)} ${fmt(cold.ms)}  ${fmt(warm.ms)}  ${fmt(again.ms)}    | ${fmt(dCold)}  ${fmt(dWarm)} |` +
    `  ${(cold.ms / dCold).toFixed(2).padStart(8)}x  ${(again.ms / dWarm).toFixed(2).padStart(13)}x   | ${same ? 'yes' : 'NO'}`);
}
{ // k-means segments: souk only (DuckDB has no k-means to compare with)
  const path = (f) => `segments?from=${f}&to=${to}&currency=${currency}`;
  const cold = await souk(path(from)), warm = await souk(path(from)), again = await souk(path(dayBefore));
  console.log(`  ${'segments'.padEnd(11)} ${fmt(cold.ms)}  ${fmt(warm.ms)}  ${fmt(again.ms)}    |  (no DuckDB counterpart: k = ${cold.body.k}, ` +
    `silhouette ${cold.body.silhouette} over ${cold.body.customers} customers)`);
}
{ // churn: souk only; its AUC on the time split is the model's quality (goal on Online Retail: >= 0.75)
  const path = (t) => `churn?to=${t}&currency=${currency}`;
  const dayBeforeTo = new Date((d1 - 1) * DAY).toISOString().slice(0, 10);
  const cold = await souk(path(to)), warm = await souk(path(to)), again = await souk(path(dayBeforeTo));
  console.log(`  ${'churn'.padEnd(11)} ${fmt(cold.ms)}  ${fmt(warm.ms)}  ${fmt(again.ms)}    |  (no DuckDB counterpart: AUC ${cold.body.auc} ` +
    `at ${cold.body.test_cutoff} on ${cold.body.test_customers} customers, churn rate ${cold.body.test_churn_rate}, horizon ${cold.body.horizon_days} days)`);
}
if (!agree) for (const [r, v] of Object.entries(results)) console.log(`  ${r}: souk ${JSON.stringify(v.souk)}\n  ${' '.repeat(r.length)}  duckdb ${JSON.stringify(v.duckdb)}`);
console.log('  (ratio = souk time / DuckDB time: below 1 means souk was faster; recompute ratio compares two warm computations)');
