import type { FastifyReply } from "fastify";
import { SERVE, encodeRows } from "../data/preprocessor.ts";
import { mlopsError, showValue } from "../errors.ts";
import { EXACT_MAX_FEATURES, EXPLAIN_DEFAULTS, EXPLAIN_METHODS, type ExplainMethod, type ExplainOptions, type ExplainReference, IMPORTANCE_JSON, explainRows, parseImportance, referenceFromRows, referenceOf } from "../explain/index.ts";
import type { LoadedModel } from "../model/loaded-model.ts";
import { rowsFromColumns, rowsFromInstances } from "./inference-input.ts";
import type { VersionRef } from "./model-pool.ts";
import type { RequestLabels } from "./scoring.ts";
import type { ServerContext } from "./server-context.ts";

/** Most rows one `:explain` request may carry. */
export const EXPLAIN_MAX_ROWS = 100;
/** Most reference rows a request may send. */
export const EXPLAIN_MAX_REFERENCE_ROWS = 500;
/** Most model evaluations (rows × coalitions × background rows) one KernelSHAP request may cost. */
export const KERNEL_SHAP_MAX_EVALUATIONS = 5_000_000;

const references = new WeakMap<LoadedModel, ExplainReference>();

const option = (name: string, reason: string) => mlopsError("MLOPS_ERR_EXPLAIN_OPTION", { option: name, reason });

function intOption(b: Record<string, unknown>, name: string, min: number, max: number): number | undefined {
  const v = b[name];
  if (v === undefined) return undefined;
  if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) throw option(name, `must be an integer from ${min} to ${max}, got ${showValue(v)}`);
  return v as number;
}

/** Reads the request's explain options (method, steps, samples, background, class). */
export function explainOptions(b: Record<string, unknown>): ExplainOptions {
  const method = b.method ?? "ig";
  if (typeof method !== "string" || !(EXPLAIN_METHODS as readonly string[]).includes(method)) throw option("method", `must be one of ${EXPLAIN_METHODS.join(", ")}, got ${showValue(method)}`);
  if (b.class !== undefined && typeof b.class !== "string") throw option("class", `must be a class label (a string), got ${showValue(b.class)}`);
  const steps = intOption(b, "steps", 1, 1024);
  const samples = intOption(b, "samples", 16, 65_536);
  const backgroundRows = intOption(b, "background", 1, EXPLAIN_MAX_REFERENCE_ROWS);
  return { method: method as ExplainMethod, ...(steps === undefined ? {} : { steps }), ...(samples === undefined ? {} : { samples }), ...(backgroundRows === undefined ? {} : { backgroundRows }), ...(b.class === undefined ? {} : { class: b.class as string }) };
}

/** The reference a version explains against: its training reference (importance.json), parsed once per loaded version. */
export function versionReference(model: LoadedModel): ExplainReference {
  let ref = references.get(model);
  if (ref) return ref;
  if (!model.importance) throw mlopsError("MLOPS_ERR_EXPLAIN_NO_REFERENCE", { model: model.name, version: model.version });
  ref = referenceOf(parseImportance(model.importance, `models/${model.name}/versions/${model.version}/${IMPORTANCE_JSON}`, model.preprocessor.width));
  references.set(model, ref);
  return ref;
}

/**
 * `POST /v1/models/{m}[/versions/{v}|/labels/{l}]:explain` (KServe's route shape) with
 * `{"instances": [...]}` (or columnar `"inputs"`), optional `"method": "ig" | "kernelshap"`,
 * `"steps"`, `"samples"`, `"background"`, `"class"` and `"reference"` rows: per-row attributions
 * over the model's original features. An unlabelled request explains the champion.
 */
export async function explainRoute(ctx: ServerContext, reply: FastifyReply, model: string, ref: VersionRef, labels: RequestLabels, b: Record<string, unknown>): Promise<FastifyReply> {
  const options = explainOptions(b);
  const hasInstances = "instances" in b;
  if (hasInstances === "inputs" in b) throw mlopsError("MLOPS_ERR_INFER_BAD_REQUEST", { reason: 'request must have exactly one of "instances" (row format) or "inputs" (columnar format)' });
  const sv = await ctx.pool.acquire(model, ref);
  labels.version = String(sv.model.version);
  try {
    const loaded = sv.model;
    const pre = loaded.preprocessor;
    const features = pre.features.map((f) => f.name);
    const rows = hasInstances ? rowsFromInstances(features, b.instances, "instances", EXPLAIN_MAX_ROWS) : rowsFromColumns(features, b.inputs, EXPLAIN_MAX_ROWS);
    const x = encodeRows(pre, rows.n, rows.get, SERVE);
    let reference: ExplainReference;
    if (b.reference !== undefined) {
      const refRows = rowsFromInstances(features, b.reference, "reference", EXPLAIN_MAX_REFERENCE_ROWS);
      reference = referenceFromRows(encodeRows(pre, refRows.n, refRows.get, SERVE), refRows.n, pre.width, "request");
    } else reference = versionReference(loaded);
    if (options.method === "kernelshap") {
      const m = pre.features.length;
      const coalitions = m <= EXACT_MAX_FEATURES ? 2 ** m - 2 : (options.samples ?? EXPLAIN_DEFAULTS.samples);
      const background = Math.min(reference.rows, options.backgroundRows ?? EXPLAIN_DEFAULTS.backgroundRows);
      const cost = rows.n * coalitions * background;
      if (cost > KERNEL_SHAP_MAX_EVALUATIONS) throw option("method", `kernelshap on ${rows.n} rows × ${coalitions} coalitions × ${background} background rows is ${cost} model evaluations, more than ${KERNEL_SHAP_MAX_EVALUATIONS}; send fewer rows, or lower "background" or "samples"`);
    }
    const explanations = await explainRows(loaded, x, rows.n, reference, options);
    reply.header("x-mlops-model-version", String(loaded.version));
    return ctx.sendJson(reply, 200, {
      model_name: model,
      model_version: String(loaded.version),
      method: options.method,
      reference: { source: reference.source, rows: reference.rows },
      ...(options.method === "ig" ? { steps: options.steps ?? EXPLAIN_DEFAULTS.steps } : { background: Math.min(reference.rows, options.backgroundRows ?? EXPLAIN_DEFAULTS.backgroundRows) }),
      explanations,
    });
  } finally {
    ctx.pool.release(sv);
  }
}
