import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { FieldlinkError, exitCodeFor } from '../shared/errors.ts';
import { NS, labSerialEnv } from './config.ts';
import { assertCanRun, cable, down, requireUp, reboot, setClock, setDisk, setNoise, status, up, type LabStatus } from './lab.ts';
import { setLink, type LinkName, type Shape } from './net/topology.ts';

const USAGE = `fieldlink-lab: the edge-box lab (Linux, root)

  up --boxes N [--provisioned K] [--scenario NAME] [--baud 115200] [--console-noise SECONDS] [--json]
  down
  status [--json]
  net uplink|lan [--down|--up] [--delay MS] [--loss PCT] [--rate RATE] [--clear]
  reboot BOX | unplug BOX | plug BOX
  disk BOX --full|--free      fill the box's disk (every write fails with ENOSPC) or free it again
  clock BOX --offset=SECONDS   the box clock that far from this machine's (+ ahead, - behind)
  noise SECONDS            mean seconds between kernel messages on the consoles (0: none)
  tech -- CMD...           run a command in the technician namespace (${NS.tech})
`;

function usage(msg: string): never {
  throw new FieldlinkError('BAD_REQUEST', `${msg}\n\n${USAGE}`);
}

function num(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) usage(`${name} needs a number, not "${v}".`);
  return n;
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return cmd === undefined ? 2 : 0;
    case 'up': {
      const { values } = parseArgs({
        args: rest,
        options: {
          boxes: { type: 'string' },
          provisioned: { type: 'string' },
          scenario: { type: 'string' },
          baud: { type: 'string' },
          'console-noise': { type: 'string' },
          json: { type: 'boolean' },
        },
        strict: true,
      });
      if (values.boxes === undefined) usage('up needs --boxes N.');
      const r = await up({
        boxes: num(values.boxes, '--boxes')!,
        provisioned: num(values.provisioned, '--provisioned'),
        scenario: values.scenario,
        baud: num(values.baud, '--baud'),
        consoleNoiseS: num(values['console-noise'], '--console-noise'),
        progress: (m) => process.stderr.write(`… ${m}\n`),
      });
      const s = await status();
      if (values.json) process.stdout.write(JSON.stringify({ ...s, alreadyUp: r.already, seconds: r.seconds }, null, 2) + '\n');
      else {
        process.stdout.write(r.already ? 'The lab is already up with these settings; nothing to do.\n' : `Lab up in ${r.seconds.toFixed(1)} s.\n`);
        printStatus(s);
      }
      return 0;
    }
    case 'down': {
      parseArgs({ args: rest, options: {}, strict: true });
      const r = await down();
      process.stdout.write(r.wasUp ? 'Lab down: namespaces, processes and files removed.\n' : 'No lab was up; nothing to remove.\n');
      return 0;
    }
    case 'status': {
      const { values } = parseArgs({ args: rest, options: { json: { type: 'boolean' } }, strict: true });
      const s = await status();
      if (values.json) process.stdout.write(JSON.stringify(s, null, 2) + '\n');
      else printStatus(s);
      return 0;
    }
    case 'net': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: {
          down: { type: 'boolean' },
          up: { type: 'boolean' },
          delay: { type: 'string' },
          loss: { type: 'string' },
          rate: { type: 'string' },
          clear: { type: 'boolean' },
        },
        strict: true,
      });
      const link = positionals[0];
      if (link !== 'uplink' && link !== 'lan') usage('net needs a link: uplink or lan.');
      if (positionals.length > 1) usage(`Unexpected "${positionals[1]}".`);
      if (values.down && values.up) usage('Pick one of --down and --up.');
      assertCanRun();
      requireUp();
      const delayMs = num(values.delay, '--delay');
      const lossPct = num(values.loss, '--loss');
      if (delayMs !== undefined && (delayMs < 0 || delayMs > 60_000)) usage('--delay is 0 to 60000 ms.');
      if (lossPct !== undefined && (lossPct < 0 || lossPct > 100)) usage('--loss is 0 to 100 percent.');
      if (values.rate !== undefined && !/^\d+(\.\d+)?(bit|kbit|mbit|gbit|bps|kbps|mbps|gbps)$/i.test(values.rate)) usage('--rate looks like 1mbit, 256kbit or 100kbps.');
      let shape: Shape | null | undefined;
      if (values.clear) shape = null;
      else if (delayMs !== undefined || lossPct !== undefined || values.rate !== undefined) shape = { delayMs, lossPct, rate: values.rate };
      await setLink(link as LinkName, { up: values.down ? false : values.up ? true : undefined, shape });
      const s = await status({ memory: false });
      process.stdout.write(`${link}: ${JSON.stringify(s.links?.[link as LinkName])}\n`);
      return 0;
    }
    case 'reboot':
    case 'unplug':
    case 'plug': {
      const { positionals } = parseArgs({ args: rest, allowPositionals: true, options: {}, strict: true });
      if (positionals.length !== 1) usage(`${cmd} needs one box name, e.g. ${cmd} box-01.`);
      const name = positionals[0]!;
      if (cmd === 'reboot') await reboot(name);
      else await cable(name, cmd === 'plug');
      process.stdout.write(cmd === 'reboot' ? `${name} rebooted.\n` : `${name}: serial cable ${cmd === 'plug' ? 'plugged in' : 'unplugged'}.\n`);
      return 0;
    }
    case 'disk': {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { full: { type: 'boolean' }, free: { type: 'boolean' } }, strict: true });
      if (positionals.length !== 1 || values.full === values.free) usage('disk needs a box and one of --full and --free, e.g. disk box-04 --full.');
      const d = await setDisk(positionals[0]!, values.full === true);
      process.stdout.write(`${positionals[0]}: disk ${values.full ? 'full' : 'freed'}, ${Math.round(d.freeKiB / 1024)} of ${Math.round(d.sizeKiB / 1024)} MiB free.\n`);
      return 0;
    }
    case 'clock': {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { offset: { type: 'string' } }, strict: true });
      if (positionals.length !== 1 || values.offset === undefined)
        usage('clock needs a box and --offset SECONDS, e.g. clock box-04 --offset=-7200 (with = for a negative number).');
      setClock(positionals[0]!, num(values.offset, '--offset')!);
      process.stdout.write(`${positionals[0]}: clock ${values.offset} s from this machine's.\n`);
      return 0;
    }
    case 'noise': {
      if (rest.length !== 1) usage('noise needs the mean seconds between kernel messages (0: none).');
      await setNoise(num(rest[0], 'noise')!);
      return 0;
    }
    case 'tech': {
      const args = rest[0] === '--' ? rest.slice(1) : rest;
      if (args.length === 0) usage('tech needs a command: fieldlink-lab tech -- CMD...');
      assertCanRun();
      requireUp();
      return await new Promise<number>((resolve, reject) => {
        const p = spawn('ip', ['netns', 'exec', NS.tech, ...args], { stdio: 'inherit', env: labSerialEnv() });
        p.on('error', (e) => reject(new FieldlinkError('INTERNAL', `Cannot run ${args[0]}: ${e.message}`)));
        p.on('exit', (code, sig) => resolve(code ?? (sig ? 128 + 15 : 1)));
      });
    }
    default:
      usage(`Unknown command "${cmd}".`);
  }
}

function printStatus(s: LabStatus): void {
  if (!s.options) {
    process.stdout.write('No lab is up.\n');
    return;
  }
  process.stdout.write(`Lab ${s.up ? 'up' : 'NOT healthy'} in ${s.dir}: technician ${s.tech.ns} ${s.tech.ip}, collector ${s.collector.ns} ${s.collector.url}\n`);
  if (s.links) {
    for (const [n, l] of Object.entries(s.links)) {
      process.stdout.write(
        `  ${n}: ${l.up ? 'up' : 'DOWN'}${l.delayMs !== null ? ` delay ${l.delayMs} ms` : ''}${l.lossPct !== null ? ` loss ${l.lossPct}%` : ''}${l.rate ? ` rate ${l.rate}` : ''}\n`,
      );
    }
  }
  const rows = s.boxes.map((b) => [
    b.name,
    b.serial,
    b.ip,
    b.password,
    b.state,
    b.power,
    `api ${b.api}`,
    `${Math.round(b.memoryKiB / 1024)} MiB`,
    b.consolePlugged ? b.console : '(unplugged)',
  ]);
  const w = rows.length ? rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length))) : [];
  for (const r of rows) process.stdout.write('  ' + r.map((c, i) => c.padEnd(w[i]!)).join('  ') + '\n');
}

export async function runCli(argv: string[]): Promise<void> {
  // A closed pipe on our output (`up | head`) must not kill a half-done up or down.
  process.stdout.on('error', () => {});
  process.stderr.on('error', () => {});
  try {
    process.exitCode = await main(argv);
  } catch (e) {
    if (e instanceof FieldlinkError) {
      process.stderr.write(`fieldlink-lab: ${e.message}\n`);
      process.exitCode = exitCodeFor(e.code);
    } else if (e instanceof Error && 'code' in e && String((e as { code: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`fieldlink-lab: ${e.message}\n\n${USAGE}`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`fieldlink-lab: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 1;
    }
  }
}
