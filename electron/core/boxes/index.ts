export { identifyBox, parseBoxFacts, boxIdOf, type BoxFacts } from './identify.ts';
export { boxHandlers } from './handlers.ts';
