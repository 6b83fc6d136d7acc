#!/bin/sh
# Builds the lab's stand-in k3s airgap artifacts, laid out as a k3s GitHub release:
#   k3s, k3s-arm64                          the "binary" per arch (lab/kube/k3s-standin.sh)
#   k3s-airgap-images-<arch>.tar.zst        a docker-archive tarball naming the images k3s ships
#   k3s-images.txt                          the image list
#   sha256sum-<arch>.txt                    "<sha256>  <file>" for that arch, as the release has it
#   install.sh                              the airgap installer (lab/kube/install.sh)
# usage: build-airgap.sh OUTDIR [VERSION]   (VERSION like v1.30.6+k3s1)
# Output is reproducible: the same version gives the same bytes, so checksums are stable.
set -eu
OUT=${1:?usage: build-airgap.sh OUTDIR [VERSION]}
VERSION=${2:-v1.30.6+k3s1}
case "$VERSION" in
  v[0-9]*.[0-9]*.[0-9]*) ;;
  *) echo "build-airgap.sh: VERSION must look like v1.30.6+k3s1, not '$VERSION'" >&2; exit 2 ;;
esac
HERE=$(cd "$(dirname "$0")" && pwd)
command -v zstd >/dev/null || { echo "build-airgap.sh: zstd is required" >&2; exit 1; }
mkdir -p "$OUT"
COMMIT=$(printf '%s' "$VERSION" | sha256sum | cut -c1-8)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

cat > "$OUT/k3s-images.txt" <<EOF
docker.io/rancher/klipper-helm:v0.9.3-build20241008
docker.io/rancher/klipper-lb:v0.4.9
docker.io/rancher/local-path-provisioner:v0.0.30
docker.io/rancher/mirrored-coredns-coredns:1.12.0
docker.io/rancher/mirrored-library-busybox:1.36.1
docker.io/rancher/mirrored-library-traefik:2.11.18
docker.io/rancher/mirrored-metrics-server:v0.7.2
docker.io/rancher/mirrored-pause:3.6
EOF

for arch in amd64 arm64; do
  bin=k3s
  [ "$arch" = amd64 ] || bin="k3s-$arch"
  sed -e "s/@ARCH@/$arch/g" -e "s/@VERSION@/$VERSION/g" -e "s/@COMMIT@/$COMMIT/g" "$HERE/k3s-standin.sh" > "$OUT/$bin.tmp"
  chmod 755 "$OUT/$bin.tmp"
  mv "$OUT/$bin.tmp" "$OUT/$bin"

  # A docker-archive (what `docker save` writes and k3s imports): manifest.json plus one config per image.
  d="$TMP/$arch"
  mkdir -p "$d"
  printf '[' > "$d/manifest.json"
  sep=''
  while read -r img; do
    cfg=$(printf '%s %s' "$img" "$arch" | sha256sum | cut -d' ' -f1)
    printf '{"architecture":"%s","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":[]}}' "$arch" > "$d/$cfg.json"
    printf '%s{"Config":"%s.json","RepoTags":["%s"],"Layers":[]}' "$sep" "$cfg" "$img" >> "$d/manifest.json"
    sep=','
  done < "$OUT/k3s-images.txt"
  printf ']\n' >> "$d/manifest.json"
  tar -C "$d" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf - . | zstd -q -19 -o "$OUT/k3s-airgap-images-$arch.tar.zst.tmp" -f
  mv "$OUT/k3s-airgap-images-$arch.tar.zst.tmp" "$OUT/k3s-airgap-images-$arch.tar.zst"

  (cd "$OUT" && sha256sum "$bin" "k3s-airgap-images-$arch.tar.zst" k3s-images.txt > "sha256sum-$arch.txt.tmp" && mv "sha256sum-$arch.txt.tmp" "sha256sum-$arch.txt")
done
cp "$HERE/install.sh" "$OUT/install.sh.tmp"
chmod 755 "$OUT/install.sh.tmp"
mv "$OUT/install.sh.tmp" "$OUT/install.sh"
echo "$OUT: k3s $VERSION airgap artifacts for amd64, arm64"
