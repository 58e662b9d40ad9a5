// Run by the component package's prepack: copies the runtime image's build context (the files
// IMAGE_INPUTS names, from the repository root) into components/image/, which the package ships,
// so an installed pulumi-mlops builds the same image a checkout does.
import { cpSync, existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { IMAGE_INPUTS } from "../kubernetes/runtime-image.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const out = fileURLToPath(new URL("../image/", import.meta.url));
rmSync(out, { recursive: true, force: true });
for (const input of IMAGE_INPUTS) {
  const from = join(root, input);
  if (!existsSync(from)) throw new Error(`write-image-context: ${input} is missing from ${root}; run npm pack from a pulumi-mlops checkout`);
  cpSync(from, join(out, input), { recursive: true, filter: (f) => !f.endsWith(".map") });
}
process.stdout.write(`write-image-context: ${IMAGE_INPUTS.length} inputs → ${out}\n`);
