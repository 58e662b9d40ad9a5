import { ERRORS } from "./errors.ts";

/** Renders docs/errors.md from the error registry, so the two cannot drift (a test compares them). */
export function renderErrorsDoc(): string {
  const lines = [
    "# Runtime errors",
    "",
    "Every error the runtime reports carries one of these codes. The CLI prints it in brackets and",
    "exits 2 (bad input) or 1 (unexpected); the server answers with the HTTP status below and",
    '`{"error": "<message>"}`. Codes are never reused. Generated from `runtime/src/errors.ts` by',
    "`npm run docs:errors`.",
    "",
    "| Code | HTTP | How to fix |",
    "| --- | --- | --- |",
  ];
  for (const [code, def] of Object.entries(ERRORS)) lines.push(`| \`${code}\` | ${def.status} | ${def.fix.replace(/\|/g, "\\|")} |`);
  return `${lines.join("\n")}\n`;
}
