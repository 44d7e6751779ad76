// Options from the environment and the printed report of an HTTP fuzzer campaign.

/** HTTP_FUZZ_SEED, HTTP_FUZZ_REQUESTS, HTTP_FUZZ_SECONDS, HTTP_FUZZ_CONCURRENCY, HTTP_FUZZ_PRODUCTS */
export function optionsFromEnv(env) {
  const num = (name, dflt) => (env[name] !== undefined && env[name] !== '' ? Number(env[name]) : dflt);
  const seconds = num('HTTP_FUZZ_SECONDS', 0);
  return {
    seed: num('HTTP_FUZZ_SEED', 1),
    seconds,
    requests: num('HTTP_FUZZ_REQUESTS', seconds > 0 ? 0 : 2000),
    concurrency: num('HTTP_FUZZ_CONCURRENCY', 2),
    products: num('HTTP_FUZZ_PRODUCTS', 60),
  };
}

/** print REPORT (runCampaign's result) line by line through OUT */
export function printReport(report, out) {
  for (const f of report.failures) {
    out(`FAIL [${f.kind}] ${f.op}${f.status ? ` (${f.status})` : ''}: ${f.message}`);
    out(`  reproduce (seed ${report.seed}, request #${f.request.index}): ${JSON.stringify(f.request)}`);
  }
  const covered = [...report.byOp.entries()].filter(([name, st]) => name !== '(unmatched)' && st.requests > 0).length;
  out(`httpfuzz: seed ${report.seed}, ${report.requests} requests in ${report.seconds.toFixed(1)} s (${report.rps.toFixed(0)} req/s), ` +
    `${covered}/${report.ops.length} operations covered, ${report.failures.length} distinct failures ` +
    `(${Object.values(report.failureCounts).reduce((a, b) => a + b, 0)} failing answers), ${report.connErrors} connection errors, ${report.refused} requests node would not send, server exit ${report.serverExit}`);
  const no2xx = [...report.byOp.entries()].filter(([name, st]) => name !== '(unmatched)' && !Object.keys(st.statuses).some((k) => k.startsWith('2'))).map(([n]) => n);
  out(`httpfuzz: ${report.ops.length - no2xx.length}/${report.ops.length} operations answered 2xx at least once${no2xx.length ? `; never: ${no2xx.join(', ')}` : ''}`);
  out(`httpfuzz: statuses ${JSON.stringify(report.statusCounts)}`);
  for (const x of report.slowest || []) out(`httpfuzz: slow: ${x.ms} ms -> ${x.status}: ${JSON.stringify(x.request).slice(0, 400)}`);
  if (report.errorLogs.length) {
    out(`httpfuzz: ${report.errorLogs.length} error lines in the server log, first ones:`);
    for (const l of report.errorLogs.slice(0, 5)) out(`  ${JSON.stringify(l).slice(0, 400)}`);
  }
}
