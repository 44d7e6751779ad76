// The HTTP fuzzer as a node:test file (tests/run.sh runs it in its own section): one campaign
// against a live server, then one test per operation of the OpenAPI document that passes when
// none of the fuzzer's answers on it broke a rule, and one for the server itself (alive, exit 0).
// HTTP_FUZZ_SEED (1), HTTP_FUZZ_REQUESTS (2000), HTTP_FUZZ_SECONDS (0: no time bound; set, it
// bounds the run by time instead), HTTP_FUZZ_CONCURRENCY (2): see docs/internals/fuzzing.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCampaign } from './fuzzer.js';
import { printReport, optionsFromEnv } from './report.js';

const opts = optionsFromEnv(process.env);

test(`HTTP fuzzer (seed ${opts.seed}, ${opts.seconds ? `${opts.seconds} s` : `${opts.requests} requests`})`, { timeout: (opts.seconds || 600) * 1000 + 300_000 }, async (t) => {
  const report = await runCampaign({ ...opts, log: (m) => t.diagnostic(m) });
  printReport(report, (l) => t.diagnostic(l));
  const byOp = new Map();
  for (const f of report.failures) {
    if (!byOp.has(f.op)) byOp.set(f.op, []);
    byOp.get(f.op).push(f);
  }
  const show = (fs) => fs.map((f) => `[${f.kind}] ${f.message}\n  reproduce (seed ${report.seed}): ${JSON.stringify(f.request)}`).join('\n');
  await t.test('the server stayed up and stopped cleanly', () => {
    const deaths = report.failures.filter((f) => f.kind === 'death' || f.kind === 'connection');
    assert.equal(deaths.length, 0, show(deaths));
    assert.equal(report.serverExit, 0, `souk serve exited with ${report.serverExit} at SIGTERM`);
  });
  for (const name of report.ops) {
    const st = report.byOp.get(name);
    await t.test(name, () => {
      assert.ok(st && st.requests > 0, `${name} was never called`);
      const fs = byOp.get(name) || [];
      assert.equal(fs.length, 0, show(fs));
    });
  }
  const other = report.failures.filter((f) => !report.ops.includes(f.op) && f.kind !== 'death' && f.kind !== 'connection');
  await t.test('answers on paths and methods outside the document', () => {
    assert.equal(other.length, 0, show(other));
  });
});
