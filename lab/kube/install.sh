#!/bin/sh
# k3s installer for Fieldlink lab boxes: the airgap path of get.k3s.io's install.sh, same variables,
# same files, same messages where it matters. There is no internet in the lab, so the binary must
# already be in place (INSTALL_K3S_SKIP_DOWNLOAD=true after copying `k3s` to /usr/local/bin/k3s, or
# INSTALL_K3S_ARTIFACT_DIR pointing at build-airgap.sh output, whose sha256sum file is checked;
# that variable is the lab's, not k3s's). Airgap images go to /var/lib/rancher/k3s/agent/images/
# by hand, as with real k3s.
#
# Honoured: INSTALL_K3S_SKIP_DOWNLOAD, INSTALL_K3S_EXEC, K3S_URL, K3S_TOKEN, K3S_TOKEN_FILE,
#   INSTALL_K3S_NAME, INSTALL_K3S_BIN_DIR, INSTALL_K3S_SYSTEMD_DIR, INSTALL_K3S_SYMLINK,
#   INSTALL_K3S_SKIP_ENABLE, INSTALL_K3S_SKIP_START, INSTALL_K3S_ARTIFACT_DIR, K3S_* (into the env file).
# The box's k3s service (systemctl start k3s) writes the box's server.json for the lab hub, which
# reads the flags and K3S_URL/K3S_TOKEN from the unit and env file written here.
set -e
set -o noglob

info() { echo '[INFO] ' "$@"; }
warn() { echo '[WARN] ' "$@" >&2; }
fatal() { echo '[ERROR] ' "$@" >&2; exit 1; }

quote() {
  for arg in "$@"; do
    printf '%s\n' "$arg" | sed "s/'/'\\\\''/g;1s/^/'/;\$s/\$/'/"
  done
}
quote_indent() {
  printf ' \\\n'
  for arg in "$@"; do
    printf '\t%s \\\n' "$(quote "$arg")"
  done
}
escape_dq() { printf '%s' "$@" | sed -e 's/"/\\"/g'; }

# --- the command (server or agent) and its flags, as the real installer decides them ---
set -- $INSTALL_K3S_EXEC "$@"
case "${1:-}" in
  -*|"")
    if [ -z "${K3S_URL:-}" ]; then
      CMD_K3S=server
    else
      if [ -z "${K3S_TOKEN:-}" ] && [ -z "${K3S_TOKEN_FILE:-}" ]; then
        fatal "Defaulted k3s exec command to 'agent' because K3S_URL is defined, but K3S_TOKEN or K3S_TOKEN_FILE is not defined."
      fi
      CMD_K3S=agent
    fi ;;
  *)
    CMD_K3S=$1
    shift ;;
esac
case "$CMD_K3S" in
  server|agent) ;;
  *) fatal "Unknown k3s command '$CMD_K3S': INSTALL_K3S_EXEC must start with server, agent or a flag" ;;
esac
if [ -n "${K3S_URL:-}" ] && [ "$CMD_K3S" = agent ]; then
  case "$K3S_URL" in
    https://*) ;;
    *) fatal "Only https:// URLs are supported for K3S_URL (have ${K3S_URL})" ;;
  esac
fi
CMD_K3S_EXEC="${CMD_K3S}$(quote_indent "$@")"

if [ -n "${INSTALL_K3S_NAME:-}" ]; then
  SYSTEM_NAME=k3s-${INSTALL_K3S_NAME}
elif [ "$CMD_K3S" = server ]; then
  SYSTEM_NAME=k3s
else
  SYSTEM_NAME=k3s-${CMD_K3S}
fi
case "$SYSTEM_NAME" in
  *[!a-zA-Z0-9_.-]*) fatal "Invalid characters in the service name '$SYSTEM_NAME'" ;;
esac

BIN_DIR=${INSTALL_K3S_BIN_DIR:-/usr/local/bin}
SYSTEMD_DIR=${INSTALL_K3S_SYSTEMD_DIR:-/etc/systemd/system}
FILE_K3S_SERVICE=${SYSTEMD_DIR}/${SYSTEM_NAME}.service
FILE_K3S_ENV=${SYSTEMD_DIR}/${SYSTEM_NAME}.service.env
KILLALL_K3S_SH=${BIN_DIR}/k3s-killall.sh
UNINSTALL_K3S_SH=${BIN_DIR}/${SYSTEM_NAME}-uninstall.sh

case "$(uname -m)" in
  amd64|x86_64) ARCH=amd64; SUFFIX= ;;
  arm64|aarch64) ARCH=arm64; SUFFIX=-arm64 ;;
  *) fatal "Unsupported architecture $(uname -m)" ;;
esac

# --- the binary: copied in place beforehand, or from an artifact folder with its checksum ---
mkdir -p "$BIN_DIR"
if [ "${INSTALL_K3S_SKIP_DOWNLOAD:-}" = true ]; then
  info 'Skipping k3s download and verify'
  [ -x "$BIN_DIR/k3s" ] || fatal "Executable k3s binary not found at $BIN_DIR/k3s"
elif [ -n "${INSTALL_K3S_ARTIFACT_DIR:-}" ]; then
  A=$INSTALL_K3S_ARTIFACT_DIR
  [ -f "$A/sha256sum-${ARCH}.txt" ] || fatal "No sha256sum-${ARCH}.txt in $A"
  info "Verifying binary k3s${SUFFIX} from $A"
  HASH_EXPECTED=$(grep " k3s${SUFFIX}\$" "$A/sha256sum-${ARCH}.txt" | awk '{print $1}')
  [ -n "$HASH_EXPECTED" ] || fatal "sha256sum-${ARCH}.txt has no line for k3s${SUFFIX}"
  HASH_BIN=$(sha256sum "$A/k3s${SUFFIX}" | awk '{print $1}')
  [ "$HASH_EXPECTED" = "$HASH_BIN" ] || fatal "Download sha256 does not match ${HASH_EXPECTED}, got ${HASH_BIN}"
  info "Installing k3s to $BIN_DIR/k3s"
  cp "$A/k3s${SUFFIX}" "$BIN_DIR/k3s.tmp"
  chmod 755 "$BIN_DIR/k3s.tmp"
  mv -f "$BIN_DIR/k3s.tmp" "$BIN_DIR/k3s"
else
  fatal "Failed to download https://github.com/k3s-io/k3s/releases: no internet in the lab. Copy k3s to $BIN_DIR/k3s and set INSTALL_K3S_SKIP_DOWNLOAD=true, or set INSTALL_K3S_ARTIFACT_DIR"
fi

# --- kubectl, crictl, ctr symlinks: only where no such command exists, unless forced ---
if [ "${INSTALL_K3S_SYMLINK:-}" != skip ]; then
  for cmd in kubectl crictl ctr; do
    if [ ! -e "$BIN_DIR/$cmd" ] || [ "${INSTALL_K3S_SYMLINK:-}" = force ]; then
      which_cmd=$(command -v "$cmd" 2>/dev/null || true)
      if [ -z "$which_cmd" ] || [ "${INSTALL_K3S_SYMLINK:-}" = force ]; then
        info "Creating $BIN_DIR/$cmd symlink to k3s"
        ln -sf k3s "$BIN_DIR/$cmd"
      else
        info "Skipping $BIN_DIR/$cmd symlink to k3s, command exists in PATH at $which_cmd"
      fi
    else
      info "Skipping $BIN_DIR/$cmd symlink to k3s, already exists"
    fi
  done
fi

# --- killall and uninstall scripts ---
info "Creating killall script $KILLALL_K3S_SH"
cat > "$KILLALL_K3S_SH" <<'EOF'
#!/bin/sh
# Stops every k3s service on this lab box (there are no containers to kill: the lab simulates them).
for u in k3s k3s-agent; do systemctl stop "$u" 2>/dev/null || true; done
EOF
chmod 755 "$KILLALL_K3S_SH"

info "Creating uninstall script $UNINSTALL_K3S_SH"
cat > "$UNINSTALL_K3S_SH" <<EOF
#!/bin/sh
set -x
systemctl stop $SYSTEM_NAME 2>/dev/null || true
systemctl disable $SYSTEM_NAME 2>/dev/null || true
rm -f "$FILE_K3S_SERVICE" "$FILE_K3S_ENV"
for cmd in kubectl crictl ctr; do
  if [ -L "$BIN_DIR/\$cmd" ]; then rm -f "$BIN_DIR/\$cmd"; fi
done
rm -rf /etc/rancher/k3s /var/lib/rancher/k3s
rm -f "$BIN_DIR/k3s" "$KILLALL_K3S_SH"
rm -f "$UNINSTALL_K3S_SH"
EOF
chmod 755 "$UNINSTALL_K3S_SH"

# --- the env file (0600: it may hold the join token) and the unit ---
info "env: Creating environment file $FILE_K3S_ENV"
mkdir -p "$SYSTEMD_DIR"
(
  umask 0177
  : > "$FILE_K3S_ENV.tmp"
  env | grep -E '^K3S_[A-Z0-9_]*=' | sort | while IFS= read -r line; do
    printf "%s=%s\n" "${line%%=*}" "$(quote "${line#*=}")"
  done >> "$FILE_K3S_ENV.tmp"
  if [ -n "${K3S_TOKEN_FILE:-}" ] && [ -z "${K3S_TOKEN:-}" ]; then
    [ -r "$K3S_TOKEN_FILE" ] || fatal "K3S_TOKEN_FILE $K3S_TOKEN_FILE cannot be read"
    printf "K3S_TOKEN=%s\n" "$(quote "$(head -n1 "$K3S_TOKEN_FILE")")" >> "$FILE_K3S_ENV.tmp"
  fi
  mv -f "$FILE_K3S_ENV.tmp" "$FILE_K3S_ENV"
)

info "systemd: Creating service file $FILE_K3S_SERVICE"
[ "$CMD_K3S" = server ] && TYPE=notify || TYPE=exec
cat > "$FILE_K3S_SERVICE.tmp" <<EOF
[Unit]
Description=Lightweight Kubernetes
Documentation=https://k3s.io
Wants=network-online.target
After=network-online.target

[Install]
WantedBy=multi-user.target

[Service]
Type=${TYPE}
EnvironmentFile=-/etc/default/%N
EnvironmentFile=-/etc/sysconfig/%N
EnvironmentFile=-${FILE_K3S_ENV}
KillMode=process
Delegate=yes
User=root
LimitNOFILE=1048576
LimitNPROC=infinity
LimitCORE=infinity
TasksMax=infinity
TimeoutStartSec=0
Restart=always
RestartSec=5s
ExecStart=${BIN_DIR}/k3s \\
    ${CMD_K3S_EXEC}

EOF
mv -f "$FILE_K3S_SERVICE.tmp" "$FILE_K3S_SERVICE"

if [ "${INSTALL_K3S_SKIP_ENABLE:-}" = true ]; then
  exit 0
fi
info "systemd: Enabling $SYSTEM_NAME unit"
systemctl enable "$SYSTEM_NAME" >/dev/null
systemctl daemon-reload >/dev/null
if [ "${INSTALL_K3S_SKIP_START:-}" = true ]; then
  exit 0
fi
info "systemd: Starting $SYSTEM_NAME"
systemctl restart "$SYSTEM_NAME"
