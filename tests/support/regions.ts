import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { type Clock, systemClock } from '../../src/clock.js';
import { serveOnLoopback } from './outside-tools.js';
import { createTestApp, type TestApp } from './test-app.js';

/**
 * Several whole instances, one per region, each with its own root CA (generated into its own
 * keys folder), its own database (PGlite, or a fresh PostgreSQL database with
 * TEST_DATABASE_URL) and its own loopback port, talking to each other over real HTTP.
 *
 *   const a = await startRegion(SHANXI);
 *   const b = await startRegion(HENAN);
 *   await recognise(a, b);            // b becomes a peer of a (admin API of a, over HTTP)
 *   ...
 *   await Promise.all([a.close(), b.close()]);
 */

export interface RegionSpec {
  /** GB/T 2260 code, six digits. */
  regionId: string;
  regionName: string;
}

export const SHANXI: RegionSpec = Object.freeze({ regionId: '140000', regionName: '山西省' });
export const HENAN: RegionSpec = Object.freeze({ regionId: '410000', regionName: '河南省' });

export interface StartRegionOptions extends RegionSpec {
  /** Defaults to the system clock; pass a ManualClock to move this region through time. */
  clock?: Clock;
  /** More environment for loadConfig (e.g. TRUST_LIST_VALIDITY_HOURS); wins over the defaults here. */
  env?: Record<string, string>;
  /** Where this region's log lines go; silent by default. */
  logStream?: NodeJS.WritableStream;
}

export type HttpInit = RequestInit & { token?: string; json?: unknown };

export interface Region {
  /** The in-process handle: ctx (services), adminToken, departmentWithKey(), request() without HTTP. */
  readonly t: TestApp;
  readonly regionId: string;
  readonly regionName: string;
  readonly clock: Clock;
  /** http://127.0.0.1:<port>, also the region's PUBLIC_BASE_URL (so its trust list names these addresses). */
  readonly baseUrl: string;
  /** `${baseUrl}/trust-list`: what another region registers. */
  readonly trustListUrl: string;
  /** SHA-256 (hex) of the trust-list signing certificate: what another region pins. */
  readonly signerFingerprint: string;
  /** The CA configuration written for this region (山西省/140000 replaced by its name and id). */
  readonly caConfigFile: string;
  /** Calls this region over real HTTP; `token` becomes a bearer header, `json` the body. */
  fetch(pathname: string, init?: HttpInit): Promise<Response>;
  /** Stops serving, closes the app and its database, removes its files. */
  close(): Promise<void>;
}

/** The peer as the admin API returns it. */
export interface PeerJson {
  regionId: string;
  name: string;
  url: string;
  pinnedFingerprint: string;
  status: 'active' | 'stale';
  sequence: number;
  nextUpdate: string;
  fetchedAt: string;
  lastAttemptAt: string;
  lastError: string | null;
}

const SHIPPED_CA_CONFIG = path.resolve(import.meta.dirname, '../../ca-config/hierarchy.json');

/**
 * Starts one whole region on a loopback port. The port is taken first, with a handler that
 * answers 503 until the app exists, so PUBLIC_BASE_URL can name it without the race of probing
 * a free port, closing it and binding it again.
 */
export async function startRegion(options: StartRegionOptions): Promise<Region> {
  if (!/^\d{6}$/.test(options.regionId)) throw new Error(`regionId must be six digits, got ${options.regionId}`);
  const dir = await mkdtemp(path.join(os.tmpdir(), `elt-region-${options.regionId}-`));
  let handler: (request: Request, ...rest: unknown[]) => Response | Promise<Response> = () =>
    new Response('starting', { status: 503 });
  // The node server passes its bindings (the IncomingMessage) as the second argument; the app
  // reads request bodies from it, so they are passed on.
  const dispatch = (request: Request, ...rest: unknown[]) => handler(request, ...rest);
  const server = await serveOnLoopback(dispatch);
  let t: TestApp | undefined;
  try {
    const caConfigFile = path.join(dir, 'hierarchy.json');
    await writeFile(caConfigFile, await regionCaConfig(options));
    const clock = options.clock ?? systemClock;
    t = await createTestApp({
      clock,
      ...(options.logStream ? { logStream: options.logStream } : {}),
      env: {
        REGION_ID: options.regionId,
        REGION_NAME: options.regionName,
        CA_CONFIG: caConfigFile,
        PUBLIC_BASE_URL: server.baseUrl,
        ...options.env,
      },
    });
    const app = t.app;
    handler = (request, ...rest) => (app.fetch as (request: Request, ...rest: unknown[]) => Response | Promise<Response>)(request, ...rest);
    const started = t;
    const baseUrl = server.baseUrl;
    let closed = false;
    return {
      t: started,
      regionId: options.regionId,
      regionName: options.regionName,
      clock,
      baseUrl,
      trustListUrl: `${baseUrl}/trust-list`,
      signerFingerprint: started.ctx.trustList.signerFingerprint,
      caConfigFile,
      fetch: (pathname, init) => httpCall(baseUrl, pathname, init),
      async close() {
        if (closed) return;
        closed = true;
        await server.close();
        await started.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await server.close();
    await t?.close();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** The shipped hierarchy with 山西省 replaced by the region's name and 140000 by its id (policy OIDs, description). */
export async function regionCaConfig(region: RegionSpec): Promise<string> {
  const shipped = await readFile(SHIPPED_CA_CONFIG, 'utf8');
  return shipped.replaceAll('山西省', region.regionName).replaceAll('140000', region.regionId);
}

/**
 * Registers `b` as a peer of `a` through a's admin API over HTTP (a then fetches b's trust list
 * over HTTP), pinning b's signer. `url`/`pinnedFingerprint` override what is registered, e.g. a
 * stub standing in for b. Throws with the problem body unless a answers 201.
 */
export async function recognise(
  a: Region,
  b: Pick<Region, 'trustListUrl' | 'signerFingerprint'>,
  override: { url?: string; pinnedFingerprint?: string } = {},
): Promise<PeerJson> {
  const response = await a.fetch('/api/v1/peers', {
    method: 'POST',
    token: a.t.adminToken,
    json: { url: override.url ?? b.trustListUrl, pinnedFingerprint: override.pinnedFingerprint ?? b.signerFingerprint },
  });
  const body = await response.text();
  if (response.status !== 201) throw new Error(`region ${a.regionId} refused to register the peer: ${response.status} ${body}`);
  return JSON.parse(body) as PeerJson;
}

/** Both directions: each region registers the other. */
export async function recogniseEachOther(a: Region, b: Region): Promise<{ bInA: PeerJson; aInB: PeerJson }> {
  return { bInA: await recognise(a, b), aInB: await recognise(b, a) };
}

/**
 * A small server on loopback whose answer the test switches: a fixed trust list (a captured or
 * tampered JWS), a function, or silence (it answers 503). `url` is its trust-list address.
 */
export interface StubServer {
  readonly baseUrl: string;
  readonly url: string;
  /** Requests received so far. */
  readonly hits: number;
  serve(answer: string | ((request: Request) => Response | Promise<Response>) | null): void;
  close(): Promise<void>;
}

export async function startStub(initial: string | ((request: Request) => Response | Promise<Response>) | null = null): Promise<StubServer> {
  let answer = initial;
  let hits = 0;
  const server = await serveOnLoopback(async (request) => {
    hits++;
    if (answer === null) return new Response('stub is silent', { status: 503 });
    if (typeof answer === 'string') return new Response(answer, { headers: { 'Content-Type': 'application/jose' } });
    return answer(request);
  });
  return {
    baseUrl: server.baseUrl,
    url: `${server.baseUrl}/trust-list`,
    get hits() {
      return hits;
    },
    serve(next) {
      answer = next;
    },
    close: server.close,
  };
}

/** An address on which nothing listens (a port taken and released): connections are refused. */
export async function closedPortUrl(): Promise<string> {
  const probe = await serveOnLoopback(() => new Response());
  await probe.close();
  return `${probe.baseUrl}/trust-list`;
}

/** A server that accepts connections and never answers: what a hung peer looks like. */
export async function startSilentServer(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/trust-list`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The three parts of a compact JWS, header and payload decoded. */
export function splitJws(jws: string): { header: Record<string, unknown>; payload: Record<string, unknown>; signature: string } {
  const [header, payload, signature] = jws.split('.');
  return {
    header: JSON.parse(Buffer.from(header!, 'base64url').toString('utf8')) as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as Record<string, unknown>,
    signature: signature!,
  };
}

/** A compact JWS from a header and payload (objects JSON-encoded, strings taken as raw text) and a signature as given. */
export function joinJws(header: unknown, payload: unknown, signature: string): string {
  const part = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8').toString('base64url');
  return `${part(header)}.${part(payload)}.${signature}`;
}

function httpCall(baseUrl: string, pathname: string, init: HttpInit = {}): Promise<Response> {
  const { token, json, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (token) headers.set('Authorization', `Bearer ${token}`);
  if (json !== undefined) headers.set('Content-Type', 'application/json');
  return fetch(new URL(pathname, baseUrl), { ...rest, headers, body: json !== undefined ? JSON.stringify(json) : rest.body });
}
