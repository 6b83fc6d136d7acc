export { safeText, MAX_SHOWN } from './text.ts';
export { relativeTime, absoluteTime, clockTime } from './time.ts';
export { formatBytes, plural } from './bytes.ts';
export { healthLabel, stateLabel, trustLabel, reachLabel, connectionLabel, mainAction, needsAttention, type Label, type Tone } from './labels.ts';
