import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { CRC32C } from "@google-cloud/storage";

/**
 * The subset of the GCS JSON API that GcsStorage uses, with GCS's documented semantics:
 * multipart uploads (`uploadType=multipart`) with `ifGenerationMatch` (0 = must not exist;
 * otherwise the live generation must equal it; else 412), a new generation per write, media
 * download with `x-goog-generation` and `x-goog-hash` (byte ranges answered 206), object metadata, objects.list with
 * `prefix`, `maxResults` and `pageToken` (names in byte order), delete (404 when absent).
 * Not covered: authentication, resumable uploads, versioned buckets, metageneration.
 */
export interface FakeGcsServer {
  /** Base URL for STORAGE_EMULATOR_HOST, e.g. `http://127.0.0.1:40123`. */
  endpoint: string;
  /** Buckets that exist; requests to others answer 404. */
  buckets: Set<string>;
  /** Applies the next `n` uploads but answers them 503, as when a response is lost after a write. */
  loseUploadResponses(n: number): void;
  /** Requests served, by `METHOD kind` (upload, media, metadata, list, delete); `POST upload-started` counts uploads as they arrive, before their body. */
  requests: Map<string, number>;
  stop(): Promise<void>;
}

interface StoredGcsObject {
  data: Buffer;
  generation: number;
  metadata: Record<string, string>;
  contentType: string;
  updated: string;
}

/** Starts the fake on a free loopback port. */
export async function startFakeGcs(buckets: string[] = []): Promise<FakeGcsServer> {
  const objects = new Map<string, Map<string, StoredGcsObject>>();
  const known = new Set(buckets);
  const requests = new Map<string, number>();
  let generationClock = Date.now() * 1000;
  let lose = 0;

  const error = (res: ServerResponse, code: number, message: string): void => {
    res.writeHead(code, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: { code, message, errors: [{ message, reason: code === 412 ? "conditionNotMet" : code === 404 ? "notFound" : "backendError" }] } }));
  };
  const resource = (bucket: string, name: string, o: StoredGcsObject) => ({
    kind: "storage#object",
    id: `${bucket}/${name}/${o.generation}`,
    name,
    bucket,
    generation: String(o.generation),
    metageneration: "1",
    contentType: o.contentType,
    size: String(o.data.length),
    md5Hash: createHash("md5").update(o.data).digest("base64"),
    crc32c: crc32cOf(o.data),
    metadata: o.metadata,
    updated: o.updated,
    timeCreated: o.updated,
  });
  const json = (res: ServerResponse, body: unknown): void => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method === "POST" && (req.url ?? "").startsWith("/upload/")) requests.set("POST upload-started", (requests.get("POST upload-started") ?? 0) + 1);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? "/", "http://x");
    // Accept both base URLs the SDK builds: `<host>/b/...` (STORAGE_EMULATOR_HOST) and `<host>/storage/v1/b/...`.
    let p = url.pathname;
    const upload = p.startsWith("/upload/");
    p = p.replace(/^\/upload/, "").replace(/^\/download/, "").replace(/^\/storage\/v1/, "");
    const m = /^\/b\/([^/]+)\/o(?:\/(.+))?$/.exec(p);
    if (m === null) return error(res, 404, `no route ${req.method} ${url.pathname}`);
    const bucket = decodeURIComponent(m[1] ?? "");
    if (!known.has(bucket)) return error(res, 404, `bucket ${bucket} not found`);
    const store = objects.get(bucket) ?? new Map<string, StoredGcsObject>();
    objects.set(bucket, store);
    const count = (kind: string) => requests.set(`${req.method} ${kind}`, (requests.get(`${req.method} ${kind}`) ?? 0) + 1);

    if (upload && req.method === "POST") {
      count("upload");
      if (url.searchParams.get("uploadType") !== "multipart") return error(res, 400, "only uploadType=multipart is implemented");
      const boundary = /boundary="?([^";]+)"?/.exec(req.headers["content-type"] ?? "")?.[1];
      if (boundary === undefined) return error(res, 400, "multipart body without boundary");
      const parts = splitMultipart(body, boundary);
      const meta = JSON.parse(parts[0]?.toString("utf8") ?? "{}") as { name?: string; metadata?: Record<string, string>; contentType?: string };
      const name = url.searchParams.get("name") ?? meta.name;
      if (name === undefined || parts[1] === undefined) return error(res, 400, "upload without name or media part");
      const current = store.get(name);
      const cond = url.searchParams.get("ifGenerationMatch");
      if (cond !== null) {
        const want = Number(cond);
        if (want === 0 ? current !== undefined : current?.generation !== want) return error(res, 412, "At least one of the pre-conditions you specified did not hold.");
      }
      generationClock = Math.max(generationClock + 1, Date.now() * 1000);
      const object = { data: parts[1], generation: generationClock, metadata: meta.metadata ?? {}, contentType: meta.contentType ?? "application/octet-stream", updated: new Date().toISOString() };
      store.set(name, object);
      if (lose > 0) {
        lose--;
        return error(res, 503, "injected: response lost after the write");
      }
      return json(res, resource(bucket, name, object));
    }
    const objectPath = m[2];
    if (objectPath === undefined) {
      if (req.method !== "GET") return error(res, 405, "method not allowed");
      count("list");
      const prefix = url.searchParams.get("prefix") ?? "";
      const max = Math.min(Number(url.searchParams.get("maxResults") ?? "1000") || 1000, 1000);
      const after = url.searchParams.get("pageToken");
      const startAfter = after === null ? undefined : Buffer.from(after, "base64url").toString("utf8");
      const names = [...store.keys()]
        .filter((n) => n.startsWith(prefix) && (startAfter === undefined || Buffer.compare(Buffer.from(n), Buffer.from(startAfter)) > 0))
        .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      const page = names.slice(0, max);
      const last = page.at(-1);
      return json(res, {
        kind: "storage#objects",
        items: page.map((n) => resource(bucket, n, store.get(n) as StoredGcsObject)),
        ...(names.length > max && last !== undefined ? { nextPageToken: Buffer.from(last).toString("base64url") } : {}),
      });
    }
    const name = decodeURIComponent(objectPath);
    const object = store.get(name);
    if (req.method === "DELETE") {
      count("delete");
      if (object === undefined) return error(res, 404, `No such object: ${bucket}/${name}`);
      store.delete(name);
      res.writeHead(204);
      return void res.end();
    }
    if (req.method !== "GET") return error(res, 405, "method not allowed");
    const wanted = url.searchParams.get("generation");
    if (object === undefined || (wanted !== null && Number(wanted) !== object.generation)) {
      count(url.searchParams.get("alt") === "media" ? "media" : "metadata");
      return error(res, 404, `No such object: ${bucket}/${name}`);
    }
    if (url.searchParams.get("alt") === "media") {
      count("media");
      const range = /^bytes=(\d+)-(\d*)$/.exec(String(req.headers.range ?? ""));
      if (range) {
        // GCS answers a byte range with 206 and the object's generation, like a full download.
        const start = Number(range[1]);
        const end = range[2] === "" ? object.data.length - 1 : Math.min(Number(range[2]), object.data.length - 1);
        const part = object.data.subarray(start, end + 1);
        res.writeHead(206, {
          "content-type": object.contentType,
          "content-length": String(part.length),
          "content-range": `bytes ${start}-${end}/${object.data.length}`,
          "x-goog-generation": String(object.generation),
          "x-goog-stored-content-encoding": "identity",
          "x-goog-stored-content-length": String(object.data.length),
        });
        return void res.end(part);
      }
      res.writeHead(200, {
        "content-type": object.contentType,
        "content-length": String(object.data.length),
        "x-goog-generation": String(object.generation),
        "x-goog-metageneration": "1",
        "x-goog-stored-content-encoding": "identity",
        "x-goog-stored-content-length": String(object.data.length),
        "x-goog-hash": `crc32c=${crc32cOf(object.data)},md5=${createHash("md5").update(object.data).digest("base64")}`,
      });
      return void res.end(object.data);
    }
    count("metadata");
    return json(res, resource(bucket, name, object));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => error(res, 500, String(err)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    buckets: known,
    requests,
    loseUploadResponses: (n) => {
      lose = n;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The bodies of a multipart/related payload, headers stripped. */
function splitMultipart(body: Buffer, boundary: string): Buffer[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Buffer[] = [];
  let start = body.indexOf(delimiter);
  while (start !== -1) {
    const next = body.indexOf(delimiter, start + delimiter.length);
    if (next === -1) break;
    const part = body.subarray(start + delimiter.length, next);
    const headerEnd = part.indexOf("\r\n\r\n");
    if (headerEnd !== -1) {
      // The part ends with the CRLF that precedes the next delimiter.
      parts.push(Buffer.from(part.subarray(headerEnd + 4, part.length - 2)));
    }
    start = next;
  }
  return parts;
}

function crc32cOf(data: Buffer): string {
  const crc = new CRC32C();
  crc.update(data);
  return crc.toString();
}
