#!/bin/sh
# k3s @VERSION@ for linux/@ARCH@ -- Fieldlink lab stand-in, built by lab/kube/build-airgap.sh.
# k3s cannot run in the lab: the API server of every box runs in the lab's shared hub (lab/kube/hub.ts)
# and the box's k3s service only relays :6443 to it. This file does what a provisioner and a
# technician call on a box, and refuses to run on the wrong architecture like a real binary would.
K3S_ARCH=@ARCH@
K3S_VERSION=@VERSION@
K3S_COMMIT=@COMMIT@

case "$(uname -m 2>/dev/null)" in
  x86_64|amd64) host=amd64 ;;
  aarch64|arm64) host=arm64 ;;
  *) host=unknown ;;
esac
if [ "$host" != "$K3S_ARCH" ]; then
  echo "$0: cannot execute binary file: Exec format error" >&2
  exit 126
fi

case "$(basename "$0")" in
  kubectl|crictl|ctr) set -- "$(basename "$0")" "$@" ;;
esac

case "${1:-}" in
  --version|-v|version)
    echo "k3s version $K3S_VERSION ($K3S_COMMIT)"
    echo "go version go1.22.9" ;;
  kubectl)
    shift
    export KUBECONFIG="${KUBECONFIG:-/etc/rancher/k3s/k3s.yaml}"
    exec /usr/bin/kubectl "$@" ;;
  crictl|ctr)
    echo "$1: no container runtime in the lab (pods are simulated by the lab API server)" >&2
    exit 1 ;;
  server|agent)
    echo "k3s $1 runs as a service in the lab: systemctl start k3s$([ "$1" = agent ] && echo -agent)" >&2
    exit 1 ;;
  check-config)
    echo "System: ok (lab box, linux/$K3S_ARCH)" ;;
  *)
    echo "usage: k3s --version | k3s kubectl ... | k3s check-config" >&2
    exit 1 ;;
esac
