import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { copyFile, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { renderDriftReport } from "../../../runtime/src/drift/html-report.ts";

type Report = Parameters<typeof renderDriftReport>[0];
type Column = Report["columns"][number];

const CHROMIUM = "/usr/bin/chromium";
const HOSTILE = "<script>alert(1)</script>";
const META = { reference: "data/train-2024-05.csv", current: "s3://bucket/scoring/2024-06-01.csv", generatedAt: "2024-06-02T08:15:00Z" };

/** A bell-shaped histogram over `bins` equal bins, peaking at `centre` (0..1). */
function bell(bins: number, centre: number, width: number): number[] {
  const raw = Array.from({ length: bins }, (_, i) => Math.exp(-(((i + 0.5) / bins - centre) ** 2) / (2 * width ** 2)));
  const sum = raw.reduce((a, b) => a + b, 0);
  return raw.map((v) => v / sum);
}

function edges(from: number, to: number, bins: number): number[] {
  return Array.from({ length: bins + 1 }, (_, i) => from + ((to - from) * i) / bins);
}

// Two numerical and two categorical columns, one of each drifted; the drifted categorical
// column carries the hostile name so the browser test proves it is shown as text.
function realisticReport(): Report {
  return {
    drift: { detected: true, share: 0.5, driftShare: 0.5, columns: 4, drifted: 2 },
    columns: [
      {
        name: "horsepower",
        type: "numerical",
        test: "ks",
        statistic: 0.0412,
        pValue: 0.6731,
        threshold: 0.05,
        drifted: false,
        distribution: { kind: "bins", edges: edges(40, 240, 10), reference: bell(10, 0.4, 0.2), current: bell(10, 0.42, 0.21) },
      },
      {
        name: "weight_in_lbs",
        type: "numerical",
        test: "wasserstein",
        statistic: 0.2384,
        pValue: null,
        threshold: 0.1,
        drifted: true,
        distribution: { kind: "bins", edges: edges(1600, 5200, 12), reference: bell(12, 0.35, 0.15), current: bell(12, 0.62, 0.14) },
      },
      {
        name: "origin",
        type: "categorical",
        test: "chisquare",
        statistic: 1.93,
        pValue: 0.381,
        threshold: 0.05,
        drifted: false,
        distribution: { kind: "categories", labels: ["USA", "Japan", "Europe"], reference: [0.62, 0.2, 0.18], current: [0.6, 0.22, 0.18] },
      },
      {
        name: HOSTILE,
        type: "categorical",
        test: "jensenshannon",
        statistic: 0.173,
        pValue: null,
        threshold: 0.1,
        drifted: true,
        distribution: {
          kind: "categories",
          labels: ["sedan", "suv", "hatchback", "pickup", "coupe", `"&'`],
          reference: [0.38, 0.22, 0.18, 0.1, 0.08, 0.04],
          current: [0.24, 0.36, 0.12, 0.14, 0.05, 0.09],
        },
      },
    ],
  };
}

function bins(kindOf: Column["distribution"]): number {
  return kindOf ? Math.min(kindOf.reference.length, 20) : 0;
}

function column(i: number, over: Partial<Column> = {}): Column {
  return {
    name: `feature_${i}`,
    type: "numerical",
    test: "ks",
    statistic: 0.1,
    pValue: 0.2,
    threshold: 0.05,
    drifted: false,
    distribution: { kind: "bins", edges: edges(0, 1, 8), reference: bell(8, 0.5, 0.2), current: bell(8, 0.5, 0.2) },
    ...over,
  };
}

function report(columns: Column[]): Report {
  const drifted = columns.filter((c) => c.drifted).length;
  const share = columns.length ? drifted / columns.length : 0;
  return { drift: { detected: share >= 0.5 && drifted > 0, share, driftShare: 0.5, columns: columns.length, drifted }, columns };
}

/** The text between each `<article ...>` and `</article>`. */
function cards(html: string): string[] {
  return html.match(/<article[\s\S]*?<\/article>/g) ?? [];
}

test("escapes hostile column names, category labels and file names everywhere", () => {
  const html = renderDriftReport(realisticReport(), { reference: `${HOSTILE}.csv`, current: `"&'.csv`, generatedAt: `<b>now</b>` });
  assert.ok(!html.includes("<script"), "no script element");
  assert.ok(!html.includes("<b>now"), "no markup from meta");
  assert.ok(html.includes("&lt;script&gt;alert(1)&lt;/script&gt;"));
  assert.ok(html.includes("&quot;&amp;&#39;.csv"));
  assert.ok(html.includes("&quot;&amp;&#39;"), "category label escaped");
  assert.ok(!/"&'/.test(html), "the raw quote-amp-apostrophe sequence never survives");
});

test("loads nothing from outside the page: no scripts, links, fonts or urls", () => {
  const html = renderDriftReport(realisticReport(), META);
  assert.doesNotMatch(html, /<script|<link|<img|<iframe|@import|url\(|src=|https?:\/\/(?!www\.w3\.org\/2000\/svg)/i);
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
});

test("puts the dataset verdict in the title and the heading", () => {
  const html = renderDriftReport(realisticReport(), META);
  assert.match(html, /<title>Drift report — drift detected \(2 of 4 columns drifted\)<\/title>/);
  assert.match(html, /<h1>.*Drift detected<\/h1>/);
  const calm = renderDriftReport(report([column(1), column(2, { drifted: true }), column(3)]), META);
  assert.ok(/<h1>.*No drift detected<\/h1>/.test(calm));
  assert.ok(/1 of 3<\/strong> columns drifted/.test(calm));
});

test("lists drifted columns first, keeping the original order within each group", () => {
  const html = renderDriftReport(realisticReport(), META);
  const names = cards(html).map((c) => /<h3[^>]*>(.*?)<\/h3>/.exec(c)![1]);
  assert.deepEqual(names, ["weight_in_lbs", "&lt;script&gt;alert(1)&lt;/script&gt;", "horsepower", "origin"]);
});

test("draws one reference and one current bar per bin or category", () => {
  const r = realisticReport();
  const html = renderDriftReport(r, META);
  const byName = new Map(r.columns.map((c) => [c.name, c]));
  for (const card of cards(html)) {
    const name = /<h3[^>]*>(.*?)<\/h3>/.exec(card)![1]!.replace("&lt;script&gt;alert(1)&lt;/script&gt;", HOSTILE);
    const n = bins(byName.get(name)!.distribution);
    assert.equal((card.match(/class="bar ref"/g) ?? []).length, n, name);
    assert.equal((card.match(/class="bar cur"/g) ?? []).length, n, name);
  }
});

test("shows a dash for the p-value of distance tests and the number for statistical tests", () => {
  const html = renderDriftReport(realisticReport(), META);
  const [weight, , horsepower] = cards(html);
  assert.match(weight!, /<dt>p-value<\/dt><dd><span[^>]*>—<\/span><\/dd>/);
  assert.match(weight!, /<dt>Distance<\/dt><dd>0\.2384<\/dd>/);
  assert.match(horsepower!, /<dt>p-value<\/dt><dd>0\.6731<\/dd>/);
});

test("renders a page saying nothing was compared when there are no columns", () => {
  const html = renderDriftReport(report([]), META);
  assert.match(html, /<title>Drift report — no columns compared<\/title>/);
  assert.match(html, /nothing was compared/);
  assert.equal(cards(html).length, 0);
  assert.ok(html.trimEnd().endsWith("</html>"));
});

test("renders a card without a chart for a column without distribution", () => {
  const html = renderDriftReport(report([column(1, { distribution: undefined })]), META);
  const [card] = cards(html);
  assert.match(card!, /No distribution data for this column/);
  assert.doesNotMatch(card!, /<svg/);
});

test("labels a constant column's single bin with its value", () => {
  const html = renderDriftReport(report([column(1, { distribution: { kind: "bins", edges: [7, 7], reference: [1], current: [1] } })]), META);
  const [card] = cards(html);
  assert.match(card!, />7 \(constant\)</);
  assert.equal((card!.match(/class="bar /g) ?? []).length, 2);
});

test("prints non-finite statistics as text and never writes NaN into the SVG", () => {
  const broken = column(1, {
    statistic: Number.NaN,
    pValue: Number.POSITIVE_INFINITY,
    threshold: Number.NEGATIVE_INFINITY,
    distribution: { kind: "bins", edges: [0, Number.NaN, 2], reference: [Number.NaN, Number.POSITIVE_INFINITY], current: [0, 0] },
  });
  const html = renderDriftReport({ ...report([broken]), drift: { detected: false, share: Number.NaN, driftShare: Number.NaN, columns: 1, drifted: 0 } }, META);
  const [card] = cards(html);
  assert.match(card!, /<dt>Statistic<\/dt><dd>NaN<\/dd>/);
  assert.match(card!, /<dt>p-value<\/dt><dd>∞<\/dd>/);
  assert.match(card!, /<dt>Threshold<\/dt><dd>−∞<\/dd>/);
  assert.match(card!, /2 bins \(edges unavailable\)/);
  assert.ok(!/="[^"]*(NaN|Infinity)[^"]*"/.test(html), "no attribute holds a non-finite number");
  assert.ok(/No dataset drift threshold was given/.test(html));
});

test("draws the 20 most frequent categories and notes the others", () => {
  const labels = Array.from({ length: 50 }, (_, i) => `city-${i}`);
  const reference = labels.map((_, i) => 50 - i).map((v, _, a) => v / a.reduce((s, x) => s + x, 0));
  const html = renderDriftReport(
    report([column(1, { type: "categorical", test: "chisquare", distribution: { kind: "categories", labels, reference, current: reference } })]),
    META,
  );
  const [card] = cards(html);
  assert.equal((card!.match(/class="bar ref"/g) ?? []).length, 20);
  assert.match(card!, /\+ 30 other categories not drawn/);
  assert.match(card!, /city-0/);
  assert.doesNotMatch(card!, /city-20</);
});

test("renders 200 columns with a summary table linking to every card", () => {
  const many = Array.from({ length: 200 }, (_, i) => column(i, { drifted: i % 7 === 0 }));
  const html = renderDriftReport(report(many), META);
  const ids = new Set(cards(html).map((c) => /id="(col-\d+)"/.exec(c)![1]));
  assert.equal(ids.size, 200);
  const links = [...html.matchAll(/<a href="#(col-\d+)">/g)].map((m) => m[1]);
  assert.equal(links.length, 200);
  assert.ok(links.every((id) => ids.has(id)));
});

test("in headless Chromium: shows the verdict, one chart per column, no requests, no script", async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.skip(`${CHROMIUM} is not installed (apt-get install chromium)`);
    return;
  }
  const { chromium } = await import("playwright-core");
  const dir = await mkdtemp(join(tmpdir(), "drift-report-"));
  const context = await chromium.launchPersistentContext(join(dir, "profile"), {
    executablePath: CHROMIUM,
    viewport: { width: 1200, height: 900 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  try {
    const r = realisticReport();
    const file = join(dir, "report.html");
    await writeFile(file, renderDriftReport(r, META));
    const url = pathToFileURL(file).href;

    const page = await context.newPage();
    const requests: string[] = [];
    const errors: string[] = [];
    const dialogs: string[] = [];
    page.on("request", (req) => requests.push(req.url()));
    page.on("console", (msg) => {
      if (msg.type() === "error") errors.push(msg.text());
    });
    page.on("pageerror", (err) => errors.push(err.message));
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(url, { waitUntil: "load" });

    assert.equal(await page.title(), "Drift report — drift detected (2 of 4 columns drifted)");
    const verdict = page.locator("h1");
    assert.ok(await verdict.isVisible());
    assert.equal((await verdict.innerText()).trim(), "Drift detected");
    assert.match(await page.locator("header.verdict").innerText(), /2 of 4\s+columns drifted/);

    const cardsInPage = page.locator("article.card");
    assert.equal(await cardsInPage.count(), 4);
    const order = await cardsInPage.evaluateAll((els) => els.map((e) => e.getAttribute("data-drifted")));
    assert.deepEqual(order, ["true", "true", "false", "false"]);

    const expectedBars = new Map(r.columns.map((c) => [c.name, 2 * bins(c.distribution)]));
    for (let i = 0; i < 4; i++) {
      const card = cardsInPage.nth(i);
      const name = await card.locator("h3").innerText();
      const box = await card.locator("svg").boundingBox();
      assert.ok(box && box.width > 100 && box.height > 100, `${name}: chart has a size`);
      assert.equal(await card.locator("svg rect").count(), expectedBars.get(name), `${name}: bar count`);
    }

    // The hostile name is text inside the heading; no element was created from it.
    assert.equal(await page.locator("h3", { hasText: HOSTILE }).count(), 1);
    assert.equal(await page.locator("script").count(), 0);
    assert.deepEqual(dialogs, []);
    assert.deepEqual(errors, []);
    assert.deepEqual(requests, [url]);

    const png = join(dir, "report.png");
    await page.screenshot({ path: png, fullPage: true });
    // DRIFT_REPORT_SCREENSHOT=test/fixtures/drift-report/example.png refreshes the example.
    if (process.env.DRIFT_REPORT_SCREENSHOT) await copyFile(png, process.env.DRIFT_REPORT_SCREENSHOT);
    assert.ok((await stat(png)).size > 20_000, "screenshot has content");

    // The 200-column page lays out in the browser too, with every card and chart.
    const many = Array.from({ length: 200 }, (_, i) => column(i, { drifted: i % 9 === 0 }));
    const big = join(dir, "big.html");
    await writeFile(big, renderDriftReport(report(many), META));
    await page.goto(pathToFileURL(big).href, { waitUntil: "load" });
    assert.equal(await page.locator("article.card svg").count(), 200);
    assert.equal(await page.locator("table tbody tr").count(), 200);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    await rm(dir, { recursive: true, force: true });
  }
});
