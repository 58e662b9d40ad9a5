import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

/**
 * The SDKs whose package root imports (and types) every one of their modules: a consumer's `tsc`
 * loads all their declarations as soon as one file imports the root. The components import them
 * module by module through components/{aws,gcp,azure,kubernetes}/sdk.ts instead.
 */
export const SDK_ROOTS = ["@pulumi/aws", "@pulumi/gcp", "@pulumi/azure-native", "@pulumi/kubernetes"];
/** Modules of @pulumi/kubernetes whose declarations import every API group too (yaml; helm and helm/v3 through v3's Chart). */
const ROOT_LIKE = String.raw`@pulumi/kubernetes/(?:yaml|helm|helm/v3)(?:/index(?:\.js)?)?`;

// `from "x"`, `import "x"`, `import("x")`, `require("x")` where x is exactly a root (no subpath) or root-like.
const roots = [...SDK_ROOTS, ROOT_LIKE].join("|");
const rootImport = new RegExp(String.raw`(?:\bfrom\s*|^\s*import\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)(["'])(${roots})\1`, "gm");

/**
 * `path:line: "specifier"` (path relative to `relativeTo`) for every import of an SDK root in the
 * files under `dir` whose names end with one of `suffixes`; node_modules and `skip` (top-level
 * folder names of `dir`) are not searched.
 */
export function sdkRootImports(dir: string, suffixes: string[], relativeTo: string, skip: string[] = []): string[] {
  const found: string[] = [];
  for (const rel of readdirSync(dir, { recursive: true, encoding: "utf8" })) {
    const parts = rel.split(path.sep);
    if (parts.includes("node_modules") || skip.includes(parts[0]!) || !suffixes.some((s) => rel.endsWith(s))) continue;
    const file = path.join(dir, rel);
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(rootImport)) {
      const line = text.slice(0, m.index).split("\n").length;
      found.push(`${path.relative(relativeTo, file)}:${line}: "${m[2]}"`);
    }
  }
  return found.sort();
}
