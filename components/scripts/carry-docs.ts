// Run after `tsc` by the component and contract builds: puts the JSDoc of every zod object field
// (`/** Kubernetes namespace. @default "mlops" */ namespace: z.string()...`) back onto the same
// field in the emitted .d.ts. TypeScript writes a schema's inferred type there without the
// fields' comments, so editors showed no docs and no defaults for any Args field that comes from
// a schema (z.input keeps a field's declaration, so the comment only has to be in the .d.ts).
//   node carry-docs.ts <source-root> <dist-root>
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";

/** The zod calls whose first argument is an object shape. */
const SHAPE_CALLS = new Set(["object", "strictObject", "looseObject", "extend", "safeExtend"]);

interface SourceDocs {
  /** Documentation by path: `[schemaVariable, field, nestedField, ...]` joined with "/". */
  docs: Map<string, string>;
  /** A field whose schema is another variable's (`aws: awsClusterOptions.omit(...)`): path → that variable. */
  aliases: Map<string, string>;
}

const leadingDoc = (node: ts.Node, text: string): string | undefined => {
  const ranges = ts.getLeadingCommentRanges(text, node.getFullStart()) ?? [];
  const docs = ranges.filter((r) => text.startsWith("/**", r.pos)).map((r) => text.slice(r.pos, r.end));
  return docs.at(-1);
};

/** The identifier a call/property chain starts from (`a` in `a.omit({}).optional()`). */
function rootIdentifier(expr: ts.Expression): string | undefined {
  let e: ts.Expression = expr;
  for (;;) {
    if (ts.isCallExpression(e)) e = e.expression;
    else if (ts.isPropertyAccessExpression(e)) e = e.expression;
    else if (ts.isParenthesizedExpression(e)) e = e.expression;
    else break;
  }
  return ts.isIdentifier(e) ? e.text : undefined;
}

/** Collects field docs and aliases from one source file into `into`. */
export function collectSourceDocs(fileName: string, text: string, into: SourceDocs = { docs: new Map(), aliases: new Map() }): SourceDocs {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const visitShape = (obj: ts.ObjectLiteralExpression, at: string[]) => {
    for (const p of obj.properties) {
      if (!ts.isPropertyAssignment(p) || !(ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))) continue;
      const here = [...at, p.name.text];
      const doc = leadingDoc(p, text);
      if (doc) into.docs.set(here.join("/"), doc);
      const root = rootIdentifier(p.initializer);
      if (root && root !== "z") into.aliases.set(here.join("/"), root);
      visitExpr(p.initializer, here);
    }
  };
  const visitExpr = (node: ts.Node, at: string[]) => {
    if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const name = ts.isPropertyAccessExpression(callee) ? callee.name.text : undefined;
      const first = node.arguments[0];
      if (name && SHAPE_CALLS.has(name) && first && ts.isObjectLiteralExpression(first)) visitShape(first, at);
      visitExpr(callee, at);
      for (const a of node.arguments) if (a !== first || !name || !SHAPE_CALLS.has(name)) visitExpr(a, at);
      return;
    }
    // Functions (refinements) hold no shapes of this schema.
    if (ts.isArrowFunction(node) || ts.isFunctionExpression(node)) return;
    ts.forEachChild(node, (c) => visitExpr(c, at));
  };
  // Hand-written Args interfaces document fields too (`ModelServingArgs.minReplicas`); a schema
  // named after one (`modelServingOptions`, `existingClusterArgs`, `runtimeImageArgsSchema`) falls
  // back to its docs.
  const visitMembers = (members: ts.NodeArray<ts.TypeElement>, at: string[]) => {
    for (const m of members) {
      if (!ts.isPropertySignature(m) || !m.name || !(ts.isIdentifier(m.name) || ts.isStringLiteral(m.name))) continue;
      const here = [...at, m.name.text];
      const doc = leadingDoc(m, text);
      if (doc) into.docs.set(here.join("/"), doc);
      const inner = m.type && ts.isUnionTypeNode(m.type) ? m.type.types.find(ts.isTypeLiteralNode) : m.type;
      if (inner && ts.isTypeLiteralNode(inner)) visitMembers(inner.members, here);
    }
  };
  for (const st of sf.statements) {
    if (ts.isInterfaceDeclaration(st)) visitMembers(st.members, [st.name.text]);
    if (!ts.isVariableStatement(st)) continue;
    for (const d of st.declarationList.declarations) {
      if (!ts.isIdentifier(d.name) || !d.initializer) continue;
      // `const section = baseSchema.omit({...}).extend({...})`: fields not documented here are the base's.
      const root = rootIdentifier(d.initializer);
      if (root && root !== "z" && root !== d.name.text) into.aliases.set(d.name.text, root);
      visitExpr(d.initializer, [d.name.text]);
    }
  }
  return into;
}

/** The Args interface a schema variable is named after: `modelServingOptions` → `ModelServingArgs`. */
const argsInterfaceOf = (variable: string): string => {
  const stem = variable.replace(/(ArgsSchema|Schema|Options|Args)$/, "");
  return `${stem.charAt(0).toUpperCase()}${stem.slice(1)}Args`;
};

/** The doc for a path, following aliases (`platform/aws/region` → `awsClusterOptions/region`). */
function lookup(src: SourceDocs, pathParts: string[], depth = 0): string | undefined {
  const direct = src.docs.get(pathParts.join("/"));
  if (direct || depth > 8) return direct;
  const [root = "", ...rest] = pathParts;
  const fromInterface = rest.length ? src.docs.get([argsInterfaceOf(root), ...rest].join("/")) : undefined;
  if (fromInterface) return fromInterface;
  for (let i = pathParts.length - 1; i >= 1; i--) {
    const alias = src.aliases.get(pathParts.slice(0, i).join("/"));
    if (alias) return lookup(src, [alias, ...pathParts.slice(i)], depth + 1);
  }
  return undefined;
}

/** Returns `dts` with the source docs inserted before every undocumented field of a ZodObject shape. */
export function carryDocs(fileName: string, dts: string, src: SourceDocs): { text: string; inserted: number } {
  const sf = ts.createSourceFile(fileName, dts, ts.ScriptTarget.Latest, true);
  const edits: { pos: number; text: string }[] = [];
  const visitType = (node: ts.Node, at: string[]) => {
    if (ts.isTypeReferenceNode(node) && /(^|\.)ZodObject$/.test(node.typeName.getText(sf)) && node.typeArguments?.[0] && ts.isTypeLiteralNode(node.typeArguments[0])) {
      for (const m of node.typeArguments[0].members) {
        if (!ts.isPropertySignature(m) || !m.name || !(ts.isIdentifier(m.name) || ts.isStringLiteral(m.name))) continue;
        const here = [...at, m.name.text];
        const doc = lookup(src, here);
        if (doc && !leadingDoc(m, dts)) {
          const line = dts.lastIndexOf("\n", m.getStart(sf)) + 1;
          const indent = dts.slice(line, m.getStart(sf));
          const body = doc.split("\n").map((l, i) => (i === 0 ? l : `${indent}${l.trimStart().startsWith("*") ? " " : ""}${l.trimStart()}`)).join("\n");
          edits.push({ pos: m.getStart(sf), text: `${body}\n${indent}` });
        }
        if (m.type) visitType(m.type, here);
      }
      for (const a of node.typeArguments.slice(1)) visitType(a, at);
      return;
    }
    ts.forEachChild(node, (c) => visitType(c, at));
  };
  for (const st of sf.statements) {
    if (!ts.isVariableStatement(st)) continue;
    for (const d of st.declarationList.declarations) if (ts.isIdentifier(d.name) && d.type) visitType(d.type, [d.name.text]);
  }
  let text = dts;
  for (const e of edits.sort((a, b) => b.pos - a.pos)) text = text.slice(0, e.pos) + e.text + text.slice(e.pos);
  return { text, inserted: edits.length };
}

/** Files under `dir` whose names end with `ext` (sources: `.ts` but not `.d.ts`). */
function files(dir: string, ext: ".ts" | ".d.ts", skip: ReadonlySet<string> = new Set()): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = path.join(dir, e);
    if (skip.has(e)) return [];
    if (statSync(p).isDirectory()) return files(p, ext, skip);
    return e.endsWith(ext) && (ext === ".d.ts" || !e.endsWith(".d.ts")) ? [p] : [];
  });
}

if (import.meta.main) {
  const [srcRoot, distRoot] = process.argv.slice(2).map((p) => path.resolve(p));
  if (!srcRoot || !distRoot) throw new Error("usage: carry-docs.ts <source-root> <dist-root>");
  const src: SourceDocs = { docs: new Map(), aliases: new Map() };
  const skip = new Set(["node_modules", "dist", "image", "scripts", "bin"]);
  for (const f of files(srcRoot, ".ts", skip)) collectSourceDocs(f, readFileSync(f, "utf8"), src);
  let total = 0;
  for (const f of files(distRoot, ".d.ts")) {
    const { text, inserted } = carryDocs(f, readFileSync(f, "utf8"), src);
    if (inserted) writeFileSync(f, text);
    total += inserted;
  }
  process.stdout.write(`carry-docs: ${total} field docs carried into ${path.relative(process.cwd(), distRoot) || "."}\n`);
}
