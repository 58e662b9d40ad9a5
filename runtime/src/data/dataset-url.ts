import path from "node:path";
import { fileURLToPath } from "node:url";
import { MlopsError, mlopsError } from "../errors.ts";
import { type ObjectStoreLocation, parseObjectStoreUrl } from "../registry/object-store-location.ts";

/** Where a dataset's bytes live. */
export type DatasetScheme = "file" | "s3" | "gs" | "az" | "https";

/**
 * A parsed dataset URL: one object, every dataset file directly under a prefix (`s3://b/in/`, a
 * local directory), or those whose name matches a glob in the last segment (`gs://b/in/part-*.parquet`).
 */
export interface DatasetLocation {
  scheme: DatasetScheme;
  /** The URL or path as given. */
  url: string;
  /** What it names. */
  select: { kind: "object"; name: string } | { kind: "prefix"; dir: string } | { kind: "glob"; dir: string; pattern: RegExp; glob: string };
  /** Bucket, account and container for s3://, gs:// and az://. */
  store?: ObjectStoreLocation;
  /** Origin (`https://host[:port]`) for https:// and loopback http://. */
  origin?: string;
}

const GLOB = /[*?[]/;

/**
 * Parses a dataset location: a local path or `file://` URL, `s3://bucket/key`, `gs://bucket/key`,
 * `az://account/container/key`, or `https://host/path` (read-only; `http://` only to a loopback
 * host). A trailing `/` (or an existing local directory, decided by the caller) names a prefix; `*`,
 * `?` or `[...]` in the last segment a glob. Throws MLOPS_ERR_CONFIG_INVALID naming the URL and
 * every problem.
 */
export function parseDatasetUrl(url: string, role = "dataset"): DatasetLocation {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url)?.[1]?.toLowerCase();
  const invalid = (issues: string[]) => mlopsError("MLOPS_ERR_CONFIG_INVALID", { source: `${role} URL`, issues: issues.map((i) => `${url}: ${i}`) });
  if (scheme === undefined || scheme === "file") {
    let p: string;
    try {
      p = scheme === "file" ? fileURLToPath(url) : url;
    } catch (err) {
      throw invalid([(err as Error).message]);
    }
    if (p === "") throw invalid(["the path is empty"]);
    // Relative paths stay relative (resolved by the filesystem against the working directory), so messages show them as given.
    const dirLike = /[/\\]$/.test(p);
    const name = dirLike ? p.replace(/[/\\]+$/, "") || path.sep : p;
    return { scheme: "file", url: p, select: selection(name, dirLike, path.sep) };
  }
  if (scheme === "s3" || scheme === "gs" || scheme === "az") {
    let store: ObjectStoreLocation;
    try {
      store = parseObjectStoreUrl(url);
    } catch (err) {
      if (err instanceof MlopsError && err.code === "MLOPS_ERR_CONFIG_INVALID") throw mlopsError("MLOPS_ERR_CONFIG_INVALID", { source: `${role} URL`, issues: err.params.issues as string[] });
      throw err;
    }
    const key = store.prefix.replace(/\/$/, "");
    const dirLike = url.endsWith("/") || key === "";
    return { scheme, url, store, select: selection(key, dirLike, "/") };
  }
  if (scheme === "https" || scheme === "http") {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch (err) {
      throw invalid([(err as Error).message]);
    }
    const loopback = ["127.0.0.1", "localhost", "[::1]"].includes(parsed.hostname) || /^127\./.test(parsed.hostname);
    if (scheme === "http" && !loopback) throw invalid(["plain http:// is only accepted for a loopback host; use https://"]);
    if (GLOB.test(decodeURIComponent(parsed.pathname)) || parsed.pathname.endsWith("/")) throw invalid(["an https:// dataset names one file: prefixes and globs cannot be listed over HTTP"]);
    return { scheme: "https", url, origin: parsed.origin, select: { kind: "object", name: `${parsed.pathname}${parsed.search}` } };
  }
  throw invalid([`${scheme}:// is not a dataset location; use a path, file://, s3://, gs://, az:// or https://`]);
}

function selection(name: string, dirLike: boolean, sep: string): DatasetLocation["select"] {
  if (dirLike) return { kind: "prefix", dir: name === "" ? "" : `${name}${sep}` };
  const cut = name.lastIndexOf(sep);
  const base = name.slice(cut + 1);
  if (GLOB.test(name.slice(0, cut + 1))) {
    throw mlopsError("MLOPS_ERR_CONFIG_INVALID", { source: "dataset URL", issues: [`${name}: a glob may only appear in the last path segment`] });
  }
  if (!GLOB.test(base)) return { kind: "object", name };
  return { kind: "glob", dir: name.slice(0, cut + 1), pattern: globPattern(base), glob: base };
}

/** A RegExp for a shell glob of one path segment: `*`, `?` and `[abc]` / `[!abc]`. */
export function globPattern(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = glob.indexOf("]", i + 2);
      if (end < 0) re += "\\[";
      else {
        const body = glob.slice(i + 1, end);
        re += `[${body.startsWith("!") ? `^${body.slice(1)}` : body}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

/** The URL of object `name` in the store a location points into (what error messages and lineage show). */
export function objectUrl(location: DatasetLocation, name: string): string {
  if (location.scheme === "file") return name;
  if (location.scheme === "https") return `${location.origin}${name}`;
  const s = location.store!;
  return `${s.scheme}://${s.account === undefined ? "" : `${s.account}/`}${s.bucket}/${name}`;
}
