#!/usr/bin/env bash
# What installing pulumi-mlops costs a Pulumi project: packs the contract and component packages,
# installs them into fresh projects made like `pulumi new typescript` (CommonJS + nodenext): one
# for an existing cluster, one for AWS (with @pulumi/aws, the optional peer it needs); and
# compares node_modules size and `tsc --noEmit` time and peak RSS with a bare Pulumi program.
#   bash bench/consumer.sh [runs=3]
set -euo pipefail
runs=${1:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export NODE_OPTIONS=
(cd "$root" && npm pack --workspace contract --workspace components --pack-destination "$work" --silent >/dev/null)
dev=$(node -e 'const d=require(process.argv[1]).devDependencies; console.log(JSON.stringify({"@types/node":d["@types/node"],typescript:d.typescript,"ts-node":d["ts-node"]}))' "$root/package.json")
pulumi=$(node -e 'console.log(require(process.argv[1]).devDependencies["@pulumi/pulumi"])' "$root/package.json")
tsconfig='{"compilerOptions":{"strict":true,"outDir":"bin","target":"es2020","module":"nodenext","moduleResolution":"nodenext","sourceMap":true,"experimentalDecorators":true,"pretty":true,"noFallthroughCasesInSwitch":true,"noImplicitReturns":true,"forceConsistentCasingInFileNames":true},"files":["index.ts"]}'
project() { # name, extra npm install args...
  local dir=$work/$1; shift; mkdir -p "$dir"
  printf '{"name":"%s","main":"index.ts","devDependencies":%s,"dependencies":{"@pulumi/pulumi":"%s"}}\n' "$(basename "$dir")" "$dev" "$pulumi" >"$dir/package.json"
  echo "$tsconfig" >"$dir/tsconfig.json"
  (cd "$dir" && npm install --prefer-offline --ignore-scripts --no-audit --no-fund "$@" >/dev/null 2>&1)
}
project bare
printf 'import * as pulumi from "@pulumi/pulumi";\nexport const stack = pulumi.getStack();\n' >"$work/bare/index.ts"
# The cloud SDKs are optional peers: an existing-cluster project installs none, an AWS one @pulumi/aws.
aws_sdk=$(node -e 'console.log(require(process.argv[1]).peerDependencies["@pulumi/aws"])' "$root/components/package.json")
project existing "$work"/pulumi-mlops-contract-*.tgz "$work"/pulumi-mlops-0*.tgz
cat >"$work/existing/index.ts" <<'TS'
import * as pulumi from "@pulumi/pulumi";
import { MlopsPlatform } from "pulumi-mlops";
const platform = new MlopsPlatform("mlops", { cloud: "existing", existing: { registryUrl: "localhost:5001" } });
export const endpoint: pulumi.Output<string> = platform.endpoint;
TS
project aws "$work"/pulumi-mlops-contract-*.tgz "$work"/pulumi-mlops-0*.tgz "@pulumi/aws@$aws_sdk"
cat >"$work/aws/index.ts" <<'TS'
import * as pulumi from "@pulumi/pulumi";
import { MlopsPlatform } from "pulumi-mlops";
const platform = new MlopsPlatform("mlops", { cloud: "aws", region: "us-east-1", aws: { authorizedCidrs: ["198.51.100.7/32"] } });
export const endpoint: pulumi.Output<string> = platform.endpoint;
TS
for p in bare existing aws; do
  d=$work/$p
  printf "%-8s node_modules %4s MB, %3s packages\n" "$p" "$(du -sm "$d/node_modules" | cut -f1)" "$(cd "$d" && npm ls --all --parseable 2>/dev/null | sort -u | wc -l)"
  for i in $(seq "$runs"); do
    /usr/bin/time -f "$p  tsc --noEmit %e s, peak RSS %M KB" node "$d/node_modules/typescript/bin/tsc" --noEmit -p "$d" 2>&1 | tail -1
  done
done
echo "machine: $(nproc) cores, $(node --version), load $(cut -d' ' -f1-3 /proc/loadavg)"
