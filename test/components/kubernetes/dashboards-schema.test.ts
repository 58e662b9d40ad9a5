// Every dashboard the platform ships, checked against Grafana's own dashboard schema: the TypeScript types
// @grafana/schema generates from Grafana's CUE kinds (the Dashboard kind, and each panel plugin's Options and
// FieldConfig). The dashboard JSON is compiled as object literals `satisfies` those types, so a field Grafana
// does not know, a missing required one or a value outside an enum is a compile error naming the path.
import assert from "node:assert/strict";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { renderDashboards } from "../../../components/kubernetes/dashboards/mlops-dashboards.ts";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const PANEL_TYPES: Record<string, string> = {
  timeseries: "timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen",
  stat: "stat/panelcfg/x/StatPanelCfg_types.gen",
  gauge: "gauge/panelcfg/x/GaugePanelCfg_types.gen",
  bargauge: "bargauge/panelcfg/x/BarGaugePanelCfg_types.gen",
  table: "table/panelcfg/x/TablePanelCfg_types.gen",
};

/** Compile errors of `source` as if it were a file of this repository (so @grafana/schema resolves). */
function typeErrors(source: string): string[] {
  const file = path.join(root, "test", "__grafana_schema_check__.ts");
  const options: ts.CompilerOptions = { strict: true, noEmit: true, skipLibCheck: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022 };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, ...rest) => (name === file ? ts.createSourceFile(name, source, lang) : getSourceFile(name, lang, ...rest));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file?.fileName === file)
    .map((d) => {
      const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
      return `line ${line + 1} (${source.split("\n")[line]?.slice(0, 80)}): ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
    });
}

/** TypeScript source checking each dashboard, and each panel's options and custom field config, against Grafana's types. */
function schemaCheckSource(dashboards: { uid: string; json: Record<string, any> }[]): string {
  const lines = [
    'import type { Dashboard } from "@grafana/schema";',
    ...Object.entries(PANEL_TYPES).map(([kind, p]) => `import type * as ${kind} from "@grafana/schema/dist/esm/raw/composable/${p}";`),
    // JSON carries an enum's string value, which TypeScript will not take for a string enum member: compare by value.
    "type J<T> = T extends string ? `${T}` : T extends readonly (infer U)[] ? J<U>[] : T extends object ? { [K in keyof T]: J<T[K]> } : T;",
    // Below the dashboard's own required fields, a field the CUE schema gives a default may be left out: Grafana
    // fills it in at load. Names and values are still checked (excess-property and literal checks).
    "type P<T> = T extends string ? `${T}` : T extends readonly (infer U)[] ? P<U>[] : T extends object ? { [K in keyof T]?: P<T[K]> } : T;",
    "type Top = J<Pick<Dashboard, 'schemaVersion' | 'title'>> & P<Dashboard> & { uid: string };",
  ];
  dashboards.forEach((d, i) => {
    lines.push(`// ${d.uid}`, `export const dashboard${i} = ${JSON.stringify(d.json)} satisfies Top;`);
    (d.json.panels as Record<string, any>[]).forEach((p, j) => {
      if (p.type === "row") return; // a RowPanel: checked by the Dashboard type itself (panels: (Panel | RowPanel)[])
      if (!PANEL_TYPES[p.type]) throw new Error(`${d.uid} panel ${j} (${p.title}): no schema registered for panel type ${p.type}`);
      lines.push(`// ${d.uid} panel ${j}: ${p.title}`, `export const options${i}_${j} = ${JSON.stringify(p.options ?? {})} satisfies P<${p.type}.Options>;`);
      if (p.fieldConfig?.defaults?.custom !== undefined && p.type !== "stat" && p.type !== "gauge" && p.type !== "bargauge") {
        lines.push(`export const custom${i}_${j} = ${JSON.stringify(p.fieldConfig.defaults.custom)} satisfies P<${p.type}.FieldConfig>;`);
      }
    });
  });
  return lines.join("\n");
}

describe("dashboards against Grafana's schema (@grafana/schema)", () => {
  it("every dashboard, panel options and field config is valid for Grafana's Dashboard kind and its panel plugins", () => {
    const dashboards = Object.values(renderDashboards()).map((json) => ({ uid: String(json.uid), json: json as Record<string, any> }));
    assert.ok(dashboards.length >= 4);
    assert.deepEqual(typeErrors(schemaCheckSource(dashboards)), []);
  });

  it("the check rejects what Grafana would not load: an unknown field, a missing schemaVersion, a legend mode outside the enum", () => {
    const [first] = Object.values(renderDashboards()).map((json) => ({ uid: String(json.uid), json: structuredClone(json) as Record<string, any> }));
    const missing = structuredClone(first!);
    delete missing.json.schemaVersion;
    assert.match(typeErrors(schemaCheckSource([missing])).join("\n"), /schemaVersion/);
    const bad = structuredClone(first!);
    bad.json.refreshInterval = "10s";
    const timeseries = (bad.json.panels as Record<string, any>[]).find((p) => p.type === "timeseries")!;
    timeseries.options = { ...timeseries.options, legend: { ...(timeseries.options?.legend ?? {}), displayMode: "sideways", placement: "bottom", showLegend: true, calcs: [] } };
    const errors = typeErrors(schemaCheckSource([bad])).join("\n");
    assert.match(errors, /refreshInterval/);
    assert.match(errors, /sideways/);
  });
});
