#!/usr/bin/env bash
# Builds the Debian package (without its test suite: DEB_BUILD_OPTIONS=nocheck) and checks it
# without installing it: its contents, control fields, conffiles and maintainer scripts; lintian
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

failures=0
pass() { echo "ok:   $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
check() {  # check DESCRIPTION COMMAND...
  local what=$1; shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}

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
for path in \
    /usr/sbin/pimqttd \
    /lib/systemd/system/pimqttd.service \
    /lib/udev/rules.d/60-pimqttd-gpio.rules \
    /usr/lib/sysusers.d/pimqttd.conf \
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
check "package version $version is the project's ($project_version)" \
  test "${version%%-*}" = "$project_version"
version_out=$("$root/usr/sbin/pimqttd" --version 2>&1)
check "pimqttd --version from the package prints $project_version" \
  grep -qF "$project_version" <<<"$version_out"
check "/etc/pimqttd/config.json is config/minimal.json" \
  cmp -s "$root/etc/pimqttd/config.json" "$src/config/minimal.json"
check "the example config names the broker homeassistant" \
  grep -q '"host": *"homeassistant"' "$root/etc/pimqttd/config.json"

rules="$root/lib/udev/rules.d/60-pimqttd-gpio.rules"
check "udev rule gives the gpio group /dev/gpiochip*" \
  grep -qE '^SUBSYSTEM=="gpio", KERNEL=="gpiochip\*", GROUP="gpio", MODE="0660"$' "$rules"

sysusers="$root/usr/lib/sysusers.d/pimqttd.conf"
check "sysusers creates the user pimqttd" grep -qE '^u[[:space:]]+pimqttd[[:space:]]' "$sysusers"
for group in gpio i2c; do
  check "sysusers creates the group $group if missing" \
    grep -qE "^g[[:space:]]+${group}[[:space:]]" "$sysusers"
done

# --- control fields and maintainer scripts --------------------------------------------------
depends=$(dpkg-deb -f "$deb" Depends)
echo "      Depends: $depends"
for lib in libc6 libstdc++6; do
  check "Depends has $lib (from dh_shlibdeps)" grep -qF "$lib" <<<"$depends"
done
check "Depends has systemd-sysusers (from dh_installsysusers)" grep -q 'systemd-sysusers' <<<"$depends"
check "Depends has no unsubstituted variable" test "${depends//\$\{/}" = "$depends"
check "conffiles is exactly /etc/pimqttd/config.json" \
  test "$(cat "$work/control/conffiles" 2>/dev/null)" = "/etc/pimqttd/config.json"
check "postinst creates the user (systemd-sysusers pimqttd.conf)" \
  grep -q 'systemd-sysusers .*pimqttd\.conf' "$work/control/postinst"
check "postinst enables the unit" \
  grep -q "deb-systemd-helper enable 'pimqttd.service'" "$work/control/postinst"
check "postrm removes /var/lib/pimqttd on purge" \
  sh -c "sed -n '/\"purge\"/,/^fi/p' '$work/control/postrm' | grep -q 'rm -rf .*/var/lib/pimqttd'"

# --- lintian ---------------------------------------------------------------------------------
target=$deb
[ -f "$changes" ] && target=$changes
lintian --display-info "$target" >"$work/lintian" 2>&1
sed 's/^/      lintian: /' "$work/lintian"
check "lintian reports no error and no warning" \
  sh -c "! grep -qE '^[EW]: ' '$work/lintian'"

# --- the systemd unit ------------------------------------------------------------------------
unit="$root/lib/systemd/system/pimqttd.service"
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
mkdir -p "$root/lib/systemd/system" "$root/bin"
cp -an /lib/systemd/system/. "$root/lib/systemd/system/"
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
