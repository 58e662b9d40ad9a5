// npm links the bins of dependencies into node_modules/.bin but never the package's own, so in
// a checkout `npx mlops` would go looking in the registry. Run as the `prepare` script (npm ci
// and npm install run it for the root package only), it links runtime/bin/mlops.js there.
import { mkdir, rm, symlink } from "node:fs/promises";
import { fileURLToPath } from "node:url";

const root = new URL("../../", import.meta.url);
const binDir = fileURLToPath(new URL("node_modules/.bin/", root));
const link = `${binDir}mlops`;
await mkdir(binDir, { recursive: true });
await rm(link, { force: true });
await symlink("../../runtime/bin/mlops.js", link);
