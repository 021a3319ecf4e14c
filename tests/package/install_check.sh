#!/usr/bin/env bash
# Installs a pimqttd .deb into a fresh root of its Debian release and architecture and runs it
# there against a broker on this machine's loopback.
#
#   tests/package/install_check.sh [--release bookworm|trixie] PACKAGE.deb
#
# The release is the package's own (its version ends in ~deb12u1 or ~deb13u1), the architecture
# the package's; arm64 and armhf roots run under qemu-user (binfmt_misc). The root is
# scripts/release-root's, seen through an overlay that is thrown away afterwards, so each check
# starts from a pristine system. The checks:
#   - `apt install ./PACKAGE.deb` succeeds; `pimqttd --version` names the package's version;
#   - the daemon, run as the package's user pimqttd (through setpriv, so that SIGTERM reaches it
#     directly) with a minimal configuration (the system sensor) against a mosquitto started here
#     on a free loopback port, publishes its retained discovery message
#     homeassistant/device/<node>/config and `online` on pimqttd/<node>/status, and after SIGTERM
#     `offline` there, and exits with status 0;
#   - `apt purge pimqttd` removes the state directory, /etc/pimqttd and the user and group
#     pimqttd;
#   - an armhf package built for ARMv7 refuses to install on an ARMv6 CPU (a Raspberry Pi Zero's
#     /proc/cpuinfo bound over the root's) with its message, before the real installation.
# With --release naming the other release, the check is the reverse: apt must refuse the package
# for unmet dependencies, and pimqttd must not be installed.
#
# Needs root, mosquitto and mosquitto-clients here, and what scripts/release-root needs.
set -uo pipefail

usage() { sed -n '2,24p' "$0"; exit "${1:-2}"; }
release=
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage 0 ;;
    --release) [ $# -ge 2 ] || usage; release=$2; shift 2 ;;
    -*) usage ;;
    *) break ;;
  esac
done
[ $# -eq 1 ] || usage
deb=$(realpath "$1")
src=$(cd "$(dirname "$0")/../.." && pwd)

version=$(dpkg-deb -f "$deb" Version)
arch=$(dpkg-deb -f "$deb" Architecture)
case "$version" in
  *~deb12u*) package_release=bookworm ;;
  *~deb13u*) package_release=trixie ;;
  *) echo "install_check: cannot tell the release of $version (no ~deb12u or ~deb13u)" >&2
     exit 2 ;;
esac
release=${release:-$package_release}

work=$(mktemp -d "${TMPDIR:-/tmp}/pimqttd-install-check.XXXXXX")
chmod 755 "$work"
broker_pid=
sub_pid=
cleanup() {
  [ -z "$sub_pid" ] || kill "$sub_pid" 2> /dev/null
  [ -z "$broker_pid" ] || kill "$broker_pid" 2> /dev/null
  wait 2> /dev/null
  rm -rf "$work"
}
trap cleanup EXIT

. "$(dirname "$0")/checks.sh"
show() {  # show PREFIX FILE: the file's lines, indented
  sed "s/^/      $1: /" "$2"
}
finish() {
  if [ "$failures" -ne 0 ]; then
    echo "install_check: $failures check(s) FAILED for $(basename "$deb") on $release $arch"
    exit 1
  fi
  echo "install_check: all checks passed for $(basename "$deb") on $release $arch"
  exit 0
}

cp "$deb" "$work/"
pkg=$work/$(basename "$deb")
root_run=("$src/scripts/release-root" --arch "$arch" "$release" run --fresh --bind "$work" --)

# --- the other release: apt must refuse ---------------------------------------------------------
if [ "$release" != "$package_release" ]; then
  echo "install_check: $package_release package $(basename "$deb") on $release $arch (must fail)"
  start=$SECONDS
  "${root_run[@]}" /bin/sh -c '
    apt-get update -q > /dev/null 2>&1 || echo "apt-get update failed"
    if apt-get install -y --no-install-recommends "$1"; then echo "apt-status 0"; else echo "apt-status $?"; fi
    dpkg-query -W -f="\${Status}\n" pimqttd 2> /dev/null | grep -q "install ok installed" &&
      echo "pimqttd-installed"
    exit 0' refuse "$pkg" > "$work/apt.out" 2>&1
  show apt "$work/apt.out"
  echo "      ($((SECONDS - start)) s)"
  check "apt install fails" sh -c "grep -qE '^apt-status [1-9]' '$work/apt.out'"
  # apt 2.6 (bookworm): "The following packages have unmet dependencies:"; apt 3.0 (trixie):
  # "Unsatisfied dependencies:". Then one line per dependency, "... but it is not installable".
  check "apt says why: unmet dependencies, not installable" \
    sh -c "grep -qiE 'unmet dependencies|unsatisfied dependencies' '$work/apt.out' && grep -qE 'but it is not (installable|going to be installed)|but [^ ]+ is to be installed' '$work/apt.out'"
  check "pimqttd is not installed" sh -c "! grep -q '^pimqttd-installed' '$work/apt.out'"
  finish
fi

# --- the broker, on a free loopback port -------------------------------------------------------
for attempt in $(seq 20); do
  port=$((20000 + RANDOM % 40000))
  cat > "$work/mosquitto.conf" << EOF
user root
persistence false
log_dest stderr
listener $port 127.0.0.1
allow_anonymous true
EOF
  mosquitto -c "$work/mosquitto.conf" > "$work/mosquitto.log" 2>&1 &
  broker_pid=$!
  for i in $(seq 50); do
    mosquitto_pub -h 127.0.0.1 -p "$port" -t install-check/ping -m x 2> /dev/null && break 2
    kill -0 "$broker_pid" 2> /dev/null || break
    sleep 0.1
  done
  kill "$broker_pid" 2> /dev/null; wait "$broker_pid" 2> /dev/null
  broker_pid=
done
[ -n "$broker_pid" ] || { echo "FAIL: could not start mosquitto on a free port"; exit 1; }
echo "install_check: mosquitto on 127.0.0.1:$port"

node=install_check_${release}_${arch}
discovery=homeassistant/device/$node/config
status_topic=pimqttd/$node/status
mosquitto_sub -h 127.0.0.1 -p "$port" -v -t "$discovery" -t "$status_topic" \
  > "$work/sub.out" 2> "$work/sub.err" &
sub_pid=$!
sleep 0.5

cat > "$work/config.json" << EOF
{
  "device": { "id": "$node" },
  "mqtt": { "host": "127.0.0.1", "port": $port },
  "sensors": [ { "type": "system" } ]
}
EOF
chmod 644 "$work/config.json"

# A Raspberry Pi Zero W's /proc/cpuinfo (ARM1176JZF-S: note "CPU architecture: 7").
cat > "$work/cpuinfo-armv6" << 'EOF'
processor	: 0
model name	: ARMv6-compatible processor rev 7 (v6l)
BogoMIPS	: 697.95
Features	: half thumb fastmult vfp edsp java tls
CPU implementer	: 0x41
CPU architecture: 7
CPU variant	: 0x0
CPU part	: 0xb76
CPU revision	: 7

Hardware	: BCM2835
Revision	: 9000c1
Model		: Raspberry Pi Zero W Rev 1.1
EOF

# Inside the fresh root: the installation, then the daemon until its discovery message reached
# the broker (the subscriber's output is in the bound work directory), then SIGTERM.
cat > "$work/inside.sh" << 'EOF'
#!/bin/sh
work=$1 pkg=$2 discovery=$3
step() { echo "== $*"; }
step "apt-get update"
apt-get update -q > "$work/update.log" 2>&1 || { tail -n 20 "$work/update.log"; exit 1; }
if [ "$(dpkg --print-architecture)" = armhf ]; then
  step "install on an ARMv6 CPU (fake /proc/cpuinfo)"
  mount --bind "$work/cpuinfo-armv6" /proc/cpuinfo
  if apt-get install -y --no-install-recommends "$pkg" > "$work/armv6.out" 2>&1; then
    echo "armv6-status 0"
  else
    echo "armv6-status $?"
  fi
  umount /proc/cpuinfo
  dpkg-query -W -f='${Status}\n' pimqttd 2> /dev/null | grep -q "install ok installed" &&
    echo "armv6-installed"
fi
step "apt install $pkg"
apt-get install -y --no-install-recommends "$pkg" > "$work/install.out" 2>&1
echo "install-status $?"
command -v pimqttd > /dev/null || exit 1
step "pimqttd --version"
pimqttd --version > "$work/version.out" 2>&1
echo "version-status $?"
step "run as user pimqttd until the discovery message is seen"
mkdir -p /var/lib/pimqttd
chown pimqttd: /var/lib/pimqttd
start=$(date +%s)
setpriv --reuid=pimqttd --regid=pimqttd --init-groups -- pimqttd --config "$work/config.json" --state-dir /var/lib/pimqttd \
  > "$work/daemon.log" 2>&1 &
pid=$!
i=0
while [ $i -lt 600 ] && kill -0 "$pid" 2> /dev/null; do
  grep -q "^$discovery " "$work/sub.out" && break
  sleep 0.1
  i=$((i + 1))
done
echo "discovery-after $(($(date +%s) - start)) s"
sleep 1
kill -TERM "$pid"
wait "$pid"
echo "daemon-status $?"
step "apt purge pimqttd"
apt-get purge -y pimqttd > "$work/purge.out" 2>&1
echo "purge-status $?"
getent passwd pimqttd > /dev/null && echo "after-purge user pimqttd"
getent group pimqttd > /dev/null && echo "after-purge group pimqttd"
[ -e /var/lib/pimqttd ] && echo "after-purge /var/lib/pimqttd"
[ -e /etc/pimqttd ] && echo "after-purge /etc/pimqttd"
exit 0
EOF

echo "install_check: $(basename "$deb") in a fresh $release $arch root"
start=$SECONDS
"${root_run[@]}" /bin/sh "$work/inside.sh" "$work" "$pkg" "$discovery" > "$work/inside.out" 2>&1
echo "      (root: $((SECONDS - start)) s)"
show inside "$work/inside.out"
sleep 0.5
result() { sed -n "s/^$1 //p" "$work/inside.out" | tail -n 1; }

if [ "$arch" = armhf ] && [ "$(dpkg-deb -I "$deb" preinst 2> /dev/null | sed -n 's/^arm_arch="\([0-9]*\)"$/\1/p')" -ge 7 ] 2> /dev/null; then
  grep -E 'pimqttd:|dpkg:|Errors|subprocess' "$work/armv6.out" > "$work/armv6.msg"
  show armv6 "$work/armv6.msg"
  check "ARMv6: apt install fails" sh -c "[ '$(result armv6-status)' != 0 ] && [ -n '$(result armv6-status)' ]"
  check "ARMv6: the preinst says why" \
    grep -q 'pimqttd: not installed: this is an ARMv6 CPU' "$work/armv6.out"
  check "ARMv6: pimqttd is not installed" sh -c "! grep -q '^armv6-installed' '$work/inside.out'"
fi

check "apt install ./$(basename "$deb") succeeds" test "$(result install-status)" = 0
[ "$(result install-status)" = 0 ] || tail -n 30 "$work/install.out"
show version "$work/version.out"
check "pimqttd --version names $version" grep -qF "$version" "$work/version.out"
check "the daemon exits with status 0 after SIGTERM" test "$(result daemon-status)" = 0
sub_line() { grep -q "^$1 $2" "$work/sub.out" 2> /dev/null; }
check "discovery message on $discovery" sub_line "$discovery" '{'
check "online on $status_topic" sub_line "$status_topic" online
check "offline on $status_topic after SIGTERM" sub_line "$status_topic" offline
# A subscriber that comes afterwards still gets the discovery message: it is retained.
retained=$(mosquitto_sub -h 127.0.0.1 -p "$port" -t "$discovery" -C 1 -W 5 -F '%r %t' 2> /dev/null)
check "the discovery message is retained (a later subscriber gets it: '$retained')" \
  test "$retained" = "1 $discovery"
check "apt purge pimqttd succeeds" test "$(result purge-status)" = 0
check "purge leaves no user, group, /var/lib/pimqttd or /etc/pimqttd ($(sed -n 's/^after-purge //p' "$work/inside.out" | tr '\n' ' '))" \
  sh -c "! grep -q '^after-purge ' '$work/inside.out'"
if [ "$failures" -ne 0 ]; then
  show daemon "$work/daemon.log"
  show sub "$work/sub.out"
  show broker "$work/mosquitto.log"
fi
finish
