#!/usr/bin/env node
// The HTTP fuzzer from the command line (docs/internals/fuzzing.md, "HTTP fuzzer"):
//
//   node tests/fuzz_http/run.js [--seed N] [--requests N] [--seconds N] [--concurrency N] [--products N] [--json FILE]
//
// Defaults from the environment: HTTP_FUZZ_SEED (1), HTTP_FUZZ_REQUESTS (2000, or 0 = no bound when
// HTTP_FUZZ_SECONDS is set), HTTP_FUZZ_SECONDS (0 = no time bound), HTTP_FUZZ_CONCURRENCY (2).
// Starts $SOUK_BIN (default build/souk) itself. Prints each distinct failure with the request
// that reproduces it and the seed, then a summary; exits 1 when anything failed.
import { writeFileSync } from 'node:fs';
import { runCampaign } from './fuzzer.js';
import { printReport, optionsFromEnv } from './report.js';

const opts = optionsFromEnv(process.env);
const args = process.argv.slice(2);
let jsonOut = null;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  const v = args[i + 1];
  if (a === '--seed') { opts.seed = Number(v); i++; }
  else if (a === '--requests') { opts.requests = Number(v); i++; }
  else if (a === '--seconds') { opts.seconds = Number(v); if (!args.includes('--requests')) opts.requests = 0; i++; }
  else if (a === '--concurrency') { opts.concurrency = Number(v); i++; }
  else if (a === '--products') { opts.products = Number(v); i++; }
  else if (a === '--json') { jsonOut = v; i++; }
  else { console.error(`unknown argument ${a}`); process.exit(2); }
}
const report = await runCampaign({ ...opts, log: (m) => console.error(`[httpfuzz] ${m}`) });
printReport(report, (l) => console.log(l));
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ ...report, byOp: Object.fromEntries(report.byOp) }, null, 1));
process.exit(report.failures.length ? 1 : 0);
