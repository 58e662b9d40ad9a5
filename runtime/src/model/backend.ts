import { existsSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import util from "node:util";
import * as tf from "./tf.ts";
import { describeError, mlopsError } from "../errors.ts";

/** TensorFlow.js backends in the order the runtime prefers them. */
export const BACKENDS = ["tfjs-node-gpu", "tfjs-node", "wasm", "cpu"] as const;
/** A TensorFlow.js backend the runtime can run on. */
export type BackendName = (typeof BACKENDS)[number];

/** The backend in use and why the faster ones were passed over. */
export interface BackendChoice {
  name: BackendName;
  /** Backends tried before this one, with the reason each was not used. */
  skipped: { name: BackendName; reason: string }[];
}

const require = createRequire(import.meta.url);
let chosen: Promise<BackendChoice> | undefined;

/**
 * Picks and initialises the TensorFlow.js backend once per process: tfjs-node-gpu → tfjs-node
 * → wasm → cpu, or exactly `preferred` (MLOPS_BACKEND) when set, failing if it cannot load.
 */
export function initBackend(preferred: string | undefined = process.env.MLOPS_BACKEND): Promise<BackendChoice> {
  chosen ??= choose(preferred);
  return chosen;
}

async function choose(preferred: string | undefined): Promise<BackendChoice> {
  if (preferred !== undefined && preferred !== "" && !(BACKENDS as readonly string[]).includes(preferred)) {
    throw mlopsError("MLOPS_ERR_MODEL_BACKEND", { backend: preferred, reason: `unknown backend; choose one of ${BACKENDS.join(", ")}` });
  }
  const order = preferred ? [preferred as BackendName] : BACKENDS;
  const skipped: BackendChoice["skipped"] = [];
  for (const name of order) {
    try {
      await activate(name);
      return { name, skipped };
    } catch (err) {
      if (preferred) throw mlopsError("MLOPS_ERR_MODEL_BACKEND", { backend: name, reason: describeError(err) }, { cause: err });
      skipped.push({ name, reason: describeError(err).split("\n")[0] ?? "failed" });
    }
  }
  throw mlopsError("MLOPS_ERR_MODEL_BACKEND", { backend: "cpu", reason: "no backend could be initialised" });
}

async function activate(name: BackendName): Promise<void> {
  if (name === "tfjs-node-gpu" || name === "tfjs-node") {
    // tfjs-node 4.22 calls util.isNullOrUndefined, removed in Node 23 (tensorflow/tfjs#8609).
    const u = util as unknown as Record<string, unknown>;
    u.isNullOrUndefined ??= (v: unknown) => v === null || v === undefined;
    assertAddonBuilt(name);
    // tfjs-node's binary loader parses process.argv as its own options (our --dir reads as its
    // --directory), so it must not see the CLI's arguments while it loads.
    const argv = process.argv;
    process.argv = argv.slice(0, 2);
    // TensorFlow's C++ start-up chatter (CPU feature notes) goes to stderr unless asked not to.
    process.env.TF_CPP_MIN_LOG_LEVEL ??= "2";
    try {
      require(`@tensorflow/${name}`);
    } finally {
      process.argv = argv;
    }
    if (!(await tf.setBackend("tensorflow"))) throw new Error("the tensorflow backend did not initialise");
    if (name === "tfjs-node-gpu" && !gpuVisible()) throw new Error("no CUDA device is visible");
    return;
  }
  if (name === "wasm") await import("@tensorflow/tfjs-backend-wasm");
  if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend("${name}") returned false`);
  await tf.ready();
}

/**
 * tfjs-node's install script downloads libtensorflow and builds its addon; where that did not
 * happen, requiring the package half-registers its kernels before failing, so check first.
 */
function assertAddonBuilt(name: BackendName): void {
  let dir: string;
  try {
    dir = path.dirname(require.resolve(`@tensorflow/${name}/package.json`));
  } catch {
    throw new Error(`@tensorflow/${name} is not installed`);
  }
  const lib = path.join(dir, "lib");
  const built = existsSync(lib) && readdirSync(lib).some((d) => d.startsWith("napi-v") && existsSync(path.join(lib, d, "tfjs_binding.node")));
  if (!built) throw new Error(`@tensorflow/${name} is installed but its native addon is not built (its install script downloads libtensorflow)`);
}

/** tfjs-node-gpu loads on machines without a GPU and silently runs on the CPU; ask TensorFlow what it sees. */
function gpuVisible(): boolean {
  try {
    const binding = (tf.backend() as unknown as { binding?: { isUsingGpuDevice?: () => boolean } }).binding;
    return binding?.isUsingGpuDevice?.() ?? false;
  } catch {
    return false;
  }
}

export { tf };
