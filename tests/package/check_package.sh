#!/usr/bin/env bash
# Builds the Debian package (without its test suite: DEB_BUILD_OPTIONS=nocheck) and checks it
# without installing it: its contents, control fields, conffiles and maintainer scripts (the
# preinst is run against sample Raspberry Pi CPUs: an ARMv7 armhf package refuses ARMv6); lintian
# (any E: or W: fails); `systemd-analyze verify` on the unit in a root staged from the package
# (any output fails); and the unit's `systemd-analyze security` exposure (at most 2.0).
#
#   tests/package/check_package.sh [PACKAGE.deb]   check a .deb already built (its .changes,
#                                                  if next to it, is what lintian reads)
#
# Environment: PIMQTTD_MAX_EXPOSURE (default 2.0). Needs dpkg-dev, debhelper, lintian, systemd.
set -uo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
max_exposure=${PIMQTTD_MAX_EXPOSURE:-2.0}

work=$(mktemp -d "${TMPDIR:-/tmp}/pimqttd-check-package.XXXXXX")
trap 'rm -rf "$work"' EXIT

. "$(dirname "$0")/checks.sh"

# --- build ----------------------------------------------------------------------------------
if [ $# -ge 1 ]; then
  deb=$(realpath "$1")
else
  start=$SECONDS
  deb=$(DEB_BUILD_OPTIONS="nocheck ${DEB_BUILD_OPTIONS:-}" "$src/scripts/package" "$work/out" | tail -n 1)
  [ -f "$deb" ] || { echo "FAIL: scripts/package built no .deb"; exit 1; }
  echo "built $(basename "$deb") in $((SECONDS - start)) s"
fi
changes=${deb%.deb}.changes
name=$(dpkg-deb -f "$deb" Package)
version=$(dpkg-deb -f "$deb" Version)

# --- contents -------------------------------------------------------------------------------
dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's#^\./#/#' >"$work/contents"
# The unit and the udev rule are under /lib on Debian 12 and under /usr/lib from Debian 13 on
# (where /lib is only a symlink and lintian rejects files under it).
case "$version" in
  *~deb12u*) sys_lib=/lib ;;
  *~deb13u*) sys_lib=/usr/lib ;;
  *) sys_lib=/usr/lib; [ "$(. /etc/os-release; echo "${VERSION_ID:-}")" != 12 ] || sys_lib=/lib ;;
esac
for path in \
    /usr/sbin/pimqttd \
    "$sys_lib/systemd/system/pimqttd.service" \
    "$sys_lib/udev/rules.d/60-pimqttd-gpio.rules" \
    /usr/lib/sysusers.d/pimqttd.conf \
    /usr/share/polkit-1/rules.d/60-pimqttd.rules \
    /etc/pimqttd/config.json \
    /usr/share/man/man8/pimqttd.8.gz \
    /usr/share/man/man5/pimqttd.json.5.gz \
    /usr/share/doc/pimqttd/copyright \
    /usr/share/doc/pimqttd/examples/config-full.json; do
  check "contains $path" grep -qxF "$path" "$work/contents"
done

root="$work/root"
mkdir -p "$root"
dpkg-deb -x "$deb" "$root"
dpkg-deb -e "$deb" "$work/control"

check "package name is pimqttd" test "$name" = pimqttd
check "/usr/sbin/pimqttd is executable" test -x "$root/usr/sbin/pimqttd"
project_version=$(sed -n 's/^project(pimqttd VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
upstream_version=${version%%[~-]*}
check "package version $version is the project's ($project_version)" \
  test "$upstream_version" = "$project_version"
check "package version $version names its release (~deb12u1 or ~deb13u1)" \
  grep -qE '~deb1[23]u[0-9]+$' <<<"$version"
if [ "$(dpkg-deb -f "$deb" Architecture)" = "$(dpkg --print-architecture)" ]; then
  version_out=$("$root/usr/sbin/pimqttd" --version 2>&1)
  check "pimqttd --version from the package prints $version" grep -qF "$version" <<<"$version_out"
fi
check "/etc/pimqttd/config.json is config/minimal.json" \
  cmp -s "$root/etc/pimqttd/config.json" "$src/config/minimal.json"
check "the example config names the broker homeassistant" \
  grep -q '"host": *"homeassistant"' "$root/etc/pimqttd/config.json"

rules="$root$sys_lib/udev/rules.d/60-pimqttd-gpio.rules"
check "udev rule gives the gpio group /dev/gpiochip*" \
  grep -qE '^SUBSYSTEM=="gpio", KERNEL=="gpiochip\*", GROUP="gpio", MODE="0660"$' "$rules"

sysusers="$root/usr/lib/sysusers.d/pimqttd.conf"
check "sysusers creates the user pimqttd" grep -qE '^u[[:space:]]+pimqttd[[:space:]]' "$sysusers"
for group in gpio i2c; do
  check "sysusers creates the group $group if missing" \
    grep -qE "^g[[:space:]]+${group}[[:space:]]" "$sysusers"
done

polkit="$root/usr/share/polkit-1/rules.d/60-pimqttd.rules"
check "polkit rule grants to the user pimqttd alone" \
  grep -qF 'if (subject.user !== "pimqttd") {' "$polkit"
check "polkit rule allows restart of pimqttd.service only" \
  grep -qF 'action.lookup("unit") === "pimqttd.service"' "$polkit"
check "polkit rule grants no -ignore-inhibit action" \
  sh -c "! grep -q 'ignore-inhibit\"' '$polkit'"

# --- control fields and maintainer scripts --------------------------------------------------
depends=$(dpkg-deb -f "$deb" Depends)
echo "      Depends: $depends"
for lib in libc6 libstdc++6; do
  check "Depends has $lib (from dh_shlibdeps)" grep -qF "$lib" <<<"$depends"
done
check "Depends has systemd-sysusers (from dh_installsysusers)" grep -q 'systemd-sysusers' <<<"$depends"
check "Depends has no unsubstituted variable" test "${depends//\$\{/}" = "$depends"
check "Recommends polkitd (the host controls' permissions)" \
  test "$(dpkg-deb -f "$deb" Recommends)" = polkitd
check "conffiles is exactly /etc/pimqttd/config.json" \
  test "$(cat "$work/control/conffiles" 2>/dev/null)" = "/etc/pimqttd/config.json"
check "postinst creates the user (systemd-sysusers pimqttd.conf)" \
  grep -q 'systemd-sysusers .*pimqttd\.conf' "$work/control/postinst"
check "postinst enables the unit" \
  grep -q "deb-systemd-helper enable 'pimqttd.service'" "$work/control/postinst"
check "postrm removes /var/lib/pimqttd on purge" \
  sh -c "sed -n '/\"purge\"/,/^fi/p' '$work/control/postrm' | grep -q 'rm -rf .*/var/lib/pimqttd'"
check "postrm removes the user pimqttd on purge" \
  sh -c "sed -n '/\"purge\"/,/^fi/p' '$work/control/postrm' | grep -q 'userdel .*pimqttd'"

# The preinst of an armhf package built for ARMv7 refuses an ARMv6 CPU (Pi 1, Zero, Zero W) and
# accepts the others; on other architectures it never refuses. It is run here with sample
# /proc/cpuinfo files bound over the real one and a `uname` that prints the sample's machine.
preinst_on() {  # preinst_on MACHINE CPUINFO_TEXT: the preinst's exit status for such a CPU
  local dir=$work/cpu-$1
  mkdir -p "$dir/bin"
  printf '%b' "$2" > "$dir/cpuinfo"
  printf '#!/bin/sh\necho %s\n' "$1" > "$dir/bin/uname"
  chmod +x "$dir/bin/uname"
  local unshare=(unshare --mount)
  [ "$(id -u)" -eq 0 ] || unshare=(unshare --map-root-user --mount)
  "${unshare[@]}" sh -c 'mount --bind "$1/cpuinfo" /proc/cpuinfo && PATH="$1/bin:$PATH" exec sh "$2" install' \
    preinst "$dir" "$work/control/preinst" > "$dir/out" 2>&1
}
zero_w='model name\t: ARMv6-compatible processor rev 7 (v6l)\nCPU architecture: 7\nModel\t\t: Raspberry Pi Zero W Rev 1.1\n'
pi1_old='Processor\t: ARMv6-compatible processor rev 7 (v6l)\nCPU architecture: 7\nHardware\t: BCM2708\n'
pi3_32='model name\t: ARMv7 Processor rev 4 (v7l)\nCPU architecture: 7\nModel\t\t: Raspberry Pi 3 Model B Rev 1.2\n'
pi4_64kernel='processor\t: 0\nBogoMIPS\t: 108.00\nCPU architecture: 8\nModel\t\t: Raspberry Pi 4 Model B Rev 1.4\n'
arm_arch=$(sed -n 's/^arm_arch="\([0-9]*\)"$/\1/p' "$work/control/preinst")
if [ "$(dpkg-deb -f "$deb" Architecture)" = armhf ]; then
  check "armhf preinst knows the ARM level it was built for (${arm_arch:-none})" test -n "$arm_arch"
fi
refuses() {  # refuses MACHINE CPUINFO_TEXT: the preinst exits non-zero with its message
  ! preinst_on "$1" "$2" && grep -q 'not installed: this is an ARMv6 CPU' "$work/cpu-$1/out"
}
accepts() { preinst_on "$1" "$2"; }
if [ "${arm_arch:-0}" -ge 7 ]; then
  check "preinst refuses a Pi Zero W (armv6l, 'CPU architecture: 7')" refuses armv6l "$zero_w"
  check "preinst refuses a Pi 1 (old kernel's cpuinfo, uname says armv7l)" refuses armv7l "$pi1_old"
  check "preinst accepts a Pi 3 on a 32-bit kernel (armv7l)" accepts armv7l "$pi3_32"
  check "preinst accepts a Pi 4 on a 64-bit kernel (aarch64)" accepts aarch64 "$pi4_64kernel"
  sed 's/^/      preinst: /' "$work/cpu-armv6l/out"
else
  check "preinst does not refuse an ARMv6 CPU (package not built for ARMv7)" accepts armv6l "$zero_w"
fi

# --- lintian ---------------------------------------------------------------------------------
target=$deb
[ -f "$changes" ] && target=$changes
lintian --display-info "$target" >"$work/lintian" 2>&1
sed 's/^/      lintian: /' "$work/lintian"
check "lintian reports no error and no warning" \
  sh -c "! grep -qE '^[EW]: ' '$work/lintian'"

# --- the systemd unit ------------------------------------------------------------------------
unit="$root$sys_lib/systemd/system/pimqttd.service"
for line in Type=notify User=pimqttd 'SupplementaryGroups=gpio i2c' StateDirectory=pimqttd \
            DevicePolicy=closed Restart=on-failure RestartPreventExitStatus=78 \
            'ExecStart=/usr/sbin/pimqttd --config /etc/pimqttd/config.json'; do
  check "unit has $line" grep -qxF "$line" "$unit"
done
check "unit has WatchdogSec=" grep -qE '^WatchdogSec=[0-9]+' "$unit"
# Every command the unit runs must come from the package or an Essential package: ExecReload=
# once named /bin/kill (procps), absent from a minimal system, and reloading failed there.
check "unit's ExecReload= uses the shell's kill" \
  grep -qxF "ExecReload=/bin/sh -c 'kill -HUP \"\$1\"' reload \$MAINPID" "$unit"
check "unit documents LoadCredential=" grep -qE '^#LoadCredential=mqtt-password:' "$unit"

# verify loads the unit as systemd would: the staged root holds the package, the host's units
# (for the targets it refers to) and sh (ExecReload=); MANPATH makes the Documentation= check
# look at the package's man pages.
mkdir -p "$root$sys_lib/systemd/system" "$root/bin"
cp -an /lib/systemd/system/. "$root$sys_lib/systemd/system/"
cp -L /bin/sh "$root/bin/sh"
verify_out=$(MANPATH="$root/usr/share/man" SYSTEMD_LOG_COLOR=0 \
             systemd-analyze verify --root="$root" "$unit" 2>&1)
verify_rc=$?
[ -z "$verify_out" ] || while IFS= read -r line; do echo "      verify: $line"; done <<<"$verify_out"
check "systemd-analyze verify prints nothing" test "$verify_rc" -eq 0 -a -z "$verify_out"

security_out=$(systemd-analyze security --offline=true --root="$root" --no-pager "$unit" 2>&1)
exposure=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' <<<"$security_out")
echo "      security: exposure ${exposure:-?} (at most $max_exposure)"
check "systemd-analyze security exposure <= $max_exposure" \
  awk -v e="${exposure:-99}" -v m="$max_exposure" 'BEGIN { exit !(e + 0 <= m + 0) }'

if [ "$failures" -ne 0 ]; then
  echo "check_package: $failures check(s) FAILED for $(basename "$deb")"
  exit 1
fi
echo "check_package: all checks passed for $(basename "$deb") (exposure $exposure)"
