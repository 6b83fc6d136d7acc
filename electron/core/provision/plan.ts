import { factsStep } from './step-facts.ts';
import { hostnameStep } from './step-hostname.ts';
import { k3sStep } from './step-k3s.ts';
import { keysStep } from './step-keys.ts';
import { labelsStep } from './step-labels.ts';
import { networkStep } from './step-network.ts';
import { passwordStep } from './step-password.ts';
import { readyStep } from './step-ready.ts';
import { timeStep } from './step-time.ts';
import { workloadsStep } from './step-workloads.ts';
import type { Step } from './steps.ts';

/**
 * The steps that take a box to a profile, in the order each builds on the last: who the box is,
 * its name and clock, its network, who may log in (the key proven before passwords go off), k3s
 * from the cache, the node Ready, its labels, and what runs on it.
 */
export function planFor(): Step[] {
  return [factsStep, hostnameStep, timeStep, networkStep, keysStep, passwordStep, k3sStep, readyStep, labelsStep, workloadsStep];
}
