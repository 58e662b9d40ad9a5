/** The console's stylesheet, served as /ui/console.css (the CSP forbids inline styles). Text colours meet WCAG AA on their backgrounds. */
export const CONSOLE_CSS = `
:root{--ink:#16202e;--muted:#4a5568;--line:#dde3ea;--bg:#f4f6f9;--card:#fff;--link:#1d4fc4;--focus:#ffbf47;
--bad:#a8221a;--bad-bg:#fdecea;--good:#176a30;--good-bg:#e4f3e8;--warn:#8a4b00;--warn-bg:#fff2d6;--info:#24466e;--info-bg:#e7eef8;
--s0:#1d4fc4;--s1:#c2410c;--s2:#0f766e;--s3:#7c3aed;--s4:#b91c1c;--s5:#4d7c0f}
*{box-sizing:border-box}
html{background:var(--bg);color:var(--ink);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif}
body{margin:0}
a{color:var(--link)}
a:focus-visible,summary:focus-visible,[tabindex]:focus-visible{outline:3px solid var(--focus);outline-offset:2px;box-shadow:0 0 0 5px var(--ink)}
.skip{position:absolute;left:-9999px;top:8px;background:var(--card);padding:6px 10px;z-index:10}
.skip:focus{left:8px}
.top{display:flex;align-items:center;gap:20px;padding:10px 20px;background:var(--ink);color:#fff}
.top a{color:#fff}
.brand{font-weight:700;text-decoration:none;font-size:17px}
.crumbs ol{display:flex;gap:6px;list-style:none;margin:0;padding:0}
.crumbs li+li::before{content:"/";margin-right:6px;color:#b9c3d0}
.registry{margin-left:auto;font:12px ui-monospace,Menlo,Consolas,monospace;color:#d5dce6;overflow-wrap:anywhere;max-width:40%}
.layout{display:grid;grid-template-columns:210px minmax(0,1fr);gap:0;min-height:calc(100vh - 48px)}
.side{background:var(--card);border-right:1px solid var(--line);padding:14px 12px}
.side h2{font-size:13px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);margin:0 0 8px}
.side ul{list-style:none;margin:0;padding:0}
.side li a{display:block;padding:4px 8px;border-radius:6px;text-decoration:none;overflow-wrap:anywhere}
.side li a[aria-current="page"]{background:var(--info-bg);font-weight:700}
main{padding:18px 24px 40px;max-width:1240px;min-width:0}
main:focus{outline:none}
h1{font-size:24px;margin:0 0 4px;overflow-wrap:anywhere}
h2{font-size:18px;margin:0 0 10px}
h3{font-size:15px;margin:12px 0 6px;overflow-wrap:anywhere}
section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:14px 18px;margin:0 0 16px}
.lead{margin:0 0 14px;color:var(--muted)}
.muted{color:var(--muted)}
.none{color:var(--muted);font-style:italic;margin:6px 0}
.problems{border-color:var(--bad);background:var(--bad-bg)}
.problems li{overflow-wrap:anywhere}
.count{font-size:12px;font-weight:600;color:var(--muted);background:var(--bg);border-radius:999px;padding:1px 8px;vertical-align:2px}
.table-wrap{overflow:auto;max-height:460px}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid var(--line);vertical-align:top}
thead th{position:sticky;top:0;background:var(--card);color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em;white-space:nowrap}
tbody th{font-weight:600;overflow-wrap:anywhere}
.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
code,pre{font:12.5px ui-monospace,Menlo,Consolas,monospace;overflow-wrap:anywhere}
pre{white-space:pre-wrap;background:var(--bg);padding:8px;border-radius:6px;max-height:320px;overflow:auto}
.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:8px;margin:0 0 8px}
.facts div{background:var(--bg);border-radius:8px;padding:6px 10px;min-width:0}
.facts dt{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
.facts dd{margin:0;overflow-wrap:anywhere}
.badge{display:inline-block;font-size:12px;font-weight:700;padding:1px 8px;border-radius:999px;white-space:nowrap;background:var(--info-bg);color:var(--info)}
.badge.champion{background:var(--good-bg);color:var(--good)}
.badge.bad{background:var(--bad-bg);color:var(--bad)}
.badge.good{background:var(--good-bg);color:var(--good)}
.badge.warn{background:var(--warn-bg);color:var(--warn)}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,520px),1fr));gap:14px}
.mini{border:1px solid var(--line);border-radius:8px;padding:8px 12px;min-width:0}
.mini h3{margin-top:2px}
.figure{margin:0}
.chart{display:block;width:100%;height:auto;max-height:300px}
.chart.bars{max-width:720px;max-height:none}
.chart .grid{stroke:var(--line);stroke-width:1}
.chart .axis{stroke:#8a94a3}
.chart .tick{font-size:11px;fill:var(--muted)}
.chart .tick.row{fill:var(--ink);font-size:12px}
.chart .line{fill:none;stroke-width:2}
.chart .ref-line line{stroke:var(--ink);stroke-width:1.5;stroke-dasharray:5 4}
.chart .ref-line.best line{stroke:var(--s3)}
.chart .pt{stroke:#fff;stroke-width:1}
.chart .pt.drifted{fill:var(--bad);stroke:var(--ink);stroke-width:1.5}
.line.s0{stroke:var(--s0)}.line.s1{stroke:var(--s1)}.line.s2{stroke:var(--s2)}.line.s3{stroke:var(--s3)}.line.s4{stroke:var(--s4)}.line.s5{stroke:var(--s5)}
.pt.s0,.bar.s0{fill:var(--s0)}.pt.s1,.bar.s1{fill:var(--s1)}.pt.s2,.bar.s2{fill:var(--s2)}.pt.s3,.bar.s3{fill:var(--s3)}.pt.s4,.bar.s4{fill:var(--s4)}.pt.s5,.bar.s5{fill:var(--s5)}
.legend{display:flex;flex-wrap:wrap;gap:4px 16px;list-style:none;margin:4px 0 0;padding:0;font-size:13px}
.key{display:inline-block;width:14px;height:4px;margin-right:6px;vertical-align:middle;border-radius:2px}
.key.s0{background:var(--s0)}.key.s1{background:var(--s1)}.key.s2{background:var(--s2)}.key.s3{background:var(--s3)}.key.s4{background:var(--s4)}.key.s5{background:var(--s5)}
.key.ref{background:var(--ink)}.key.ref.best{background:var(--s3)}
.scroll{max-height:520px;overflow:auto}
.timeline{list-style:none;margin:0;padding:0 0 0 14px;border-left:3px solid var(--line)}
.event{position:relative;padding:6px 0 8px 10px}
.event::before{content:"";position:absolute;left:-22px;top:12px;width:11px;height:11px;border-radius:50%;background:var(--info);border:2px solid var(--card)}
.event.bad::before{background:var(--bad)}.event.good::before{background:var(--good)}.event.warn::before{background:var(--warn)}
.event .reason{margin:2px 0 0;overflow-wrap:anywhere}
.cards-list{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:14px;list-style:none;margin:0;padding:0}
.cards-list li{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px 16px}
.cards-list h2{font-size:17px;margin:0 0 6px;overflow-wrap:anywhere}
.actions{display:flex;gap:14px;margin:0 0 14px}
meter{width:260px}
@media print{.side,.top{display:none}.layout{display:block}}
`;
