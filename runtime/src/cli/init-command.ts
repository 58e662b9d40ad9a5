import { access, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { type CiProvider, ciPipelineFiles } from "../ci/ci-pipeline.ts";
import { mlopsError } from "../errors.ts";
import { type Io, parseFlags, required } from "./args.ts";

/** Help for `mlops init`. */
export const INIT_HELP = `usage: mlops init ci --provider github|gitlab [--out <dir>] [--stacks dev,prod]
                   [--model <name>] [--data <path>] [--target <column>] [--policy <file>] [--metric <name>] [--force]

Writes a CI/CD pipeline for a platform repository (one that deploys MlopsPlatform stacks and
trains its model): .github/workflows/mlops.yml (GitHub Actions) or .gitlab-ci.yml (GitLab CI),
and a starter controller policy when the repository has none.

On a pull request: npm test; mlops train on the branch's data and config into a scratch
registry; mlops models compare against the champion in the platform registry (fails the check
when worse; the Markdown comparison is posted on the pull request); pulumi preview of every
stack whose config (or the program) changed. On merge to main: pulumi up of the dev stack (the
first of --stacks); the candidate is trained into the platform registry, gated again, and
taken through the controller's gate and canary (mlops controller --roll-out); the production
job (the other stacks' pulumi up, then mlops models approve and the controller finishing the
canary) waits for a person: a GitHub environment with required reviewers, or a GitLab manual
job on a protected environment.

  --provider <p>      github | gitlab
  --out <dir>         repository root to write into (default: .)
  --stacks <list>     comma-separated Pulumi stacks; the first is dev, the rest production (default: dev,prod)
  --model <name>      registry model name (default: model)
  --data <path>       training data in the repository or a URL (default: data/train.csv)
  --target <column>   column to predict (default: target)
  --policy <file>     controller policy path (default: mlops/policy.yaml; written if missing)
  --metric <name>     gate metric (default: the task's: rmse, rocAuc or accuracy)
  --force             overwrite an existing pipeline file

The pipeline reads the platform registry's location from the CI variable MLOPS_REGISTRY
(s3://, gs://, az:// URL) and Pulumi's token from PULUMI_ACCESS_TOKEN; GitLab posts the
comparison with a project access token in MLOPS_GITLAB_TOKEN.
`;

const flags = {
  provider: { type: "string" },
  out: { type: "string" },
  stacks: { type: "string" },
  model: { type: "string" },
  data: { type: "string" },
  target: { type: "string" },
  policy: { type: "string" },
  metric: { type: "string" },
  force: { type: "boolean" },
} as const;

const exists = (file: string) => access(file).then(() => true, () => false);

/** `mlops init ci`. */
export async function initCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags(argv, flags, 1);
  if (values.help || positionals[0] === undefined) {
    io.out(INIT_HELP);
    return values.help ? 0 : 2;
  }
  if (positionals[0] !== "ci") throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: `unknown init target ${JSON.stringify(positionals[0])}; use \`mlops init ci\`` });
  const files = ciPipelineFiles({
    provider: required(values.provider, "provider") as CiProvider,
    ...(values.stacks === undefined ? {} : { stacks: values.stacks.split(",").map((s) => s.trim()).filter(Boolean) }),
    ...(values.model === undefined ? {} : { model: values.model }),
    ...(values.data === undefined ? {} : { data: values.data }),
    ...(values.target === undefined ? {} : { target: values.target }),
    ...(values.policy === undefined ? {} : { policy: values.policy }),
    ...(values.metric === undefined ? {} : { metric: values.metric }),
  });
  const root = path.resolve(values.out ?? ".");
  const [pipeline, policy] = Object.keys(files) as [string, string];
  if (!values.force && (await exists(path.join(root, pipeline)))) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: `${path.join(root, pipeline)} exists; pass --force to overwrite it` });
  for (const [rel, text] of Object.entries(files)) {
    const file = path.join(root, rel);
    if (rel === policy && (await exists(file))) {
      io.out(`kept ${file} (exists)\n`);
      continue;
    }
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
    io.out(`wrote ${file}\n`);
  }
  return 0;
}
