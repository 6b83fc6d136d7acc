import { describe, expect, it } from 'vitest';
import { factoryBox, labStatus, provisionedBox, ssh, sshOk, until } from './helpers.ts';

describe('box commands a provisioner and the log collector use', () => {
  it('journalctl reads the box journal with real cursors: --after-cursor returns only what came after', async () => {
    const b = factoryBox(await labStatus());
    const first = JSON.parse((await sshOk(b, 'lab-journal --unit fl-test.service --ident fl-test "first $$"; journalctl -u fl-test.service -o json -n 1')).trim());
    expect(first.__CURSOR).toMatch(/^s=/);
    await sshOk(b, 'lab-journal --unit fl-test.service --ident fl-test second');
    const after = (await sshOk(b, `journalctl -u fl-test.service -o json --after-cursor '${first.__CURSOR}'`))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(after.map((e) => e.MESSAGE)).toEqual(['second']);
    const since = await sshOk(b, "journalctl --since '-10min' -u fl-test.service -o cat");
    expect(since).toContain('second');
    const kernel = await sshOk(b, 'journalctl -k -o cat');
    expect(kernel).toMatch(/Linux version 6\.1\.0/);
    // sshd's own log lands in the journal under its unit, as on a real box.
    expect(await sshOk(b, 'journalctl -u ssh.service -o cat')).toMatch(/Accepted password for root from 10\.77\.0\.2/);
    const dmesg = await sshOk(b, 'dmesg');
    expect(dmesg).toMatch(/^\[\s*\d+\.\d{6}\] Linux version/m);
  });

  it('systemctl manages the lab services; k3s does not exist on a factory box', async () => {
    const b = factoryBox(await labStatus());
    expect((await sshOk(b, 'systemctl is-active ssh avahi-daemon')).trim()).toBe('active\nactive');
    const r = await ssh(b, 'systemctl start k3s');
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/k3s\.service not found/);
    expect((await ssh(b, 'command -v k3s')).code).not.toBe(0);
    const st = await ssh(b, 'systemctl status ssh');
    expect(st.code).toBe(0);
    expect(st.stdout).toMatch(/Active: active \(running\)/);
  });

  it('hostnamectl changes the real hostname of the box', async () => {
    const b = factoryBox(await labStatus());
    const old = (await sshOk(b, 'hostname')).trim();
    try {
      expect((await sshOk(b, 'hostnamectl set-hostname fl-renamed && hostname && cat /etc/hostname')).trim()).toBe('fl-renamed\nfl-renamed');
      expect((await ssh(b, 'hostnamectl set-hostname "bad name;rm"')).code).toBe(1);
    } finally {
      await sshOk(b, `hostnamectl set-hostname ${old}`);
    }
  });

  it('a provisioned box runs k3s: systemctl and `k3s kubectl` work, stop and start change the API state', async () => {
    const b = provisionedBox(await labStatus());
    expect((await sshOk(b, 'systemctl is-active k3s; systemctl is-enabled k3s; k3s --version | head -1')).trim()).toMatch(/^active\nenabled\nk3s version v1\.\d+/);
    expect((await labStatus()).boxes.find((x) => x.name === b.name)!.api).toBe('running');
    await sshOk(b, 'systemctl stop k3s');
    try {
      expect((await ssh(b, 'systemctl is-active k3s')).code).toBe(3);
      expect((await labStatus()).boxes.find((x) => x.name === b.name)!.api).toBe('stopped');
    } finally {
      await sshOk(b, 'systemctl start k3s');
    }
    // The hub notices server.json and opens the box's socket a moment later.
    await until(async () => (await labStatus()).boxes.find((x) => x.name === b.name)!.api === 'running', 30_000, 'API back to running after start');
    const hub = (await labStatus()).daemons.kubeHub;
    if (hub) {
      // With the API hub running, the real kubectl reaches it through the box's :6443.
      const v = await until(
        async () => {
          const r = await ssh(b, 'k3s kubectl get --raw /version');
          return r.code === 0 ? r.stdout : null;
        },
        30_000,
        'k3s kubectl on the box',
      );
      expect(JSON.parse(v).gitVersion).toMatch(/^v1\./);
    }
  });
});
