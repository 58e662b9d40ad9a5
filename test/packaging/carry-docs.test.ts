import assert from "node:assert/strict";
import { test } from "node:test";
import { carryDocs, collectSourceDocs } from "../../components/scripts/carry-docs.ts";

const source = `
import { z } from "zod";
export interface ThingArgs {
  /** From the interface. @default 3 */
  replicas?: number;
}
export const base = z.object({
  /** Where it runs. */
  region: z.string(),
});
export const thingOptions = z.object({
  /** Outer field. @default "a" */
  name: z.string().default("a"),
  replicas: z.number().default(3),
  nested: z.object({
    /** Inner field. */
    depth: z.number(),
  }).optional(),
  cloud: base.omit({}).optional(),
}).strict().superRefine((v, ctx) => { const x = z.object({ /** not a field */ bogus: z.string() }); void x; });
export const section = thingOptions.extend({ /** Added. */ extra: z.boolean() });
`;
const dts = `import { z } from "zod";
export declare const thingOptions: z.ZodObject<{
    name: z.ZodDefault<z.ZodString>;
    replicas: z.ZodDefault<z.ZodNumber>;
    nested: z.ZodOptional<z.ZodObject<{
        depth: z.ZodNumber;
    }, z.core.$strip>>;
    cloud: z.ZodOptional<z.ZodObject<{
        region: z.ZodString;
    }, z.core.$strip>>;
    bogus: z.ZodString;
}, z.core.$strict>;
export declare const section: z.ZodObject<{
    name: z.ZodDefault<z.ZodString>;
    /** Already documented. */
    extra: z.ZodBoolean;
}, z.core.$strict>;
`;

test("field docs go back onto the .d.ts shapes: direct, nested, through another schema, from the Args interface, through extend", () => {
  const { text, inserted } = carryDocs("x.d.ts", dts, collectSourceDocs("x.ts", source));
  const docBefore = (field: string, occurrence = 0) => {
    const lines = text.split("\n");
    const at = lines.map((l, i) => (l.trim().startsWith(`${field}:`) ? i : -1)).filter((i) => i >= 0)[occurrence]!;
    return lines[at - 1]?.trim();
  };
  assert.equal(docBefore("name"), '/** Outer field. @default "a" */');
  assert.equal(docBefore("replicas"), "/** From the interface. @default 3 */");
  assert.equal(docBefore("depth"), "/** Inner field. */");
  assert.equal(docBefore("region"), "/** Where it runs. */");
  assert.equal(docBefore("name", 1), '/** Outer field. @default "a" */', "section = thingOptions.extend(...) inherits thingOptions' docs");
  assert.equal(docBefore("extra"), "/** Already documented. */", "an existing doc is kept, not doubled");
  assert.notEqual(docBefore("bogus"), "/** not a field */", "shapes inside refinements are not the schema's fields");
  assert.equal(inserted, 5);
});
