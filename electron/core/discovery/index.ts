export { MdnsBrowser, BROWSED_SERVICES, QUERY_BACKOFF, openTransports, type MdnsSighting, type MdnsTransport, type MdnsBrowserOptions } from './mdns.ts';
export { parseTxt, LIMITS as MDNS_LIMITS } from './records.ts';
export { Discovery, type DiscoveryDeps } from './discovery.ts';
export { discoveryHandlers } from './handlers.ts';
export { checkSweepRange, sweepAddresses, MAX_UNFORCED, MIN_FORCED, type SweepRange } from './cidr.ts';
export { sweep, knock, SWEEP_DEFAULTS, SWEEP_PORTS, MAX_BANNER_BYTES, type SweptHost, type SweepOptions, type SweepProgress, type SweepScan } from './sweep.ts';
export { recordSwept, keyBoxId, type SweepOutcome, type SweepMergeDeps } from './merge.ts';
export { Sweeper, localSubnets, type SweeperDeps, type SweepPlan, type SweepSummary } from './sweeper.ts';
