#!/bin/bash
# The anchor for `npm run bench -- lab-up`: the bare minimum the issue compares the lab with,
# N network namespaces on a bridge, each with only OpenSSH sshd and avahi-daemon running in a
# private /run. No box identity, consoles, journal or API: the floor a lab on this machine costs.
# usage: lab-up-anchor.sh up N | down
# Everything it makes is named fl-bare-*; `down` removes exactly that and the processes in it.
set -eu
STATE=/tmp/fl-bare
cmd=${1:-}
case "$cmd" in
  up)
    n=${2:?usage: lab-up-anchor.sh up N}
    mkdir -p "$STATE"
    ssh-keygen -q -t ed25519 -N '' -f "$STATE/host_key" <<<y >/dev/null 2>&1 || true
    printf 'Port 22\nListenAddress 0.0.0.0\nHostKey %s\nPidFile /run/sshd.pid\nUsePAM no\n' "$STATE/host_key" > "$STATE/sshd_config"
    printf '[server]\nuse-ipv4=yes\nuse-ipv6=no\nallow-interfaces=eth0\nenable-dbus=no\n[publish]\npublish-hinfo=no\npublish-workstation=no\n' > "$STATE/avahi.conf"
    ip netns add fl-bare-lan
    ip -n fl-bare-lan link add br0 type bridge
    ip -n fl-bare-lan link set br0 up
    for i in $(seq 1 "$n"); do
      ns=fl-bare-$i
      ip netns add "$ns"
      ip link add eth0 netns "$ns" type veth peer name "v$i" netns fl-bare-lan
      ip -n fl-bare-lan link set "v$i" master br0 up
      ip -n "$ns" link set lo up
      ip -n "$ns" addr add "10.99.$((i / 250)).$((i % 250 + 2))/16" dev eth0
      ip -n "$ns" link set eth0 up
      ip -n "$ns" route add 224.0.0.0/4 dev eth0
      # Both daemons fork into the background once they are serving.
      ip netns exec "$ns" unshare --mount --propagation private sh -c '
        mount -t tmpfs tmpfs /run && mkdir -p /run/sshd /run/avahi-daemon &&
        /usr/sbin/sshd -f "$1/sshd_config" &&
        avahi-daemon -D --no-drop-root --no-chroot -f "$1/avahi.conf" 2>/dev/null' sh "$STATE"
    done ;;
  down)
    for ns in $(ip netns list | awk '$1 ~ /^fl-bare-/ {print $1}'); do
      pids=$(ip netns pids "$ns")
      [ -n "$pids" ] && kill $pids 2>/dev/null || true
      ip netns del "$ns"
    done
    rm -rf "$STATE" ;;
  *) echo "usage: lab-up-anchor.sh up N | down" >&2; exit 2 ;;
esac
