import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";

/** One alert of an Alertmanager webhook notification. */
const alert = z.object({
  status: z.enum(["firing", "resolved"]),
  labels: z.record(z.string(), z.string()).refine((l) => typeof l.alertname === "string" && l.alertname !== "", { message: "must have an alertname" }),
  annotations: z.record(z.string(), z.string()).optional(),
  startsAt: z.string().optional(),
  endsAt: z.string().optional(),
  fingerprint: z.string().optional(),
});

/** Alertmanager's webhook payload, version 4 (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config); unknown fields are allowed. */
export const alertmanagerPayload = z.object({
  version: z.literal("4"),
  status: z.enum(["firing", "resolved"]),
  alerts: z.array(alert),
  receiver: z.string().optional(),
  groupKey: z.string().optional(),
});

/** A parsed Alertmanager notification. */
export type AlertmanagerPayload = z.output<typeof alertmanagerPayload>;

/** Options of {@link AlertWebhook}. */
export interface AlertWebhookOptions {
  /** Called once per model named by a firing alert's `model` label (an alert without one wakes nobody). */
  wake: (model: string, alertnames: string[]) => void;
  /** Largest accepted request body in bytes. @default 1048576 */
  maxBodyBytes?: number;
}

/**
 * The HTTP endpoint Alertmanager posts drift (and other) alerts to: `POST /alerts` with a v4
 * webhook payload wakes the controller of each model named by a firing alert's `model` label, so
 * it runs a pass now instead of at its next interval. Answers 200 `{"woken": [models]}`, 400
 * `{"error"}` naming the bad field, 404 for other paths, 405 for other methods, 413 for bodies over
 * the limit. Resolved alerts wake nobody.
 */
export class AlertWebhook {
  readonly server: Server;
  readonly #wake: AlertWebhookOptions["wake"];
  readonly #maxBodyBytes: number;

  constructor(options: AlertWebhookOptions) {
    this.#wake = options.wake;
    this.#maxBodyBytes = options.maxBodyBytes ?? 1 << 20;
    this.server = createServer((req, res) => this.#handle(req, res));
  }

  /** Listens on `host:port` (port 0 = any free port); resolves with the address. */
  listen(host: string, port: number): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => {
        this.server.off("error", reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /** Stops listening and closes open connections. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /** The models a payload wakes: those named by its firing alerts' `model` labels, with their alert names. */
  static modelsToWake(payload: AlertmanagerPayload): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const a of payload.alerts) {
      const model = a.labels.model;
      if (a.status !== "firing" || !model) continue;
      out.set(model, [...(out.get(model) ?? []), a.labels.alertname!]);
    }
    return out;
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname !== "/alerts") return send(404, { error: `no route ${req.method} ${url.pathname}; Alertmanager posts to /alerts` });
    if (req.method !== "POST") {
      res.setHeader("allow", "POST");
      return send(405, { error: `method ${req.method} not allowed on /alerts; use POST` });
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > this.#maxBodyBytes) tooLarge = true;
      else chunks.push(c);
    });
    req.on("end", () => {
      if (tooLarge) return send(413, { error: `request body over ${this.#maxBodyBytes} bytes` });
      let json: unknown;
      try {
        json = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch (err) {
        return send(400, { error: `body is not JSON: ${(err as Error).message}` });
      }
      const parsed = alertmanagerPayload.safeParse(json);
      if (!parsed.success) {
        return send(400, { error: `not an Alertmanager v4 webhook payload: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`).join("; ")}` });
      }
      const woken = AlertWebhook.modelsToWake(parsed.data);
      for (const [model, names] of woken) this.#wake(model, names);
      send(200, { woken: [...woken.keys()] });
    });
  }
}
