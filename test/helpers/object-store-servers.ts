import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** A local object-store server started for a test; `stop()` kills it and removes its files. */
export interface LocalServer {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

const canConnect = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });

async function startProcess(
  name: string,
  command: string,
  args: string[],
  port: number,
  options: { env?: NodeJS.ProcessEnv; cwd?: string; cleanup?: () => Promise<void> } = {},
): Promise<LocalServer> {
  const cleanup = options.cleanup ?? (async () => {});
  const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ["ignore", "ignore", "pipe"] });
  running.add(child);
  let stderr = "";
  child.stderr?.on("data", (d) => (stderr = (stderr + d).slice(-4000)));
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once("exit", () => {
      exited = true;
      running.delete(child);
      resolve();
    }),
  );
  const stop = async (): Promise<void> => {
    if (!exited) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
      await exit;
      clearTimeout(timer);
    }
    await cleanup();
  };
  const deadline = Date.now() + 30_000;
  while (!(await canConnect(port))) {
    if (exited || Date.now() > deadline) {
      await stop();
      throw new Error(`${name} did not start on port ${port}${exited ? ` (exited with ${child.exitCode})` : ""}:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { endpoint: `http://127.0.0.1:${port}`, port, stop };
}

/** Why moto cannot run here, or `undefined` when `python3 -c "import moto.server"` works. */
export function motoUnavailable(): string | undefined {
  const probe = spawnSync("python3", ["-c", "import moto.server, werkzeug"], { encoding: "utf8" });
  if (probe.error !== undefined) return `python3 is not installed (${probe.error.message})`;
  if (probe.status !== 0) return `python3 cannot import moto (install it with \`pip install "moto[server]"\`): ${probe.stderr.trim().split("\n").at(-1)}`;
  return undefined;
}

/**
 * moto's S3 in server mode, serving one request at a time: moto checks a conditional write and
 * stores the object in two steps, so its threaded server lets racing writers both pass the
 * check; real S3 decides each conditional write atomically, which a serial server reproduces.
 */
export async function startMoto(): Promise<LocalServer> {
  const port = await freePort();
  const script = [
    "import sys",
    "from werkzeug.serving import run_simple",
    "from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app",
    "run_simple('127.0.0.1', int(sys.argv[1]), DomainDispatcherApplication(create_backend_app), threaded=False)",
  ].join("\n");
  return startProcess("moto", "python3", ["-c", script, String(port)], port, { env: { MOTO_PORT: String(port) } });
}

const AZURITE_BIN = fileURLToPath(new URL("../../node_modules/azurite/dist/src/blob/main.js", import.meta.url));

/** Why Azurite cannot run here, or `undefined`. */
export function azuriteUnavailable(): string | undefined {
  const probe = spawnSync(process.execPath, ["-e", `require("fs").accessSync(${JSON.stringify(AZURITE_BIN)})`]);
  return probe.status === 0 ? undefined : `azurite is not installed (npm devDependency missing: ${AZURITE_BIN})`;
}

/** Azurite's account `devstoreaccount1` and its published development key. */
export const AZURITE_ACCOUNT = "devstoreaccount1";
const AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/** Connection string of an Azurite blob endpoint. */
export const azuriteConnectionString = (endpoint: string): string =>
  `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=${endpoint}/${AZURITE_ACCOUNT};`;

/** Azurite's blob service in memory, on a free port. */
export async function startAzurite(): Promise<LocalServer> {
  const port = await freePort();
  const dir = await mkdtemp(path.join(tmpdir(), "mlops-azurite-"));
  return startProcess(
    "azurite",
    process.execPath,
    [AZURITE_BIN, "--blobHost", "127.0.0.1", "--blobPort", String(port), "--inMemoryPersistence", "--skipApiVersionCheck", "--loose", "--silent", "--disableTelemetry"],
    port,
    // In memory, Azurite takes no --location; its working directory still receives a debug-free, empty workspace.
    { cwd: dir, cleanup: () => rm(dir, { recursive: true, force: true }) },
  );
}

/** What {@link startFaultProxy} does with one request. */
export type FaultAction =
  | { kind: "forward" }
  /** Answers without contacting the upstream server. */
  | { kind: "reply"; status: number; headers?: Record<string, string>; body: string }
  /** Forwards the request (so it takes effect), then drops the answer and replies this instead: a lost response. */
  | { kind: "forward-then-reply"; status: number; headers?: Record<string, string>; body: string };

/** A proxy in front of a local server that can inject faults, request by request. */
export interface FaultProxy extends LocalServer {
  /** Decides each request's fate; reset to forward-all with `() => ({ kind: "forward" })`. */
  rule: (req: { method: string; url: string; headers: Record<string, string | string[] | undefined> }) => FaultAction;
}

/** Starts a fault-injecting HTTP proxy to `target` (e.g. moto's endpoint). */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const { createServer: createHttpServer, request } = await import("node:http");
  const upstream = new URL(target);
  const proxy: FaultProxy = {
    endpoint: "",
    port: 0,
    rule: () => ({ kind: "forward" }),
    stop: async () => {},
  };
  const server = createHttpServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const action = proxy.rule({ method: req.method ?? "GET", url: req.url ?? "/", headers: req.headers });
    const reply = (a: { status: number; headers?: Record<string, string>; body: string }) => {
      res.writeHead(a.status, { "content-type": "application/xml", ...a.headers });
      res.end(a.body);
    };
    if (action.kind === "reply") return reply(action);
    const forwarded = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        if (action.kind === "forward-then-reply") {
          up.resume();
          up.on("end", () => reply(action));
          return;
        }
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    forwarded.on("error", (err) => reply({ status: 502, body: String(err) }));
    forwarded.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  proxy.port = typeof address === "object" && address !== null ? address.port : 0;
  proxy.endpoint = `http://127.0.0.1:${proxy.port}`;
  proxy.stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy;
}
