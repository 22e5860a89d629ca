// Benchmark `soak`: OTLP ingest at half the maximum measured in a first phase of the same run, the Overview's
// queries every 5 s and the default alert pack evaluating, for N seconds (default 1800; --quick 20). Reports
// resident memory over time (max, slope over the second half), errors, p50/p99 query latency, ingest lag and
// whether every acknowledged item was stored. Last stdout line: one JSON object.
//   npm run bench -- soak [--seconds N] [--quick]
import { runSoak } from '../src/testing/soak.js';

async function main() {
  const args = process.argv.slice(2);
  const i = args.indexOf('--seconds');
  const seconds = i >= 0 ? Number(args[i + 1]) : args.includes('--quick') ? 20 : 1800;
  if (!Number.isFinite(seconds) || seconds <= 0) {
    console.error('usage: npm run bench -- soak [--seconds N] [--quick]');
    process.exit(2);
  }
  const r = await runSoak({
    seconds,
    probeSeconds: seconds < 30 ? 3 : seconds < 60 ? 5 : 10,
    log: (l) => console.error(l),
  });
  console.log(JSON.stringify(r));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
