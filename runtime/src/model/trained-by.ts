import { hostname, userInfo } from "node:os";
import path from "node:path";

/** Who and what trained a version, recorded in its `version.json` (`extra.trainedBy`) and shown on its model card. */
export interface TrainedBy {
  /** The operating-system user that ran training. */
  user: string;
  /** The machine (a pod name, in a cluster). */
  host: string;
  /** The command line, with credentials in URLs (user info, query strings) removed. */
  command: string;
  /** The CI system that ran it, when one did, with the run's identifying variables. @default - absent outside CI */
  ci?: { provider: "github" | "gitlab" | "generic"; actor?: string; repository?: string; ref?: string; commit?: string; runUrl?: string; pipeline?: string };
  /** The runtime's Node.js version. */
  node: string;
}

/** A command-line argument with the secrets a URL may carry (user:password@, ?sig=...) cut out. */
export function redactArgument(arg: string): string {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/?#]*@)?([^?#]*)([?#].*)?$/.exec(arg);
  if (!m) return arg;
  return `${m[1]}${m[2] ? "***@" : ""}${m[3]}${m[4] ? "?***" : ""}`;
}

/** The {@link TrainedBy} of this process, from its user, host, argv and CI variables (GitHub Actions, GitLab CI). */
export function trainedBy(env: NodeJS.ProcessEnv = process.env, argv: readonly string[] = process.argv): TrainedBy {
  let user = env.USER ?? env.LOGNAME ?? "";
  try {
    user ||= userInfo().username;
  } catch {
    user ||= "unknown";
  }
  const [, script, ...args] = argv;
  const program = script ? (path.basename(script).replace(/\.js$/, "") === "mlops" ? "mlops" : path.basename(script)) : "mlops";
  const command = [program, ...args.map(redactArgument)].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(" ");
  const clean = (o: Record<string, string | undefined>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== "")) as Record<string, string>;
  let ci: TrainedBy["ci"];
  if (env.GITHUB_ACTIONS === "true") {
    ci = {
      provider: "github",
      ...clean({
        actor: env.GITHUB_ACTOR,
        repository: env.GITHUB_REPOSITORY,
        ref: env.GITHUB_REF,
        commit: env.GITHUB_SHA,
        runUrl: env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}` : undefined,
      }),
    };
  } else if (env.GITLAB_CI === "true") {
    ci = { provider: "gitlab", ...clean({ actor: env.GITLAB_USER_LOGIN, repository: env.CI_PROJECT_PATH, ref: env.CI_COMMIT_REF_NAME, commit: env.CI_COMMIT_SHA, runUrl: env.CI_JOB_URL, pipeline: env.CI_PIPELINE_ID }) };
  } else if (env.CI === "true") {
    ci = { provider: "generic" };
  }
  return { user, host: hostname(), command, ...(ci ? { ci } : {}), node: process.version };
}
