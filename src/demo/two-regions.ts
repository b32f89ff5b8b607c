import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { serve } from '@hono/node-server';
import { pino } from 'pino';
import { createApp } from '../app.js';
import { loadConfig } from '../config/config.js';
import { type AppContext, createContext } from '../context.js';
import { CONSOLE, demoCreditCode, type RegionDemo, runRegionDemo, verifyFile } from './region-demo.js';

const SHIPPED_CA_CONFIG = path.resolve(import.meta.dirname, '../../ca-config/hierarchy.json');

interface RegionSpec {
  /** Folder under the demo's output folder. */
  folder: string;
  /** GB/T 2260 code. */
  id: string;
  name: string;
}

const REGIONS: readonly RegionSpec[] = [
  { folder: 'region-a', id: '140000', name: '山西省' },
  { folder: 'region-b', id: '410000', name: '河南省' },
];

/** A region served on a loopback port, its PUBLIC_BASE_URL naming that port. */
interface ServedRegion {
  spec: RegionSpec;
  dir: string;
  baseUrl: string;
  trustListUrl: string;
  ctx: AppContext;
  /** The variables that serve this region again afterwards, with the same addresses. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/**
 * `--regions 2`: two whole regions in DIR/region-a (山西省) and DIR/region-b (河南省), each with
 * its own root CA, keys, database and demo, served over HTTP on loopback. They register each
 * other as peers; B then verifies a licence issued in A, and a department of B obtains an
 * annotated copy of that licence from A with the holder's consent. DIR/manifest.json lists the
 * regions and these cross-region results.
 */
export async function twoRegionDemo(out: string): Promise<void> {
  mkdirSync(out, { recursive: true });
  const started: ServedRegion[] = [];
  try {
    for (const spec of REGIONS) started.push(await startRegion(out, spec));
    const [a, b] = started as [ServedRegion, ServedRegion];
    const demos: RegionDemo[] = [];
    for (const region of started) {
      const demo = await runRegionDemo(region.ctx, region.dir);
      demos.push(demo);
      process.stdout.write(`${region.spec.name} (${region.spec.id}) in ${region.dir}: ${demo.summary}.\n`);
    }
    const [demoA] = demos as [RegionDemo];

    await a.ctx.peers.register(CONSOLE, { url: b.trustListUrl, pinnedFingerprint: b.ctx.trustList.signerFingerprint });
    await b.ctx.peers.register(CONSOLE, { url: a.trustListUrl, pinnedFingerprint: a.ctx.trustList.signerFingerprint });

    const businessLicence = a.ctx.licences.catalogue.list().find((t) => t.slug === 'business-licence')!;
    const licence = demoA.licences.find((l) => l.type === businessLicence.code && l.status === 'valid')!;
    const { identifier } = licence;

    // A's file exactly as A issued it, checked by B's verifier with B's trust anchors and A's peer list.
    const original = `${a.spec.folder}/${licence.file}`;
    const inB = await verifyFile(b.ctx, out, original, `${b.spec.folder}/from-${a.spec.folder}-${identifier}.report.json`);
    const verifiedInB = { file: original, identifier, ...inB.entry, trustAnchor: inB.result.report.signatures[0]?.chain.trustAnchor?.name ?? null };

    // Sharing: A lets B's acceptor department have business licences, the holder consents at A,
    // B asks A over HTTP and downloads the one-time annotated copy.
    const acceptor = await b.ctx.departments.create(CONSOLE, {
      name: `${b.spec.name}政务服务中心（演示）`,
      creditCode: demoCreditCode(b.spec.id, 1),
      roles: ['acceptor'],
    });
    await a.ctx.sharing.setAgreement(CONSOLE, b.spec.id, { typeCode: licence.type, departmentCreditCode: acceptor.creditCode! });
    const purpose = '企业跨省迁移登记核验营业执照';
    const consent = await a.ctx.sharing.issueConsent(demoA.issuer, identifier, { purpose });
    const answer = await b.ctx.sharing.request(
      { departmentId: acceptor.id, keyId: null, requestId: 'demo' },
      { regionId: a.spec.id, identifier, purpose, consentCode: consent.code },
    );
    const download = await fetch(answer.download.url);
    if (!download.ok) throw new Error(`downloading the annotated copy from ${a.spec.name} failed: HTTP ${download.status}`);
    const sharedFile = `${b.spec.folder}/shared-${identifier}.pdf`;
    writeFileSync(path.join(out, sharedFile), new Uint8Array(await download.arrayBuffer()));
    const sharedInB = await verifyFile(b.ctx, out, sharedFile);
    const shared = {
      identifier,
      purpose,
      department: { name: acceptor.name, creditCode: acceptor.creditCode },
      consent: answer.consent,
      file: sharedFile,
      ...sharedInB.entry,
      usageInA: await a.ctx.sharing.usage({ identifier }),
      usageInB: await b.ctx.sharing.usage({ identifier }),
    };

    const manifest = {
      regions: started.map((region) => ({
        id: region.spec.id,
        name: region.spec.name,
        dir: region.spec.folder,
        manifest: `${region.spec.folder}/manifest.json`,
        baseUrl: region.baseUrl,
        trustList: region.trustListUrl,
        signerFingerprint: region.ctx.trustList.signerFingerprint,
      })),
      crossRegion: { verifiedInB, shared },
    };
    writeFileSync(path.join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);

    const serveLine = (region: ServedRegion) =>
      `  ${region.spec.name}: ${Object.entries(region.env)
        .map(([name, value]) => `${name}=${value}`)
        .join(' ')} npm start\n`;
    process.stdout.write(
      `${b.spec.name} verified ${a.spec.name}'s licence ${identifier}: ${verifiedInB.indication}, ${verifiedInB.verdict}, trust anchor ${verifiedInB.trustAnchor}.\n` +
        `${b.spec.name} obtained it from ${a.spec.name} for "${purpose}" (${answer.consent}): annotated copy ${shared.indication}, ${shared.verdict}; ` +
        `usage records ${shared.usageInA.length} in ${a.spec.name}, ${shared.usageInB.length} in ${b.spec.name}.\n` +
        `Demo written to ${out} (manifest.json). Serve the regions again, each in its own shell (same ports, so their addresses and peering still hold):\n` +
        started.map(serveLine).join(''),
    );
  } finally {
    for (const region of started.reverse()) await region.close();
  }
}

/**
 * Takes a loopback port first (answering 503 until the app exists), so that PUBLIC_BASE_URL,
 * which goes into certificates and the trust list, names the port actually served.
 */
async function startRegion(out: string, spec: RegionSpec): Promise<ServedRegion> {
  const dir = path.join(out, spec.folder);
  mkdirSync(dir, { recursive: true });
  const caConfig = path.join(dir, 'hierarchy.json');
  writeFileSync(caConfig, readFileSync(SHIPPED_CA_CONFIG, 'utf8').replaceAll('山西省', spec.name).replaceAll('140000', spec.id));

  let handler: (request: Request, bindings: unknown) => Response | Promise<Response> = () => new Response('starting', { status: 503 });
  const server = serve({ fetch: (request, bindings) => handler(request, bindings), port: 0, hostname: '127.0.0.1' }) as Server;
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const closeServer = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  const baseUrl = `http://127.0.0.1:${port}`;
  const env = {
    PORT: String(port),
    PUBLIC_BASE_URL: baseUrl,
    DATA_DIR: path.join(dir, 'data'),
    KEYS_DIR: path.join(dir, 'keys'),
    CA_CONFIG: caConfig,
    REGION_ID: spec.id,
    REGION_NAME: spec.name,
  };
  let ctx: AppContext;
  try {
    // Each region its own embedded database and plain HTTP, whatever the shell says.
    const { DATABASE_URL: _database, TLS_CERT_FILE: _cert, TLS_KEY_FILE: _key, HOST: _host, ...inherited } = process.env;
    const { config, secrets } = loadConfig({ ...inherited, ...env });
    ctx = await createContext(config, secrets, pino({ level: 'warn' }));
  } catch (error) {
    await closeServer();
    throw error;
  }
  const app = createApp(ctx);
  handler = (request, bindings) => app.fetch(request, bindings as object);
  return {
    spec,
    dir,
    baseUrl,
    trustListUrl: `${baseUrl}/trust-list`,
    ctx,
    env,
    async close() {
      await closeServer();
      await ctx.close();
    },
  };
}
