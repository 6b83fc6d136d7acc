/** The lab's public surface for tests, benchmarks and the demo. */
export { up, down, status, reboot, cable, setNoise, teardown, type UpOptions, type LabStatus, type BoxStatus } from './lab.ts';
export { setLink, linkState, LINKS, type LinkName, type Shape, type LinkState } from './net/topology.ts';
export { labDir, paths, NS, TECH_IP, COLLECTOR_IP, COLLECTOR_PORT, LAN_CIDR, SCENARIOS } from './config.ts';
export { boxPids, initPid } from './box/lifecycle.ts';
export { readState, type BoxRecord, type LabState } from './state.ts';
export { labd } from './console/control.ts';
