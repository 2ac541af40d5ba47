#!/usr/bin/env bash
# Installs pemda-edge on an office gateway box (Debian 12 / Raspberry Pi OS bookworm,
# x86_64 or arm64): Node.js check, user pemda, the release in /opt/pemda with its
# production dependencies, the systemd unit, the udev rules, /etc/pemda/gateway.yaml
# (created once, never overwritten), then `pemda-edge config check` and `doctor`.
#
# Safe to run again: an upgrade is the same command with a newer release. What a
# technician edits (gateway.yaml, the udev rules) is kept; dependencies are reinstalled
# only when the lock file, the Node ABI or the CPU changed.
#
# Usage: see usage() below, or docs/operations.md "A gateway (technician)".
set -euo pipefail
umask 022

readonly PREFIX=install-gateway
readonly UNIT=pemda-edge.service
readonly RULES=99-pemda-terminals.rules
readonly EXAMPLE=firmware-config/examples/gateway-small-office.yaml
readonly NODE_MIN_MAJOR=20 NODE_MIN_MINOR=11

usage() {
  cat <<EOF
Usage: install-gateway.sh [--from RELEASE.tgz] [--lock FILE] [--root DIR] [--dry-run]

Installs the gateway (pemda-edge) on this machine. Run as root.

  --from FILE   install this release tarball: \`npm pack\` output (package/...) or the
                release tarball of docs/operations.md; default: the project tree this
                script is in (built with npm run build)
  --lock FILE   package-lock.json to use when the tarball has none (npm pack leaves it out)
  --root DIR    install under DIR instead of /, for staging or tests: skips useradd,
                ownership, udevadm, systemctl and doctor, which act on this machine
  --dry-run     print what would be done, change nothing
  -h, --help    this text

Environment: PEMDA_NODE=/path/to/node uses that Node.js instead of the one on PATH.
Exit codes: 0 installed (doctor may still list things to fix), 1 something missing or
failed (the message says what to do), 2 bad usage.
EOF
}

say() { printf '%s: %s\n' "$PREFIX" "$*"; }
step() { printf '\n==> %s\n' "$*"; }
warn() { printf '%s: WARNING: %s\n' "$PREFIX" "$*" >&2; }
die() {
  printf '%s: %s\n' "$PREFIX" "$1" >&2
  shift
  local line
  for line in "$@"; do printf '  %s\n' "$line" >&2; done
  exit 1
}

# ------------------------------------------------------------------ arguments

FROM='' LOCK='' ROOT='' DRY_RUN=0
ARGS=("$@")
while (($# > 0)); do
  case $1 in
    --from) FROM=${2:?--from needs a file}; shift 2 ;;
    --from=*) FROM=${1#*=}; shift ;;
    --lock) LOCK=${2:?--lock needs a file}; shift 2 ;;
    --lock=*) LOCK=${1#*=}; shift ;;
    --root) ROOT=${2:?--root needs a directory}; shift 2 ;;
    --root=*) ROOT=${1#*=}; shift ;;
    --dry-run) DRY_RUN=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) printf '%s: unknown argument %q\n\n' "$PREFIX" "$1" >&2; usage >&2; exit 2 ;;
  esac
done

if [[ -n $ROOT ]]; then
  [[ $ROOT == /* ]] || ROOT=$PWD/$ROOT
  ROOT=${ROOT%/}
  [[ -n $ROOT ]] || die "--root / is the normal install: leave --root out"
fi
readonly ROOT DRY_RUN
readonly OPT=$ROOT/opt/pemda ETC=$ROOT/etc/pemda UNIT_DIR=$ROOT/etc/systemd/system
readonly RULES_DIR=$ROOT/etc/udev/rules.d STATE=$ROOT/var/lib/pemda-edge BIN=$ROOT/usr/local/bin
readonly CONFIG=$ETC/gateway.yaml

# Runs a command, or shows it under --dry-run.
run() {
  if ((DRY_RUN)); then
    printf '  would run:'
    printf ' %q' "$@"
    printf '\n'
  else
    "$@"
  fi
}

# Owner options for install(1): root:pemda on a real install; the staging root has no
# pemda user, so files keep the installing user there.
owned() {
  if [[ -z $ROOT ]]; then printf '%s\n' -o "$1" -g "$2"; fi
}

if [[ -n $ROOT ]]; then
  say "staging root $ROOT: useradd, file ownership, udevadm, systemctl and doctor are skipped (they act on this machine)"
elif ((!DRY_RUN)) && [[ $(id -u) -ne 0 ]]; then
  die "run this as root: sudo bash $0 ${ARGS[*]}"
fi
((DRY_RUN)) && say "dry run: nothing is changed"

# ------------------------------------------------------------------ machine

step "Machine"
ARCH=${PEMDA_ARCH:-$(uname -m)} # PEMDA_ARCH: to test the messages on another machine
case $ARCH in
  x86_64 | amd64 | aarch64 | arm64) say "CPU $ARCH: supported" ;;
  armv6l | armv7l | armv8l | armhf | arm)
    die "this is a 32-bit ARM system ($ARCH): not supported." \
      "The gateway is built and tested on x86_64 and arm64 only (its native modules" \
      "better-sqlite3, serialport and sharp, and Node.js 20 packages, for arm64)." \
      "On a Raspberry Pi 3, 4, 5 or Zero 2 W: install Raspberry Pi OS (64-bit, bookworm);" \
      "\`uname -m\` must then say aarch64. Older Pis (1, 2, Zero) cannot run the gateway." ;;
  *) die "CPU architecture $ARCH is not supported: use an x86_64 or arm64 (aarch64) machine." ;;
esac

# ------------------------------------------------------------------ Node.js

step "Node.js"
node_version() { "$1" --version 2>/dev/null | head -n1; }
# v20.11.0 or 20.20.2-1nodesource1 -> 0 when at least 20.11
version_ok() {
  local v=${1#v} major minor
  v=${v#*:} # an apt epoch
  major=${v%%.*}
  minor=${v#*.}
  minor=${minor%%[!0-9]*}
  [[ $major =~ ^[0-9]+$ && $minor =~ ^[0-9]+$ ]] || return 1
  ((major > NODE_MIN_MAJOR || (major == NODE_MIN_MAJOR && minor >= NODE_MIN_MINOR)))
}
apt_candidate() {
  command -v apt-cache >/dev/null || return 0
  apt-cache policy nodejs 2>/dev/null | awk '/Candidate:/ { print $2 }' | grep -v '(none)' || true
}

NODE_BIN=${PEMDA_NODE:-$(command -v node || true)}
found=''
if [[ -z $NODE_BIN ]]; then
  found="no \`node\` on PATH ($PATH)"
elif [[ ! -x $NODE_BIN ]]; then
  found="PEMDA_NODE=$NODE_BIN is not an executable file"
else
  version=$(node_version "$NODE_BIN")
  if version_ok "$version"; then
    say "$NODE_BIN is Node.js $version"
    [[ ${version#v} =~ ^(2[5-9]|[3-9][0-9])\. ]] && warn "Node.js $version is newer than the release is tested with (20, 22, 24)"
  else
    found="$NODE_BIN is Node.js ${version:-of unknown version (\`$NODE_BIN --version\` failed)}, too old"
  fi
fi

if [[ -n $found ]]; then
  candidate=$(apt_candidate)
  if [[ -z ${PEMDA_NODE:-} && -n $candidate ]] && version_ok "$candidate" && [[ -z $ROOT ]]; then
    say "$found; apt has nodejs $candidate: installing it"
    run apt-get install -y --no-install-recommends nodejs
    NODE_BIN=/usr/bin/node
    if ((!DRY_RUN)); then
      version=$(node_version "$NODE_BIN")
      version_ok "$version" || die "apt-get installed nodejs, but $NODE_BIN says '${version}': see docs/operations.md, \"Node.js and the release\""
      say "$NODE_BIN is Node.js $version"
    fi
  else
    hint="apt has no nodejs >= $NODE_MIN_MAJOR.$NODE_MIN_MINOR (Debian 12 ships Node 18, too old)"
    if [[ -n $candidate ]] && version_ok "$candidate" && [[ -n ${PEMDA_NODE:-} ]]; then
      hint="apt has nodejs $candidate (not installed: PEMDA_NODE chooses the Node.js; unset it to get apt's)"
    elif [[ -n $candidate ]] && version_ok "$candidate"; then
      hint="apt has nodejs $candidate: run \`apt-get install nodejs\` as root (not done with --root, which leaves this machine alone)"
    elif [[ -n $candidate ]]; then
      hint="apt only has nodejs $candidate (Debian 12 ships Node 18, too old)"
    fi
    die "Node.js >= $NODE_MIN_MAJOR.$NODE_MIN_MINOR is needed: $found." \
      "$hint." \
      "Get Node.js 20 (22 and 24 work too) in one of these ways, then run this script again:" \
      "- NodeSource packages (install /usr/bin/node and npm): https://github.com/nodesource/distributions" \
      "  then: apt-get install nodejs" \
      "- the official binaries for linux-x64 or linux-arm64 from https://nodejs.org/en/download" \
      "  unpacked e.g. in /usr/local/lib/nodejs, then: PEMDA_NODE=/usr/local/lib/nodejs/bin/node bash $0"
  fi
fi

NODE_DIR=$(dirname "$NODE_BIN")
NPM_BIN=''
if [[ -x $NODE_DIR/npm ]]; then NPM_BIN=$NODE_DIR/npm; else NPM_BIN=$(command -v npm || true); fi
if [[ -z $NPM_BIN ]]; then
  if ((DRY_RUN)); then
    warn "npm not found (needed for the dependencies)"
  else
    die "npm is missing (next to $NODE_BIN and on PATH)." \
      "NodeSource's nodejs package includes it; with Debian's own nodejs: apt-get install npm;" \
      "with the nodejs.org binaries it is in their bin/ folder, next to node."
  fi
fi
# npm and the programs' #!/usr/bin/env node must find the same Node.js.
export PATH=$NODE_DIR:$PATH

# ------------------------------------------------------------------ the release

step "Release"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pemda-install.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
if [[ -n $FROM ]]; then
  [[ -f $FROM ]] || die "--from $FROM: no such file"
  tar -xzf "$FROM" -C "$WORK" --no-same-owner || die "--from $FROM: not a .tar.gz release (npm pack output or the release tarball of docs/operations.md)"
  # npm pack puts everything under package/; the release tarball has it at the top.
  if [[ -f $WORK/package/package.json ]]; then SRC=$WORK/package; else SRC=$WORK; fi
  ORIGIN=$FROM
else
  SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  ORIGIN="project tree $SRC"
fi
[[ -f $SRC/package.json ]] || die "$ORIGIN has no package.json: not a pemda release."
[[ -f $SRC/dist/edge/main.js ]] || die "$ORIGIN has no dist/edge/main.js: it is not built." \
  "In the project tree: npm ci && npm run build, then run this script again."
for need in "systemd/$UNIT" "firmware-config/udev/$RULES" "$EXAMPLE"; do
  [[ -f $SRC/$need ]] || die "$ORIGIN has no $need: not a complete release."
done
LOCK_PATH='' LOCKFILE=package-lock.json
if [[ -n $LOCK ]]; then
  [[ -f $LOCK ]] || die "--lock $LOCK: no such file"
  LOCK_PATH=$LOCK
else
  for candidate_lock in npm-shrinkwrap.json package-lock.json; do
    [[ -f $SRC/$candidate_lock ]] && LOCK_PATH=$SRC/$candidate_lock && LOCKFILE=$candidate_lock && break
  done
fi
[[ -n $LOCK_PATH ]] || die "$ORIGIN has no package-lock.json (npm pack leaves it out), so \`npm ci\` cannot install the exact dependencies." \
  "Give the lock of the same version: --lock /path/to/package-lock.json" \
  "or use the release tarball of docs/operations.md, which includes it."
say "installing from $ORIGIN into $OPT"

run install -d -m 0755 "$OPT"
for item in dist docs firmware-config systemd; do
  [[ -d $SRC/$item ]] || continue
  # Whole folders are replaced: files a new release removed must not linger.
  run rm -rf "${OPT:?}/$item"
  run cp -R "$SRC/$item" "$OPT/$item"
done
for item in package.json README.md; do
  [[ -f $SRC/$item ]] && run install -m 0644 "$SRC/$item" "$OPT/$item"
done
run install -m 0644 "$LOCK_PATH" "$OPT/$LOCKFILE"
# npm ci reads npm-shrinkwrap.json first: one lock only, the one just installed.
for other in npm-shrinkwrap.json package-lock.json; do
  [[ $other != "$LOCKFILE" && -f $OPT/$other ]] && run rm -f "$OPT/$other"
done
if [[ -f $SRC/scripts/install-gateway.sh ]]; then
  run install -d -m 0755 "$OPT/scripts"
  run install -m 0755 "$SRC/scripts/install-gateway.sh" "$OPT/scripts/install-gateway.sh"
fi

step "Production dependencies"
# Native modules (better-sqlite3, serialport, sharp) depend on the Node ABI and the CPU:
# the stamp says which ones node_modules was installed for.
STAMP=$OPT/node_modules/.pemda-install
want="$(sha256sum "$LOCK_PATH" | cut -d' ' -f1) node-abi-$("$NODE_BIN" -p process.versions.modules 2>/dev/null || echo unknown) $ARCH"
if [[ -f $STAMP && $(cat "$STAMP") == "$want" ]]; then
  say "node_modules is up to date for this lock file, Node.js ABI and CPU: npm ci skipped"
elif ((DRY_RUN)); then
  printf '  would run: (cd %q && npm ci --omit=dev --no-audit --no-fund)\n' "$OPT"
else
  say "npm ci --omit=dev in $OPT (downloads from the npm registry; may compile better-sqlite3, a minute or more)"
  NPM_LOG=$(mktemp)
  if ! (cd "$OPT" && "$NPM_BIN" ci --omit=dev --no-audit --no-fund) 2>&1 | tee "$NPM_LOG"; then
    # Offices behind a proxy that re-signs HTTPS: Node.js trusts only its own CA list.
    if grep -Eq 'SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_GET_ISSUER_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE|unable to get local issuer certificate' "$NPM_LOG"; then
      rm -f "$NPM_LOG"
      die "npm ci failed in $OPT: the connection to the npm registry is re-signed by a certificate Node.js does not trust." \
        "This network has a proxy that inspects HTTPS. Ask for its CA certificate (a .crt file), then:" \
        "  cp PROXY-CA.crt /usr/local/share/ca-certificates/ && apt-get install ca-certificates && update-ca-certificates" \
        "and run this script again with NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt in front of it."
    fi
    rm -f "$NPM_LOG"
    die "npm ci failed in $OPT (its messages are above)." \
      "No network to registry.npmjs.org: run this script on an identical machine (same CPU," \
      "same Node.js major) and copy /opt/pemda whole, see docs/operations.md." \
      "A native module failed to compile: apt-get install python3 make g++, then run this again."
  fi
  rm -f "$NPM_LOG"
  printf '%s\n' "$want" >"$STAMP"
fi

step "Command pemda-edge"
# The technician's command; the unit runs node directly.
WRAPPER=$WORK/pemda-edge
cat >"$WRAPPER" <<EOF
#!/bin/sh
# pemda-edge, the gateway's command (written by install-gateway.sh; rerunning it rewrites this).
exec $(printf '%q' "$NODE_BIN") /opt/pemda/dist/edge/main.js "\$@"
EOF
run install -d -m 0755 "$BIN"
run install -m 0755 "$WRAPPER" "$BIN/pemda-edge"

# ------------------------------------------------------------------ user

step "User pemda"
if [[ -n $ROOT ]]; then
  say "skipped (--root): useradd --system --user-group --groups dialout pemda"
elif getent passwd pemda >/dev/null; then
  if id -nG pemda | tr ' ' '\n' | grep -qx dialout; then
    say "user pemda exists, in group dialout"
  else
    run usermod -aG dialout pemda
  fi
else
  run useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin --user-group --groups dialout pemda
fi

# ------------------------------------------------------------------ files

step "systemd unit"
run install -d -m 0755 "$UNIT_DIR"
run install -m 0644 "$SRC/systemd/$UNIT" "$UNIT_DIR/$UNIT"
DROPIN=$UNIT_DIR/$UNIT.d/10-pemda-node.conf
if [[ $(readlink -f "$NODE_BIN") != "$(readlink -f /usr/bin/node 2>/dev/null || true)" ]]; then
  # The unit runs /usr/bin/node: point it at this Node.js in a drop-in (docs/operations.md,
  # "Changing a unit"), which survives the next upgrade.
  printf '[Service]\n# Node.js is not /usr/bin/node here (written by install-gateway.sh).\nExecStart=\nExecStart=%s /opt/pemda/dist/edge/main.js run --config /etc/pemda/gateway.yaml\n' "$NODE_BIN" >"$WORK/node.conf"
  run install -d -m 0755 "$UNIT_DIR/$UNIT.d"
  run install -m 0644 "$WORK/node.conf" "$DROPIN"
  say "drop-in $DROPIN: ExecStart uses $NODE_BIN"
elif [[ -f $DROPIN ]]; then
  run rm -f "$DROPIN"
fi

step "udev rules for USB-serial adapters"
run install -d -m 0755 "$RULES_DIR"
if [[ ! -f $RULES_DIR/$RULES ]]; then
  run install -m 0644 "$SRC/firmware-config/udev/$RULES" "$RULES_DIR/$RULES"
elif cmp -s "$SRC/firmware-config/udev/$RULES" "$RULES_DIR/$RULES"; then
  say "$RULES_DIR/$RULES is already the shipped version"
else
  # It is meant to be edited (one line per adapter): keep it, put the new one beside it.
  run install -m 0644 "$SRC/firmware-config/udev/$RULES" "$RULES_DIR/$RULES.pemda-new"
  say "kept your edited $RULES_DIR/$RULES; the shipped version is $RULES.pemda-new next to it (compare with diff)"
fi
if [[ -n $ROOT ]]; then
  say "skipped (--root): udevadm control --reload-rules; udevadm trigger --action=add --subsystem-match=tty"
elif command -v udevadm >/dev/null && [[ -d /run/udev ]]; then
  run udevadm control --reload-rules || warn "udevadm control --reload-rules failed"
  run udevadm trigger --action=add --subsystem-match=tty || warn "udevadm trigger failed"
else
  warn "udev is not running here (a container?): the rules take effect where udev runs"
fi

step "Config $CONFIG"
run install -d -m 0755 "$ETC"
if [[ -f $CONFIG ]]; then
  say "$CONFIG exists: kept as it is"
  # Its content is the technician's; its access is the service's: pemda must read it
  # (\`pemda-edge enroll\` run as root writes it 0600 root-only), nobody else may (it
  # holds the MQTT password).
  mode=$(stat -c %a "$CONFIG")
  if [[ $mode != 640 ]]; then
    run chmod 0640 "$CONFIG"
    say "$CONFIG: mode $mode -> 0640"
  fi
  if [[ -z $ROOT && $(stat -c %U:%G "$CONFIG") != root:pemda ]] && { ((DRY_RUN)) || getent group pemda >/dev/null; }; then
    run chown root:pemda "$CONFIG"
  fi
else
  # shellcheck disable=SC2046 # owned prints separate options, or nothing
  run install -m 0640 $(owned root pemda) "$SRC/$EXAMPLE" "$CONFIG"
  say "$CONFIG $( ((DRY_RUN)) && echo 'would be' || echo was) created from $EXAMPLE: edit it (next steps below)"
fi
# The service's StateDirectory= would create it on first start; doctor needs it earlier.
# shellcheck disable=SC2046
run install -d -m 0750 $(owned pemda pemda) "$STATE"

step "systemd"
was_active=0
if [[ -n $ROOT ]]; then
  say "skipped (--root): systemctl daemon-reload; systemctl enable $UNIT"
elif command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
  # Type=notify: the gateway reports READY=1 and its keep-alives through this program.
  [[ -x /usr/bin/systemd-notify ]] || warn "/usr/bin/systemd-notify is missing (package systemd): the service would never report ready"
  run systemctl daemon-reload
  run systemctl enable "$UNIT"
  systemctl is-active --quiet "$UNIT" && was_active=1
else
  warn "systemd is not running here (a container?): $UNIT is installed but not enabled"
fi

# ------------------------------------------------------------------ checks

step "Checks"
cd / # the service user may not be allowed into the current folder
as_pemda=()
if [[ -z $ROOT ]] && command -v runuser >/dev/null && { ((DRY_RUN)) || getent passwd pemda >/dev/null; }; then
  as_pemda=(runuser -u pemda --) # the service's user: its access to the config and serial ports
fi
MAIN=$OPT/dist/edge/main.js
status=0
if ((DRY_RUN)); then
  run "${as_pemda[@]}" "$NODE_BIN" "$MAIN" config check "$CONFIG"
elif "${as_pemda[@]}" "$NODE_BIN" "$MAIN" config check "$CONFIG"; then
  if [[ -n $ROOT ]]; then
    say "skipped (--root): pemda-edge doctor (it checks this machine's data folder, network and serial ports)"
  else
    say "pemda-edge doctor --config /etc/pemda/gateway.yaml:"
    if "${as_pemda[@]}" "$NODE_BIN" "$MAIN" doctor --config "$CONFIG"; then
      say "doctor: everything OK"
    else
      say "doctor found things to fix (above): normal until gateway.yaml, the terminals and the network are set up"
    fi
  fi
else
  status=1
  warn "$CONFIG is not valid (the line above says where): fix it, then run this script again"
fi
((DRY_RUN)) && [[ -z $ROOT ]] && run "${as_pemda[@]}" "$NODE_BIN" "$MAIN" doctor --config "$CONFIG"
# An upgrade of a running gateway: the new release runs only with a config it accepts.
if ((was_active && status == 0)); then
  run systemctl restart "$UNIT"
  say "$UNIT was running: restarted with this release"
elif ((was_active)); then
  warn "$UNIT keeps running the code it started with until the config is fixed and it is restarted"
fi

# ------------------------------------------------------------------ next steps

headline='Installed pemda-edge.'
[[ -n $ROOT ]] && headline="Installed pemda-edge under $ROOT."
((DRY_RUN)) && headline='Dry run finished: nothing was changed.'
# The config is still the example when the box is not enrolled yet; enroll refuses to
# replace an existing config unless told to.
force='' force_note='' enroll_head='If this box is not enrolled yet, run'
if [[ ! -f $CONFIG ]] || cmp -s "$SRC/$EXAMPLE" "$CONFIG"; then
  enroll_head='Enroll this box: run'
fi
if [[ -f $CONFIG ]] && cmp -s "$SRC/$EXAMPLE" "$CONFIG"; then
  force=' --force'
  force_note=$'\n     (--force: it replaces the example gateway.yaml this script wrote.)'
fi
if ((!DRY_RUN)) && ! "$NODE_BIN" "$MAIN" --help 2>/dev/null | grep -q 'pemda-edge enroll'; then
  enroll="Without \`pemda-edge enroll\` (not in this release): set gateway.id (as in the
     central's registry) and mqtt.url (the central) in /etc/pemda/gateway.yaml."
else
  enroll="$enroll_head the line the sysadmin got
     from \`pemda-central enroll-token\`:
       pemda-edge enroll --central https://CENTRAL:8080 --token TOKEN --ca-sha256 HEX$force$force_note
     Then run this script again: it lets the service user read the new config and runs
     the checks. Without enrollment: set gateway.id and mqtt.url in gateway.yaml yourself."
fi
cat <<EOF

$headline
Next steps (docs/operations.md, "A gateway (technician)"):
  1. $enroll
  2. Terminals: \`pemda-edge discover\` lists serial ports, ZK terminals and cameras as
     config; put one terminals: entry per terminal in /etc/pemda/gateway.yaml (profiles:
     /opt/pemda/firmware-config/profiles/).
  3. USB-serial terminals: one line per adapter in /etc/udev/rules.d/$RULES
     (its comments explain how), then:
     udevadm control --reload-rules && udevadm trigger --action=add --subsystem-match=tty
  4. pemda-edge config check /etc/pemda/gateway.yaml
     pemda-edge doctor --config /etc/pemda/gateway.yaml      # until every line is [ OK ]
  5. systemctl restart pemda-edge && journalctl -u pemda-edge -f
EOF
exit "$status"
