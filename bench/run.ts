import { benchAuditAppend } from './audit-append.bench.js';
import { benchCa } from './ca.bench.js';
import { benchAuthenticatedRequests } from './http-auth.bench.js';
import { type Figure, printFigure } from './lib.js';
import { benchFederation } from './federation.bench.js';
import { benchLicences } from './licences.bench.js';
import { benchPades } from './pades.bench.js';
import { benchSealing } from './sealing.bench.js';
import { benchVerification } from './verification.bench.js';

/**
 * Runs every benchmark and prints one figure per line: name, value, unit, (conditions).
 * BENCH_DATABASE_URL=postgres://... measures on PostgreSQL instead of the embedded database.
 * Pass benchmark names to run only some: npm run bench -- audit
 */
const BENCHMARKS: Record<string, () => Promise<Figure[]>> = {
  http: benchAuthenticatedRequests,
  audit: benchAuditAppend,
  ca: benchCa,
  pades: benchPades,
  sealing: benchSealing,
  licences: benchLicences,
  verification: benchVerification,
  federation: benchFederation,
};

const selected = process.argv.slice(2).filter((a) => a !== '--');
for (const [name, bench] of Object.entries(BENCHMARKS)) {
  if (selected.length > 0 && !selected.includes(name)) continue;
  for (const figure of await bench()) printFigure(figure);
}
