/**
 * A small typed builder for Grafana dashboards: panels with PromQL targets are laid out on
 * Grafana's 24-column grid and rendered to the dashboard JSON model (schemaVersion 39), so the
 * dashboards live as code and their queries can be checked like the alert rules.
 */

/** One PromQL query of a panel. */
export interface Target {
  /** PromQL expression; may use `$model` / `$version` template variables. */
  expr: string;
  /** Legend template, e.g. `{{version}}`. @default "" */
  legend?: string;
}

/** Panel kinds the builder renders. */
export type PanelKind = "timeseries" | "stat" | "gauge" | "bargauge" | "table";

/** A panel before layout. */
export interface PanelSpec {
  title: string;
  /** @default "timeseries" */
  kind?: PanelKind;
  targets: Target[];
  /** Grafana unit id (`reqps`, `s`, `percentunit`, `bytes`, `percent`, `short`). @default "short" */
  unit?: string;
  /** Width in grid columns (1–24). @default 12 */
  width?: number;
  /** Height in grid rows. @default 8 */
  height?: number;
  /** Optional description shown in the panel's info tooltip. */
  description?: string;
  /** Threshold steps (value → colour), first one is the base. */
  thresholds?: { value: number | null; color: string }[];
  /** Min/max of the axis or gauge. */
  min?: number;
  max?: number;
  /** Stack series (timeseries only). @default false */
  stacked?: boolean;
}

/** A template variable filled from a label's values. */
export interface QueryVariable {
  name: string;
  label?: string;
  /** `label_values(metric, label)` source. */
  metric: string;
  labelName: string;
  /** @default true */
  multi?: boolean;
  /** @default true */
  includeAll?: boolean;
}

/** Input to {@link buildDashboard}. */
export interface DashboardSpec {
  uid: string;
  title: string;
  tags?: string[];
  description?: string;
  /** Default time range, e.g. `now-6h`. @default "now-6h" */
  from?: string;
  /** Auto refresh interval. @default "30s" */
  refresh?: string;
  variables?: QueryVariable[];
  /** Rows of panels: each inner array is placed left to right, wrapping at 24 columns. */
  rows: { title?: string; panels: PanelSpec[] }[];
}

/** The Grafana dashboard JSON model (only the fields the builder emits). */
export interface DashboardJson {
  uid: string;
  title: string;
  tags: string[];
  description: string;
  editable: boolean;
  schemaVersion: number;
  version: number;
  time: { from: string; to: string };
  refresh: string;
  timezone: string;
  templating: { list: Record<string, unknown>[] };
  panels: Record<string, unknown>[];
  annotations: { list: Record<string, unknown>[] };
}

/** Grid position of a panel. */
export interface GridPos {
  x: number;
  y: number;
  w: number;
  h: number;
}

const DATASOURCE = { type: "prometheus", uid: "${datasource}" };
const GRID_WIDTH = 24;

/** Lays panels out row by row and returns each with its grid position (exported for tests). */
export function layout(rows: DashboardSpec["rows"]): { row?: string; y: number; panels: { spec: PanelSpec; gridPos: GridPos }[] }[] {
  let y = 0;
  const out: { row?: string; y: number; panels: { spec: PanelSpec; gridPos: GridPos }[] }[] = [];
  for (const row of rows) {
    const rowY = y;
    if (row.title !== undefined) y += 1;
    let x = 0;
    let lineHeight = 0;
    const placed: { spec: PanelSpec; gridPos: GridPos }[] = [];
    for (const spec of row.panels) {
      const w = Math.min(GRID_WIDTH, Math.max(1, spec.width ?? 12));
      const h = Math.max(1, spec.height ?? 8);
      if (x + w > GRID_WIDTH) {
        y += lineHeight;
        x = 0;
        lineHeight = 0;
      }
      placed.push({ spec, gridPos: { x, y, w, h } });
      x += w;
      lineHeight = Math.max(lineHeight, h);
    }
    y += lineHeight;
    out.push({ ...(row.title !== undefined ? { row: row.title } : {}), y: rowY, panels: placed });
  }
  return out;
}

/** Renders a dashboard spec to Grafana's JSON model. */
export function buildDashboard(spec: DashboardSpec): DashboardJson {
  let id = 1;
  const panels: Record<string, unknown>[] = [];
  for (const row of layout(spec.rows)) {
    if (row.row !== undefined) {
      panels.push({ id: id++, type: "row", title: row.row, collapsed: false, gridPos: { x: 0, y: row.y, w: GRID_WIDTH, h: 1 }, panels: [] });
    }
    for (const { spec: p, gridPos } of row.panels) panels.push(renderPanel(id++, p, gridPos));
  }
  const variables: Record<string, unknown>[] = [
    { name: "datasource", label: "Data source", type: "datasource", query: "prometheus", current: {}, hide: 0 },
    ...(spec.variables ?? []).map((v) => ({
      name: v.name,
      label: v.label ?? v.name,
      type: "query",
      datasource: DATASOURCE,
      query: { query: `label_values(${v.metric}, ${v.labelName})`, refId: `${v.name}-query` },
      refresh: 2,
      multi: v.multi ?? true,
      includeAll: v.includeAll ?? true,
      allValue: ".*",
      current: {},
      sort: 1,
      hide: 0,
    })),
  ];
  return {
    uid: spec.uid,
    title: spec.title,
    tags: spec.tags ?? [],
    description: spec.description ?? "",
    editable: false,
    schemaVersion: 39,
    version: 1,
    time: { from: spec.from ?? "now-6h", to: "now" },
    refresh: spec.refresh ?? "30s",
    timezone: "browser",
    templating: { list: variables },
    panels,
    annotations: { list: [] },
  };
}

function renderPanel(id: number, p: PanelSpec, gridPos: GridPos): Record<string, unknown> {
  const kind = p.kind ?? "timeseries";
  const defaults: Record<string, unknown> = {
    unit: p.unit ?? "short",
    ...(p.min !== undefined ? { min: p.min } : {}),
    ...(p.max !== undefined ? { max: p.max } : {}),
    ...(p.thresholds ? { thresholds: { mode: "absolute", steps: p.thresholds } } : {}),
    ...(kind === "timeseries" ? { custom: { lineWidth: 1, fillOpacity: p.stacked ? 30 : 10, stacking: { mode: p.stacked ? "normal" : "none", group: "A" } } } : {}),
  };
  return {
    id,
    type: kind,
    title: p.title,
    description: p.description ?? "",
    datasource: DATASOURCE,
    gridPos,
    targets: p.targets.map((t, i) => ({
      refId: String.fromCharCode(65 + i),
      datasource: DATASOURCE,
      expr: t.expr,
      legendFormat: t.legend ?? "",
      range: kind === "timeseries",
      instant: kind !== "timeseries",
    })),
    fieldConfig: { defaults, overrides: [] },
    // Options per panel plugin as Grafana's schema (@grafana/schema panelcfg) names them; a table has no reduceOptions.
    options:
      kind === "timeseries"
        ? { legend: { displayMode: "table", placement: "bottom", calcs: ["lastNotNull", "max"], showLegend: true }, tooltip: { mode: "multi", sort: "desc" } }
        : kind === "table"
          ? { showHeader: true, cellHeight: "sm" }
          : { reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false } },
  };
}

/** Every target expression of a dashboard spec, with its panel title. */
export function dashboardExpressions(spec: DashboardSpec): { panel: string; expr: string }[] {
  return spec.rows.flatMap((r) => r.panels.flatMap((p) => p.targets.map((t) => ({ panel: p.title, expr: t.expr }))));
}
