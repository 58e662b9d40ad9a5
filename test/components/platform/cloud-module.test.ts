import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { pathToFileURL } from "node:url";
import * as pulumi from "@pulumi/pulumi";
import { loadCloudPart } from "../../../components/platform/cloud-module.ts";

// A cloud's SDK is an optional peer: MlopsPlatform loads the cloud's SDK-using part on demand.
const dir = mkdtempSync(path.join(tmpdir(), "mlops-cloud-part-"));
after(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(path.join(dir, "package.json"), JSON.stringify({ type: "module" }));
writeFileSync(path.join(dir, "needs-sdk.js"), 'import * as eks from "@pulumi/not-installed-sdk/eks/index.js";\nexport const loaded = typeof eks;\n');
writeFileSync(path.join(dir, "needs-other.js"), 'import "left-pad-not-installed";\nexport const loaded = true;\n');
writeFileSync(path.join(dir, "fine.js"), "export const loaded = 'yes';\n");
const from = pathToFileURL(path.join(dir, "caller.js")).href;
const sdk = { name: "@pulumi/not-installed-sdk", range: "^1.2.0" };

test("a cloud part whose SDK is not installed fails with the npm install line, as a RunError (no stack trace for the user)", () => {
  assert.throws(
    () => loadCloudPart(from, "./needs-sdk", "fakecloud", sdk),
    (e: unknown) => pulumi.RunError.isInstance(e) && /^cloud: fakecloud needs the @pulumi\/not-installed-sdk package, which is not installed in this project: npm install @pulumi\/not-installed-sdk@"\^1\.2\.0"$/.test((e as Error).message),
  );
});

test("any other failure to load a cloud part is not disguised as a missing SDK", () => {
  assert.throws(() => loadCloudPart(from, "./needs-other", "fakecloud", sdk), (e: unknown) => !pulumi.RunError.isInstance(e) && /left-pad-not-installed/.test((e as Error).message));
  assert.throws(() => loadCloudPart(from, "./missing-file", "fakecloud", sdk), (e: unknown) => !pulumi.RunError.isInstance(e) && /missing-file/.test((e as Error).message));
});

test("an installed cloud part loads synchronously, with the caller's extension (.js installed, .ts in a checkout)", () => {
  assert.deepEqual({ ...loadCloudPart<{ loaded: string }>(from, "./fine", "fakecloud", sdk) }, { loaded: "yes" });
});
