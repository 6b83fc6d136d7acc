export { MdnsBrowser, BROWSED_SERVICES, QUERY_BACKOFF, openTransports, type MdnsSighting, type MdnsTransport, type MdnsBrowserOptions } from './mdns.ts';
export { parseTxt, LIMITS as MDNS_LIMITS } from './records.ts';
export { Discovery, type DiscoveryDeps } from './discovery.ts';
export { discoveryHandlers } from './handlers.ts';
