// Small helpers shared by the test files.
import assert from 'node:assert/strict';

/** Run fn over items with at most `limit` in flight; results keep order. */
export async function mapLimit(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  });
  await Promise.all(workers);
  return out;
}

/** Assert a list has no duplicate ids; returns the Set of ids. */
export function uniqueIds(items, what = 'items') {
  const seen = new Set();
  for (const it of items) {
    assert.ok(!seen.has(it.id), `${what}: ${it.id} appears more than once`);
    seen.add(it.id);
  }
  return seen;
}

/** Assert two id sets are equal, with a readable diff. */
export function assertSameIds(actual, expected, what) {
  const a = new Set(actual);
  const e = new Set(expected);
  const missing = [...e].filter((x) => !a.has(x));
  const extra = [...a].filter((x) => !e.has(x));
  assert.ok(missing.length === 0 && extra.length === 0,
    `${what}: ${missing.length} missing ${JSON.stringify(missing.slice(0, 5))}, ${extra.length} unexpected ${JSON.stringify(extra.slice(0, 5))}`);
}

const cmpBytes = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
const cmpFold = (a, b) => cmpBytes(a.toLowerCase(), b.toLowerCase());
const cmpLocale = (a, b) => a.localeCompare(b, 'en', { sensitivity: 'base' });

/** Titles sorted ascending under bytewise, case-folded or locale order (the doc does not fix a collation). */
export function assertTitlesSorted(titles, what) {
  const sortedUnder = (cmp) => titles.every((t, i) => i === 0 || cmp(titles[i - 1], t) <= 0);
  assert.ok(sortedUnder(cmpBytes) || sortedUnder(cmpFold) || sortedUnder(cmpLocale),
    `${what}: titles are not in ascending order: ${JSON.stringify(firstInversion(titles, cmpFold))}`);
}

function firstInversion(xs, cmp) {
  for (let i = 1; i < xs.length; i++) if (cmp(xs[i - 1], xs[i]) > 0) return { at: i, prev: xs[i - 1], next: xs[i] };
  return null;
}

/** Check ordering of a product summary sequence for a sort key. */
export function assertSorted(items, sort, what = sort) {
  if (sort === 'newest') {
    for (let i = 1; i < items.length; i++) {
      assert.ok(items[i - 1].created_at >= items[i].created_at,
        `${what}: created_at not descending at ${i}: ${items[i - 1].created_at} then ${items[i].created_at}`);
    }
  } else if (sort === 'name') {
    assertTitlesSorted(items.map((p) => p.title), what);
  } else if (sort === 'price_asc' || sort === 'price_desc') {
    // priced items ordered; unpriced (price null) items form one block at either end
    const nullIdx = items.map((p, i) => (p.price === null ? i : -1)).filter((i) => i >= 0);
    if (nullIdx.length > 0) {
      const contiguous = nullIdx.every((x, k) => k === 0 || x === nullIdx[k - 1] + 1);
      const atEnd = nullIdx[0] === 0 || nullIdx.at(-1) === items.length - 1;
      assert.ok(contiguous && atEnd, `${what}: items without a price must be grouped at one end`);
    }
    const amounts = items.filter((p) => p.price !== null).map((p) => p.price.amount);
    for (let i = 1; i < amounts.length; i++) {
      const ok = sort === 'price_asc' ? amounts[i - 1] <= amounts[i] : amounts[i - 1] >= amounts[i];
      assert.ok(ok, `${what}: prices out of order at ${i}: ${amounts[i - 1]} then ${amounts[i]}`);
    }
  } else {
    assert.fail(`unknown sort ${sort}`);
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let uniq = 0;
/** A short unique lowercase token for slugs/skus/names. */
export function token() {
  uniq += 1;
  return `${Date.now().toString(36)}${process.pid.toString(36)}${uniq.toString(36)}`;
}

/** Polls FN every 25 ms until it is truthy; the milliseconds it took, or null after LIMIT_MS. */
export async function within(limitMs, fn) {
  const t0 = Date.now();
  for (;;) {
    if (await fn()) return Date.now() - t0;
    if (Date.now() - t0 > limitMs) return null;
    await sleep(25);
  }
}

/** A series of SRV's /metrics (its value, or undefined when absent). */
export async function metric(srv, name) {
  const text = await (await fetch(`${srv.url}/metrics`)).text();
  const m = new RegExp(`^${name.replace(/[{}"=]/g, '\\$&')} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}
