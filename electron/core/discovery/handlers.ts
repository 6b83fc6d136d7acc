import type { HandlersOf } from '../rpc/index.ts';
import type { Discovery } from './discovery.ts';
import { Sweeper, localSubnets, type SweeperDeps } from './sweeper.ts';

/** mDNS needs the Discovery service; the sweep the job registry, the inventory and the trust store. */
export function discoveryHandlers({ discovery, ...deps }: { discovery: Discovery } & Omit<SweeperDeps, 'options'>): HandlersOf<'discovery'> {
  const sweeper = new Sweeper(deps);
  return {
    'discovery.start': () => {
      discovery.start();
      return { running: discovery.running };
    },
    'discovery.stop': async () => {
      await discovery.stop();
      return { running: discovery.running };
    },
    'discovery.checkSweep': ({ cidr, force }) => sweeper.plan(cidr, force),
    'discovery.subnets': () => localSubnets(),
    'discovery.sweep': ({ cidr, force }) => {
      const { job, plan } = sweeper.start({ cidr, force });
      return { jobId: job.id, plan };
    },
  };
}
