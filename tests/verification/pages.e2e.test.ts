import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPageRoutes } from '../../src/api/public/verify-page.routes.js';
import { ManualClock } from '../../src/clock.js';
import { chinaDate } from '../../src/licences/licence-data.js';
import { residentIdCheckCharacter } from '../../src/pki/resident-id.js';
import { grantLicenceRight, sampleLicence } from '../licences/licence-fixtures.js';
import { testCreditCode } from '../support/credit-codes.js';
import { missingTool, serveOnLoopback } from '../support/outside-tools.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const execFileAsync = promisify(execFile);
const skip = ['chromium', 'pdftoppm', 'zbarimg'].some((tool) => missingTool(tool));

/**
 * A minimal Chrome DevTools Protocol client over --remote-debugging-pipe (fd 3 in, fd 4 out,
 * messages ended by NUL), so the test can type, choose files and take screenshots in a real
 * browser without a WebSocket library.
 */
class Browser {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: any) => void; reject: (error: Error) => void; method: string }>();
  private readonly listeners = new Set<(message: CdpMessage) => void>();
  private buffer = '';
  private stderr = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly profile: string,
  ) {
    const output = child.stdio[4] as Readable;
    output.setEncoding('utf8');
    output.on('data', (chunk: string) => {
      this.buffer += chunk;
      let end: number;
      while ((end = this.buffer.indexOf('\0')) >= 0) {
        const message = JSON.parse(this.buffer.slice(0, end)) as CdpMessage;
        this.buffer = this.buffer.slice(end + 1);
        this.dispatch(message);
      }
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-4000);
    });
    child.once('exit', (code) => {
      for (const { reject, method } of this.pending.values()) reject(new Error(`chromium exited (${code}) during ${method}: ${this.stderr}`));
      this.pending.clear();
    });
  }

  static async launch(): Promise<Browser> {
    const profile = await mkdtemp(path.join(os.tmpdir(), 'elt-chromium-cdp-'));
    const child = spawn(
      'chromium',
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--hide-scrollbars',
        '--lang=zh-CN',
        `--user-data-dir=${profile}`,
        '--remote-debugging-pipe',
        'about:blank',
      ],
      { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] },
    );
    const browser = new Browser(child, profile);
    await browser.send('Browser.getVersion');
    return browser;
  }

  private dispatch(message: CdpMessage): void {
    if (message.id !== undefined) {
      const waiting = this.pending.get(message.id);
      if (!waiting) return;
      this.pending.delete(message.id);
      if (message.error) waiting.reject(new Error(`${waiting.method}: ${message.error.message}`));
      else waiting.resolve(message.result);
      return;
    }
    for (const listener of this.listeners) listener(message);
  }

  send<T = any>(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<T> {
    const id = this.nextId++;
    const input = this.child.stdio[3] as Writable;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      input.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    });
  }

  /** Resolves with the first event `method` (in `sessionId`) that `accept` takes. */
  event(method: string, sessionId: string, timeoutMs = 30_000, accept: (params: any) => boolean = () => true): Promise<any> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`no ${method} within ${timeoutMs} ms`));
      }, timeoutMs);
      const listener = (message: CdpMessage) => {
        if (message.method !== method || message.sessionId !== sessionId || !accept(message.params)) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve(message.params);
      };
      this.listeners.add(listener);
    });
  }

  onEvent(listener: (message: CdpMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A new tab the size of a phone (or of `viewport`), attached in flat mode. */
  async newPage(viewport = { width: 390, height: 844, mobile: true }): Promise<Page> {
    const { targetId } = await this.send<{ targetId: string }>('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await this.send<{ sessionId: string }>('Target.attachToTarget', { targetId, flatten: true });
    const page = new Page(this, sessionId, targetId);
    await page.send('Page.enable');
    await page.send('Runtime.enable');
    await page.send('Log.enable');
    await page.send('Emulation.setDeviceMetricsOverride', { width: viewport.width, height: viewport.height, deviceScaleFactor: 1, mobile: viewport.mobile });
    return page;
  }

  async close(): Promise<void> {
    const exited = new Promise<void>((resolve) => (this.child.exitCode !== null ? resolve() : this.child.once('exit', () => resolve())));
    await this.send('Browser.close').catch(() => undefined);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
    await rm(this.profile, { recursive: true, force: true });
  }
}

interface CdpMessage {
  id?: number;
  method?: string;
  params?: any;
  result?: any;
  error?: { message: string };
  sessionId?: string;
}

class Page {
  /** Uncaught exceptions and console/CSP errors seen since the page was opened. */
  readonly problems: string[] = [];

  constructor(
    private readonly browser: Browser,
    readonly sessionId: string,
    readonly targetId: string,
  ) {
    browser.onEvent((message) => {
      if (message.sessionId !== sessionId) return;
      if (message.method === 'Runtime.exceptionThrown') this.problems.push(`exception: ${JSON.stringify(message.params.exceptionDetails)}`);
      // The browser's own favicon probe is not the page's doing.
      const entry = message.params?.entry;
      if (message.method === 'Log.entryAdded' && entry.level === 'error' && !String(entry.url ?? '').endsWith('/favicon.ico')) this.problems.push(`log: ${entry.text} ${entry.url ?? ''}`);
      if (message.method === 'Runtime.consoleAPICalled' && message.params.type === 'error') this.problems.push(`console: ${JSON.stringify(message.params.args)}`);
    });
  }

  send<T = any>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    return this.browser.send<T>(method, params, this.sessionId);
  }

  async goto(url: string): Promise<void> {
    const loaded = this.browser.event('Page.loadEventFired', this.sessionId);
    const { errorText } = await this.send<{ errorText?: string }>('Page.navigate', { url });
    if (errorText) throw new Error(`navigating to ${url}: ${errorText}`);
    await loaded;
  }

  async evaluate<T>(expression: string): Promise<T> {
    const { result, exceptionDetails } = await this.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true });
    if (exceptionDetails) throw new Error(`evaluating ${expression}: ${JSON.stringify(exceptionDetails)}`);
    return result.value as T;
  }

  async waitFor(expression: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await this.evaluate<boolean>(`Boolean(${expression})`))) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${expression}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  private async nodeId(selector: string): Promise<number> {
    const { root } = await this.send<{ root: { nodeId: number } }>('DOM.getDocument', { depth: 0 });
    const { nodeId } = await this.send<{ nodeId: number }>('DOM.querySelector', { nodeId: root.nodeId, selector });
    if (!nodeId) throw new Error(`no element ${selector}`);
    return nodeId;
  }

  /** Focuses the field and types as a keyboard would (input events included). */
  async type(selector: string, text: string): Promise<void> {
    await this.send('DOM.focus', { nodeId: await this.nodeId(selector) });
    await this.send('Input.insertText', { text });
  }

  /** What choosing a file in the file dialog does: sets the files and fires input and change. */
  async chooseFile(selector: string, file: string): Promise<void> {
    await this.send('DOM.setFileInputFiles', { nodeId: await this.nodeId(selector), files: [file] });
  }

  /** A PNG of the whole page, not just the viewport. */
  async screenshot(file: string): Promise<void> {
    const { cssContentSize } = await this.send<{ cssContentSize: { width: number; height: number } }>('Page.getLayoutMetrics');
    const { data } = await this.send<{ data: string }>('Page.captureScreenshot', {
      format: 'png',
      captureBeyondViewport: true,
      clip: { x: 0, y: 0, width: Math.ceil(cssContentSize.width), height: Math.ceil(cssContentSize.height), scale: 1 },
    });
    await writeFile(file, Buffer.from(data, 'base64'));
  }

  close(): Promise<unknown> {
    return this.browser.send('Target.closeTarget', { targetId: this.targetId });
  }
}

const HOLDER = '张小三';
const HOLDER_ID = (() => {
  const body = '11010519880315002';
  return body + residentIdCheckCharacter(body);
})();
const MASKED_ID = `${HOLDER_ID.slice(0, 4)}${'*'.repeat(HOLDER_ID.length - 8)}${HOLDER_ID.slice(-4)}`;
const COLOURS = { ok: 'rgb(19, 122, 58)', warn: 'rgb(184, 107, 0)', bad: 'rgb(179, 38, 30)' };
const DAY = 24 * 3600 * 1000;

interface IssuedLicence {
  identifier: string;
  links: { file: string; verify: string };
}

/**
 * What a person sees on the citizen page (the QR address) and on the accepting department's
 * verify page, in headless Chromium under the app's real CSP; the QR code read off a rendered
 * licence with pdftoppm and zbarimg.
 */
describe.skipIf(skip)('citizen page and verify page in headless Chromium', () => {
  const clock = new ManualClock(new Date());
  let t: TestApp;
  let server: Awaited<ReturnType<typeof serveOnLoopback>>;
  let browser: Browser;
  let dir: string;
  let shots: string;
  let acceptorToken: string;
  let issuerToken: string;
  const licences: Record<'valid' | 'revoked' | 'expired', IssuedLicence> = {} as never;
  const files: Record<string, string> = {};

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'elt-pages-'));
    // SCREENSHOT_DIR keeps the screenshots for a person to look at; otherwise they go with the temp dir.
    shots = process.env.SCREENSHOT_DIR ?? path.join(dir, 'screenshots');
    await mkdir(shots, { recursive: true });

    const probe = await serveOnLoopback(() => new Response());
    const port = new URL(probe.baseUrl).port;
    await probe.close();
    t = await createTestApp({ clock, env: { PUBLIC_BASE_URL: `http://127.0.0.1:${port}` } });
    // Until src/app.ts mounts the page, mount it here (before the first request builds the router).
    if (!t.app.routes.some((route) => route.method === 'GET' && route.path === '/verify')) t.app.route('/', verifyPageRoutes(t.ctx));
    server = await serveOnLoopback(t.app.fetch, Number(port));

    const issuer = await t.departmentWithKey(['issuer'], testCreditCode(81));
    issuerToken = issuer.token;
    acceptorToken = (await t.departmentWithKey(['acceptor'], testCreditCode(82))).token;
    const types = t.ctx.licences.catalogue.list();
    const disability = types.find((type) => type.slug === 'disability-certificate')!;
    const business = types.find((type) => type.slug === 'business-licence')!;
    for (const type of [disability, business]) {
      const res = await t.request('/api/v1/seals', { method: 'POST', token: t.adminToken, json: { ownerDepartmentId: issuer.departmentId, type: type.sealType } });
      expect(res.status, await res.clone().text()).toBe(201);
      await grantLicenceRight(t, issuer.departmentId, type.code, 'issue');
    }
    const issue = async (body: Record<string, unknown>) => {
      const res = await t.request('/api/v1/licences', { method: 'POST', token: issuer.token, json: body });
      expect(res.status, await res.clone().text()).toBe(201);
      return (await res.json()) as IssuedLicence;
    };
    const disabilityFields = { sex: '男', disabilityCategory: '肢体', disabilityGrade: '三级', address: '山西省太原市小店区长风街100号' };
    licences.valid = await issue({ typeCode: disability.code, holders: [{ name: HOLDER, id: HOLDER_ID }], fields: disabilityFields });
    licences.revoked = await issue({ typeCode: disability.code, holders: [{ name: '李小四', id: HOLDER_ID }], fields: disabilityFields });
    const revoked = await t.request(`/api/v1/licences/${licences.revoked.identifier}/revocation`, { method: 'POST', token: issuer.token, json: { reason: '骗领' } });
    expect(revoked.status).toBe(200);
    licences.expired = await issue({ ...sampleLicence(business), validUntil: chinaDate(clock.now()) });

    for (const [name, licence] of Object.entries(licences)) {
      const download = await t.request(licence.links.file, { token: issuer.token });
      expect(download.status).toBe(200);
      files[name] = path.join(dir, `${name}.pdf`);
      await writeFile(files[name], new Uint8Array(await download.arrayBuffer()));
    }
    browser = await Browser.launch();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await t?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** The citizen page as Chromium renders it: the verdict box, its colour and the visible text. */
  async function citizenView(url: string, shot: string) {
    const page = await browser.newPage();
    try {
      await page.goto(url);
      const view = await page.evaluate<{ verdict: string; reason: string; classes: string; background: string; heading: string; text: string }>(`(() => {
        const box = document.querySelector('section.verdict');
        return { verdict: box.dataset.verdict, reason: box.dataset.reason, classes: box.className, background: getComputedStyle(box).backgroundColor,
                 heading: box.querySelector('h2').innerText, text: document.body.innerText };
      })()`);
      await page.screenshot(path.join(shots, shot));
      expect(page.problems).toEqual([]);
      return view;
    } finally {
      await page.close();
    }
  }

  describe('the citizen page a QR code opens', () => {
    it('shows a valid licence in green, with the holder and the ID masked', async () => {
      const view = await citizenView(licences.valid.links.verify, 'citizen-valid.png');
      expect(view).toMatchObject({ verdict: 'valid', reason: 'ok', heading: '真实有效', background: COLOURS.ok });
      expect(view.classes.split(' ')).toContain('ok');
      expect(view.text).toContain('残疾人证');
      expect(view.text).toContain('张*三');
      expect(view.text).toContain(MASKED_ID);
      expect(view.text).not.toContain(HOLDER);
      expect(view.text).not.toContain(HOLDER_ID);
    });

    it('says the same in English with ?lang=en', async () => {
      const view = await citizenView(`${licences.valid.links.verify}?lang=en`, 'citizen-valid-en.png');
      expect(view).toMatchObject({ verdict: 'valid', heading: 'Genuine and valid', background: COLOURS.ok });
      expect(view.text).toContain('张*三');
    });

    it('shows a revoked licence in red as revoked', async () => {
      const view = await citizenView(licences.revoked.links.verify, 'citizen-revoked.png');
      expect(view).toMatchObject({ verdict: 'not-valid', reason: 'revoked', background: COLOURS.bad });
      expect(view.heading).toContain('撤销');
      expect(view.text).toContain('李*四');
      expect(view.text).not.toContain('李小四');
      expect(view.text).not.toContain(HOLDER_ID);
    });

    it('shows a licence whose last day was yesterday in amber as expired', async () => {
      // On its last day it is valid. (Asked of the registry API, not the page: LicenceService.publicRecord
      // caches the status for a second of real time, which a ManualClock jump does not expire.)
      const registry = async () => ((await (await t.request(`/api/v1/licences/${licences.expired.identifier}`, { token: issuerToken })).json()) as { status: string }).status;
      expect(await registry()).toBe('valid');
      clock.advance(DAY);
      try {
        expect(await registry()).toBe('expired');
        const view = await citizenView(licences.expired.links.verify, 'citizen-expired.png');
        expect(view).toMatchObject({ verdict: 'not-valid', reason: 'expired', background: COLOURS.warn });
        expect(view.heading).toContain('失效');
        expect(view.text).toContain('本证照已超过有效期');
        expect(view.text).toContain('营业执照');
      } finally {
        clock.advance(-DAY);
      }
    });

    it('pdftoppm -r 150 + zbarimg read the QR address off the rendered licence, and it shows the right verdict', async () => {
      for (const [name, verdict] of [['valid', 'valid'], ['revoked', 'not-valid']] as const) {
        const stem = path.join(dir, `${name}-page`);
        await execFileAsync('pdftoppm', ['-r', '150', '-png', '-f', '1', '-l', '1', '-singlefile', files[name]!, stem]);
        const { stdout } = await execFileAsync('zbarimg', ['-q', '--raw', `${stem}.png`]);
        const decoded = stdout.split('\n').filter((line) => line !== '');
        expect(decoded).toEqual([licences[name].links.verify]);
        expect((await citizenView(decoded[0]!, `citizen-scanned-${name}.png`)).verdict).toBe(verdict);
      }
    });

    it('calls a token with one character of its signature changed not genuine', async () => {
      const url = new URL(licences.valid.links.verify);
      const [header, payload, signature] = url.pathname.slice('/v/'.length).split('.') as [string, string, string];
      const at = Math.floor(signature.length / 2);
      const tampered = `${header}.${payload}.${signature.slice(0, at)}${signature[at] === 'A' ? 'B' : 'A'}${signature.slice(at + 1)}`;
      const view = await citizenView(`${url.origin}/v/${tampered}`, 'citizen-tampered.png');
      expect(view).toMatchObject({ verdict: 'not-genuine', reason: 'bad-signature', heading: '无法确认为真实证照', background: COLOURS.bad });
      expect(view.text).not.toContain('张*三');
    });
  });

  describe('the verify page for accepting departments', () => {
    /** Opens /verify, types the key, chooses the file and waits for the answer to be shown. */
    async function verifyInBrowser(file: string, key: string, shot: string, lang = '', expectedHttpError?: number) {
      const page = await browser.newPage({ width: 1000, height: 900, mobile: false });
      try {
        await page.goto(`${server.baseUrl}/verify${lang}`);
        await page.waitFor(`document.documentElement.dataset.ready === 'true'`);
        await page.type('#api-key', key);
        await page.chooseFile('#pdf-file', file);
        await page.waitFor(`['done', 'error'].includes(document.getElementById('result').dataset.state)`);
        const view = await page.evaluate<{
          state: string;
          verdict: string | null;
          heading: string | null;
          background: string | null;
          text: string;
          openDetails: number;
          details: number;
          code: string | null;
          storedKey: string | null;
        }>(`(() => {
          const result = document.getElementById('result');
          const box = result.querySelector('section.verdict');
          return {
            state: result.dataset.state,
            verdict: box ? box.dataset.verdict : null,
            heading: box ? box.querySelector('h2').innerText : null,
            background: box ? getComputedStyle(box).backgroundColor : null,
            text: result.innerText,
            details: result.querySelectorAll('details').length,
            openDetails: result.querySelectorAll('details[open]').length,
            code: result.querySelector('.problem') ? result.querySelector('.problem').dataset.code || null : null,
            storedKey: sessionStorage.getItem('elt.verify.apiKey'),
          };
        })()`);
        await page.screenshot(path.join(shots, `${shot}.png`));
        if (view.details > 0) {
          await page.evaluate(`document.querySelectorAll('details').forEach((d) => { d.open = true; })`);
          await page.screenshot(path.join(shots, `${shot}-unfolded.png`));
        }
        const unfolded = await page.evaluate<string>(`document.getElementById('result').innerText`);
        // A refused upload is logged by the browser as a failed load; nothing else may be.
        const expected = expectedHttpError ? `status of ${expectedHttpError} ` : null;
        expect(page.problems.filter((problem) => !(expected && problem.includes(expected) && problem.includes('/api/v1/verify')))).toEqual([]);
        return { ...view, unfolded, url: await page.evaluate<string>('location.href') };
      } finally {
        await page.close();
      }
    }

    it('shows a good licence as 有效 in green, the registry facts, and the signature folded', async () => {
      const view = await verifyInBrowser(files.valid!, acceptorToken, 'verify-valid');
      expect(view).toMatchObject({ state: 'done', verdict: 'valid', heading: '有效', background: COLOURS.ok, openDetails: 0 });
      expect(view.details).toBeGreaterThanOrEqual(2); // one per signature, one for the document
      expect(view.text).toContain('残疾人证');
      expect(view.text).toContain(licences.valid.identifier);
      expect(view.text).toContain('是，与签发文件完全一致');
      // Unfolded: the signature's particulars.
      expect(view.unfolded).toContain('PAdES B-T');
      expect(view.unfolded).toMatch(/时间戳时间\s+\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/);
      expect(view.unfolded).toContain('签名时的证书状态');
      expect(view.unfolded).toMatch(/当前证书状态\s+正常 \(来源: 本地区证书状态服务/);
      // The key stays in the tab, out of the address.
      expect(view.storedKey).toBe(acceptorToken);
      expect(view.url).not.toContain(acceptorToken);
    });

    it('says the same in English', async () => {
      const view = await verifyInBrowser(files.valid!, acceptorToken, 'verify-valid-en', '?lang=en');
      expect(view).toMatchObject({ verdict: 'valid', heading: 'Valid', background: COLOURS.ok });
      expect(view.text).toContain('Yes, byte for byte');
    });

    it('shows a PDF with one byte changed inside the signed range as 无效 in red, saying why', async () => {
      const tampered = path.join(dir, 'tampered.pdf');
      await writeFile(tampered, flipByteInSignedRange(await readBytes(files.valid!)));
      // The API's own answer first, so a failure here is not blamed on the page.
      const api = await t.request('/api/v1/verify', { method: 'POST', token: acceptorToken, headers: { 'Content-Type': 'application/pdf' }, body: await readBytes(tampered) });
      const answer = (await api.json()) as { verdict: string; report: { subIndication?: string } };
      expect(answer.verdict).toBe('not-valid');

      const view = await verifyInBrowser(tampered, acceptorToken, 'verify-tampered');
      expect(view).toMatchObject({ state: 'done', verdict: 'not-valid', heading: '无效', background: COLOURS.bad });
      expect(view.text).toContain('签章 1：');
      expect(view.unfolded).toContain(answer.report.subIndication!);
    });

    it('shows a revoked licence as 无效 with the registry status', async () => {
      const view = await verifyInBrowser(files.revoked!, acceptorToken, 'verify-revoked');
      expect(view).toMatchObject({ verdict: 'not-valid', heading: '无效', background: COLOURS.bad });
      expect(view.text).toContain('证照当前状态：撤销');
    });

    it('shows a wrong key and a file that is not a PDF as readable errors with their code', async () => {
      const badKey = await verifyInBrowser(files.valid!, 'elt_not-a-real-key', 'verify-bad-key', '', 401);
      expect(badKey.state).toBe('error');
      expect(badKey.code).toMatch(/.+/);
      expect(badKey.text).toContain('无法核验');
      expect(badKey.text).toContain('请检查 API 密钥');
      expect(badKey.text).toContain(badKey.code!);
      expect(badKey.text).toContain('401');

      const text = path.join(dir, 'note.pdf');
      await writeFile(text, 'this is not a PDF\n');
      const notPdf = await verifyInBrowser(text, acceptorToken, 'verify-not-pdf', '', 400);
      expect(notPdf).toMatchObject({ state: 'error', code: 'UnusablePdf' });
      expect(notPdf.text).toContain('文件不是可以读取的 PDF。');
      expect(notPdf.text).toContain('400');
    });
  });
});

async function readBytes(file: string): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await readFile(file));
}

/** Changes one byte of the first stream's data inside the first signature's first byte range. */
function flipByteInSignedRange(pdf: Uint8Array): Uint8Array<ArrayBuffer> {
  const text = Buffer.from(pdf).toString('latin1');
  const byteRange = /\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/.exec(text);
  if (!byteRange) throw new Error('no /ByteRange');
  const firstEnd = Number(byteRange[1]) + Number(byteRange[2]);
  const stream = /stream\r?\n/g;
  let match: RegExpExecArray | null;
  while ((match = stream.exec(text))) {
    const at = match.index + match[0].length + 16;
    if (text.slice(match.index - 3, match.index) === 'end') continue;
    if (at < firstEnd) {
      const copy = new Uint8Array(pdf);
      copy[at] = copy[at]! ^ 0x01;
      return copy;
    }
  }
  throw new Error('no stream data inside the first byte range');
}

