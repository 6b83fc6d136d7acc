export { Profile, SecretRef, profileJsonSchema, hostnameFor } from './profile.ts';
export { parseProfile, loadProfile, MAX_PROFILE_BYTES, type ParseResult } from './parse.ts';
export { formatProblem, profileError, type ProfileProblem } from './problems.ts';
export {
  ArtifactCache,
  k3sArch,
  compareVersions,
  type K3sArch,
  type K3sArtifacts,
  type CachedFile,
  type CachedVersion,
  type ArtifactProgress,
  type VerifyResult,
} from './artifacts.ts';
export { runSteps, type Step, type StepContext, type StepCheck, type StepOutcome, type StepEvent, type StepProgress, type BoxFacts } from './steps.ts';
export { factsStep, readFacts } from './step-facts.ts';
export { hostnameStep } from './step-hostname.ts';
export { keysStep } from './step-keys.ts';
export { timeStep } from './step-time.ts';
export { networkStep, ROLLBACK_AFTER_S } from './step-network.ts';
export { networkFiles } from './network-files.ts';
export { k3sStep, k3sConfigYaml, registriesYaml } from './step-k3s.ts';
export { passwordStep } from './step-password.ts';
export { readyStep } from './step-ready.ts';
export { labelsStep } from './step-labels.ts';
export { workloadsStep, workloadFiles } from './step-workloads.ts';
export { planFor } from './plan.ts';
export { provisionBox, provisionMany, type ProvisionDeps, type ProvisionOptions, type BoxResult } from './run.ts';
export { provisionDeps } from './deps.ts';
export { provisionHandlers, EXAMPLE_PROFILE } from './handlers.ts';
