export { type ChartSummary, type KubernetesManifest, apiVersionKind, helmCharts, isChart, kubernetesManifests } from "./manifests.ts";
export { SECRET_PLACEHOLDER, type StackConfig, UnknownStackError, findProjectDir, listStacks, readStackConfig } from "./stack-config.ts";
export { MOCKED_INVOKES, SynthMocks } from "./synth-mocks.ts";
export { StackProgramError, type SynthResource, type SynthResult, synthesize } from "./synthesize.ts";
export { type SynthOutput, writeSynthOutput } from "./write-synth-output.ts";
