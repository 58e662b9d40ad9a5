// Runs the benchmarks one after another, each in its own process (about 4 minutes on 2 cores).
// usage: node bench/run.ts [serving] [model-call] [batch-scoring] [training]   (default: all)
// Extra flags (e.g. --registry <dir>) are passed to each benchmark.
// Run on demand only (npm run bench), never in CI: the numbers depend on the machine.
import { spawn } from "node:child_process";
import path from "node:path";
import { ROOT, machineLine } from "./lib.ts";

const ALL = ["serving", "model-call", "batch-scoring", "training"];
const picked = process.argv.slice(2).filter((a) => ALL.includes(a));
const passed = process.argv.slice(2).filter((a) => !ALL.includes(a));
const names = picked.length ? picked : ALL;

console.log(`${machineLine()}\n`);
const failed: string[] = [];
const started = performance.now();
for (const name of names) {
  const t0 = performance.now();
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, "bench", `${name}.ts`), ...passed], { cwd: ROOT, stdio: "inherit" });
    child.on("close", resolve);
  });
  console.log(`\n(${name}: ${((performance.now() - t0) / 1000).toFixed(0)} s${code === 0 ? "" : `, exit ${code}`})\n`);
  if (code !== 0) failed.push(name);
}
console.log(`all done in ${((performance.now() - started) / 1000).toFixed(0)} s${failed.length ? `; failed: ${failed.join(", ")}` : ""}`);
process.exitCode = failed.length ? 1 : 0;
