// Test fixtures: the real relay (with its embedded simulator, or a separately started udesk-sim)
// on free loopback ports, a host-page server on another origin, the widget's page object, and
// screenshots under target/screenshots/.
//
// No mocks: every test talks to `udesk-relay` built from this repository, which talks to the
// simulator over real HTTP. Binaries: $UDESK_RELAY_BIN / $UDESK_SIM_BIN, else the newest of
// target/{debug,release}/ (or $CARGO_TARGET_DIR).
import { test as base, expect, type Locator, type Page, type TestInfo } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';

export { expect };

export const REPO = path.resolve(__dirname, '../..');
export const DIST = process.env.UDESK_WIDGET_DIR ?? path.join(REPO, 'dist');
export const SCREENSHOTS = path.join(REPO, 'target', 'screenshots');

/** The newest build of a workspace binary. */
export function binary(name: string, envVar: string): string {
  const given = process.env[envVar];
  if (given) return given;
  const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(REPO, 'target');
  const builds = ['debug', 'release']
    .map((profile) => path.join(targetDir, profile, name))
    .filter((p) => fs.existsSync(p))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  if (builds.length === 0) {
    throw new Error(`${name} is not built: run \`cargo build -p ${name}\` (or set ${envVar})`);
  }
  return builds[0];
}

/** Spawns a server and resolves with its base URL once it prints `<prefix> http://ADDR`. */
function startServer(
  command: string,
  args: string[],
  prefix: string,
  logFile: string,
): Promise<{ proc: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const log = fs.createWriteStream(logFile, { flags: 'a' });
    log.write(`$ ${command} ${args.join(' ')}\n`);
    const proc = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'info' },
    });
    let buffered = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${path.basename(command)} did not print "${prefix}" within 30 s (log: ${logFile})`));
    }, 30_000);
    proc.stdout!.on('data', (chunk: Buffer) => {
      log.write(chunk);
      buffered += chunk.toString();
      const match = buffered.match(new RegExp(`${prefix} (http://\\S+)`));
      if (match) {
        clearTimeout(timer);
        resolve({ proc, url: match[1] });
      }
    });
    proc.stderr!.on('data', (chunk: Buffer) => log.write(chunk));
    proc.on('exit', (code, signal) => {
      log.write(`\n[exited: code ${code}, signal ${signal}]\n`);
      clearTimeout(timer);
      reject(new Error(`${path.basename(command)} exited (code ${code}) before it was ready (log: ${logFile})`));
    });
  });
}

async function stopProcess(proc: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill(signal);
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 5_000));
  if ((await Promise.race([exited, timeout])) === 'timeout') {
    proc.kill('SIGKILL');
    await exited;
  }
}

/** JSON over HTTP, failing loudly on a non-2xx answer. */
export async function json<T = any>(url: string, init?: RequestInit): Promise<T> {
  const response = await fetch(url, {
    ...init,
    headers: { 'content-type': 'application/json', ...(init?.headers ?? {}) },
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: HTTP ${response.status} ${text}`);
  return text ? JSON.parse(text) : (undefined as T);
}

/** The simulator's console and admin API (what an agent and a test can do). */
export class SimApi {
  constructor(readonly base: string) {}

  admin<T = any>(what: string): Promise<T> {
    return json(`${this.base}/admin/${what}`);
  }

  /** Agent sessions of one customer, newest last. */
  async sessions(customerToken: string): Promise<any[]> {
    const all = await this.admin<any[]>('sessions');
    return all
      .filter((s) => s.customer_token === customerToken)
      .sort((a, b) => a.id - b.id);
  }

  /** The agent sends a message of any `type` with its `data`. */
  send(session: number, type: string, data: unknown): Promise<unknown> {
    return json(`${this.base}/console/api/send`, {
      method: 'POST',
      body: JSON.stringify({ im_sub_session_id: session, type, data }),
    });
  }

  say(session: number, text: string): Promise<unknown> {
    return this.send(session, 'message', { content: text });
  }

  pickUp(session: number, agentId: number): Promise<unknown> {
    return json(`${this.base}/console/api/pickup`, {
      method: 'POST',
      body: JSON.stringify({ im_sub_session_id: session, agent_id: agentId }),
    });
  }

  transfer(session: number, agentId: number): Promise<unknown> {
    return json(`${this.base}/console/api/transfer`, {
      method: 'POST',
      body: JSON.stringify({ im_sub_session_id: session, agent_id: agentId }),
    });
  }

  close(session: number): Promise<unknown> {
    return json(`${this.base}/console/api/close`, {
      method: 'POST',
      body: JSON.stringify({ im_sub_session_id: session }),
    });
  }

  inviteSurvey(session: number): Promise<unknown> {
    return json(`${this.base}/console/api/survey`, {
      method: 'POST',
      body: JSON.stringify({ im_sub_session_id: session }),
    });
  }

  setAgentOnline(agentId: number, online: boolean): Promise<unknown> {
    return json(`${this.base}/admin/agents/${agentId}`, {
      method: 'POST',
      body: JSON.stringify({ online }),
    });
  }
}

export interface RelayOptions {
  /** Extra flags for udesk-relay. */
  args?: string[];
  /** `--store`; default `memory`. */
  store?: string;
  /** Browser origins besides the relay's own. */
  allowedOrigins?: string[];
  /** A separately running simulator instead of the embedded one. */
  sim?: Sim;
  /** Fixed port (for restarts); default a free one. */
  port?: number;
  /** Where the relay keeps files it generates; default a fresh temporary directory. */
  dataDir?: string;
}

/** Stable secrets, so that a restarted relay accepts the tokens it issued before. */
export const SECRETS = ['--webhook-secret', 'browser-tests-webhook-secret', '--identity-secret', 'browser-tests-identity-secret'];

/** A running `udesk-relay`. */
export class Relay {
  private constructor(
    private proc: ChildProcess,
    readonly url: string,
    readonly sim: SimApi,
    private readonly argv: string[],
    private readonly logFile: string,
  ) {}

  static async start(options: RelayOptions, logFile: string): Promise<Relay> {
    const args = [
      '--listen',
      `127.0.0.1:${options.port ?? 0}`,
      '--store',
      options.store ?? 'memory',
      '--widget-dir',
      DIST,
      ...SECRETS,
      ...(options.allowedOrigins ?? []).flatMap((o) => ['--allowed-origin', o]),
      ...(options.sim
        ? // A relay in front of a separate simulator serves the demo page only when asked.
          ['--upstream', options.sim.url, '--udesk-email', Sim.EMAIL, '--udesk-token', Sim.TOKEN, '--demo-page']
        : // The embedded simulator's agent picks up and types faster than in the demo.
          ['--sim-pickup-delay-ms', '300', '--sim-reply-delay-ms', '200']),
      '--data-dir',
      options.dataDir ?? tempDirFor('relay-data'),
      ...(options.args ?? []),
    ];
    const relay = binary('udesk-relay', 'UDESK_RELAY_BIN');
    const { proc, url } = await startServer(relay, args, 'udesk-relay listening on', logFile);
    let simBase = options.sim?.url;
    if (!simBase) {
      const config = await json(`${url}/v1/config`);
      simBase = new URL(config.console_url).origin;
    }
    return new Relay(proc, url, new SimApi(simBase), args, logFile);
  }

  get port(): number {
    return Number(new URL(this.url).port);
  }

  /** Pushes a reply notification as Udesk would (for content the simulator does not produce). */
  pushWebhook(body: unknown): Promise<unknown> {
    return json(`${this.url}/webhooks/udesk/browser-tests-webhook-secret`, {
      method: 'POST',
      body: JSON.stringify(body),
    });
  }

  /** Stops gracefully (SIGTERM), or abruptly with `SIGKILL`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await stopProcess(this.proc, signal);
  }

  /** Starts the same relay again on the same port. */
  async restart(): Promise<void> {
    const args = this.argv.map((a) => (a === '127.0.0.1:0' ? `127.0.0.1:${this.port}` : a));
    const relay = binary('udesk-relay', 'UDESK_RELAY_BIN');
    const { proc } = await startServer(relay, args, 'udesk-relay listening on', this.logFile);
    this.proc = proc;
  }
}

/** A separately running `udesk-sim`, for tests that restart the relay while Udesk stays up. */
export class Sim {
  static readonly EMAIL = 'demo@udesk-chat.local';
  static readonly TOKEN = 'udesk-chat-demo-token';

  private constructor(private proc: ChildProcess, readonly url: string) {}

  get api(): SimApi {
    return new SimApi(this.url);
  }

  static async start(args: string[], logFile: string): Promise<Sim> {
    const sim = binary('udesk-sim', 'UDESK_SIM_BIN');
    const { proc, url } = await startServer(sim, ['--listen', '127.0.0.1:0', ...args], 'udesk-sim listening on', logFile);
    return new Sim(proc, url);
  }

  /** Points its webhooks at a relay. */
  async webhookTo(relay: Relay): Promise<void> {
    await json(`${this.url}/admin/webhook`, {
      method: 'POST',
      body: JSON.stringify({ url: `${relay.url}/webhooks/udesk/browser-tests-webhook-secret` }),
    });
  }

  async stop(): Promise<void> {
    await stopProcess(this.proc);
  }
}

/** A static server for host pages on its own origin (a different port than the relay). */
export class HostPages {
  private pages = new Map<string, string>();
  private constructor(private server: http.Server, readonly origin: string) {}

  static async start(): Promise<HostPages> {
    let self: HostPages | undefined;
    const server = http.createServer((req, res) => {
      const page = self?.pages.get(new URL(req.url ?? '/', 'http://x').pathname);
      if (page === undefined) {
        res.writeHead(404).end('not found');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    self = new HostPages(server, `http://127.0.0.1:${port}`);
    return self;
  }

  /** Serves `html` at `pathname`; returns its URL. */
  serve(pathname: string, html: string): string {
    this.pages.set(pathname, html);
    return `${this.origin}${pathname}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The widget, seen by a visitor (the locators pierce its open shadow root). */
export class Widget {
  readonly launcher: Locator;
  readonly badge: Locator;
  readonly panel: Locator;
  readonly messages: Locator;
  readonly input: Locator;
  readonly sendButton: Locator;
  readonly headerName: Locator;
  readonly headerStatus: Locator;
  readonly talkToPerson: Locator;
  readonly queueBanner: Locator;
  readonly noAgentBanner: Locator;
  readonly connectionBanner: Locator;
  readonly errorBanner: Locator;
  readonly liveRegion: Locator;

  constructor(readonly page: Page) {
    this.launcher = page.getByTestId('launcher');
    this.badge = page.getByTestId('unread-badge');
    this.panel = page.getByTestId('panel');
    this.messages = page.getByTestId('messages');
    this.input = page.getByTestId('composer-input');
    this.sendButton = page.getByTestId('send');
    this.headerName = page.getByTestId('header-name');
    this.headerStatus = page.getByTestId('header-status');
    this.talkToPerson = page.getByTestId('talk-to-person');
    this.queueBanner = page.getByTestId('queue-banner');
    this.noAgentBanner = page.getByTestId('no-agent-banner');
    this.connectionBanner = page.getByTestId('connection-banner');
    this.errorBanner = page.getByTestId('error-banner');
    this.liveRegion = page.getByTestId('live-region');
  }

  /** Opens the panel and waits for the first session (the robot's welcome). */
  async open(): Promise<void> {
    await this.launcher.click();
    await expect(this.panel).toBeVisible();
  }

  async openAndWaitForRobot(): Promise<void> {
    await this.open();
    await expect(this.replies().first()).toBeVisible();
  }

  /** Types and sends with Enter. */
  async send(text: string): Promise<void> {
    await this.input.fill(text);
    await this.input.press('Enter');
  }

  replies(): Locator {
    return this.messages.getByTestId('reply');
  }

  reply(text: string | RegExp): Locator {
    return this.replies().filter({ hasText: text });
  }

  visitorMessages(): Locator {
    return this.messages.getByTestId('visitor-message');
  }

  /** What the widget keeps in localStorage (visitor, session, transcript). */
  async saved(): Promise<any> {
    return this.page.evaluate(() => {
      const key = Object.keys(localStorage).find((k) => k.startsWith('udesk-chat:v1:'));
      return key ? JSON.parse(localStorage.getItem(key)!) : null;
    });
  }

  async customerToken(): Promise<string> {
    await expect.poll(async () => (await this.saved())?.visitor?.customer_token ?? null).not.toBeNull();
    return (await this.saved()).visitor.customer_token;
  }

  /** Asks for a person and waits until one has taken the conversation. */
  async reachAgent(sim: SimApi): Promise<number> {
    await this.talkToPerson.click();
    // The agent has picked up (start_session), not just been appointed.
    await expect(this.messages.locator('[data-testid="event"][data-kind="start_session"]')).toBeVisible({ timeout: 20_000 });
    await expect(this.headerStatus).toHaveText(/Support agent|客服/);
    // The widget knows the session's survey options: after a queue (2001 has none) it asks for
    // the session once more, and an agent closing before that request lands would get a new
    // session (see `sync_assigned_session` in src/app.rs). People do not close that fast.
    await expect(this.page.getByTestId('rate-service')).toBeVisible();
    const token = await this.customerToken();
    const sessions = await sim.sessions(token);
    expect(sessions.length).toBeGreaterThan(0);
    return sessions[sessions.length - 1].id;
  }
}

/** Saves a screenshot of the page for people to review: target/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
}

/** A host page that embeds the widget with one tag. */
export function hostPage(relayUrl: string, options: { attrs?: string; head?: string; body?: string } = {}): string {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Host page</title>
<meta name="viewport" content="width=device-width, initial-scale=1">${options.head ?? ''}</head>
<body>${options.body ?? '<h1>Host page</h1>'}
<script src="${relayUrl}/widget/embed.js" async ${options.attrs ?? ''}></script></body></html>`;
}

function logPath(testInfo: TestInfo, name: string): string {
  fs.mkdirSync(testInfo.outputDir, { recursive: true });
  return testInfo.outputPath(name);
}

type Fixtures = {
  relayOptions: RelayOptions;
  relay: Relay;
  widget: Widget;
  hostPages: HostPages;
  startRelay: (options?: RelayOptions) => Promise<Relay>;
  startSim: (args?: string[]) => Promise<Sim>;
};

export const test = base.extend<Fixtures>({
  relayOptions: [{}, { option: true }],

  // Every process a test starts is stopped after it, pass or fail.
  startRelay: async ({}, use, testInfo) => {
    const started: Relay[] = [];
    await use(async (options = {}) => {
      const relay = await Relay.start(options, logPath(testInfo, `relay-${started.length}.log`));
      started.push(relay);
      return relay;
    });
    await Promise.all(started.map((r) => r.stop()));
    for (const dir of tempDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  },

  startSim: async ({}, use, testInfo) => {
    const started: Sim[] = [];
    await use(async (args = []) => {
      const sim = await Sim.start(args, logPath(testInfo, `sim-${started.length}.log`));
      started.push(sim);
      return sim;
    });
    await Promise.all(started.map((s) => s.stop()));
  },

  relay: async ({ startRelay, relayOptions }, use) => {
    await use(await startRelay(relayOptions));
  },

  hostPages: async ({}, use) => {
    const pages = await HostPages.start();
    await use(pages);
    await pages.stop();
  },

  widget: async ({ page }, use, testInfo) => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await use(new Widget(page));
    // A panic or an uncaught exception in the widget fails the test that caused it.
    expect(errors, `uncaught errors in ${testInfo.title}`).toEqual([]);
  },
});

/** A free temporary directory for a test (SQLite files). */
export function tempDir(): string {
  return tempDirFor('udesk-browser');
}

/** Temporary directories of the running test, removed when it ends. */
const tempDirs: string[] = [];

function tempDirFor(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

/** Another visitor, straight through the relay's API (no browser): used to fill a queue. */
export async function otherVisitorAsksForAgent(
  relay: Relay,
  request: Record<string, unknown> = {},
): Promise<{ customerToken: string; answer: any }> {
  const visitor = await json(`${relay.url}/v1/visitor`, { method: 'POST', body: '{}' });
  const answer = await json(`${relay.url}/v1/sessions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${visitor.token}` },
    body: JSON.stringify({ assign_type: 'agent', ...request }),
  });
  return { customerToken: visitor.customer_token, answer };
}
