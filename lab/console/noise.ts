/**
 * Kernel-style console messages, as a real edge box prints them between (and in the middle of)
 * whatever else is on the console: USB hot-plug, link flaps, thermal and filesystem chatter.
 */
const MESSAGES = [
  'usb 1-1: new high-speed USB device number 3 using xhci_hcd',
  'usb 1-1: USB disconnect, device number 3',
  'igb 0000:01:00.0 eth0: igb: eth0 NIC Link is Up 1000 Mbps Full Duplex, Flow Control: RX',
  'EXT4-fs (mmcblk0p2): re-mounted. Quota mode: none.',
  'thermal thermal_zone0: critical temperature reached (95 C), shutting down in 0 s (lab: ignored)',
  'cfg80211: Loading compiled-in X.509 certificates for regulatory database',
  'perf: interrupt took too long (2503 > 2500), lowering kernel.perf_event_max_sample_rate to 79750',
  'audit: type=1400 audit(0.0:17): apparmor="DENIED" operation="open" profile="containerd" name="/proc/sys/kernel/osrelease"',
  'hrtimer: interrupt took 31417 ns',
  'TCP: request_sock_TCP: Possible SYN flooding on port 6443. Sending cookies.',
];

export function kernelMessage(random: () => number = Math.random): string {
  return MESSAGES[Math.floor(random() * MESSAGES.length)]!;
}

/** The console line the kernel prints: "[  123.456789] text", seconds since boot. */
export function formatKernelLine(sinceBootMs: number, text: string): string {
  // Integer microseconds: float seconds would print 456788 for .456789.
  const total = Math.round(Math.max(0, sinceBootMs) * 1000);
  const whole = Math.floor(total / 1e6);
  const micros = total % 1e6;
  return `[${String(whole).padStart(5, ' ')}.${String(micros).padStart(6, '0')}] ${text}`;
}

/** Exponentially spaced delays: messages arrive like independent events, mean `meanS` seconds. */
export function nextNoiseDelayMs(meanS: number, random: () => number = Math.random): number {
  return Math.round(-Math.log(1 - random()) * meanS * 1000);
}
