# Shared by the system tests (run-hw-test, run-service-test): fetching Debian's kernel packages
# into a cache and building the gpio-sim module Debian does not ship. Sourced by bash.
#
# The caller defines:
#   die MESSAGE [LINE...]   report a failure and exit
#   cache                   the cache directory; .debs go to $cache/debs, build trees under it
#   run                     a scratch directory for logs of the last run
#   kver                    the kernel version the module is built for (build_gpio_sim)
# and may set:
#   apt_opts      (array) options for apt-get and apt-cache, e.g. a private configuration for
#                 another release or architecture (default: none, the host's own apt)
#   kbuild_arch   the architecture of the linux-kbuild package (the machine that runs the
#                 build), when it differs from the kernel's (a cross build); default: the same
#   make_args     (array) extra arguments for make, e.g. ARCH=arm64 CROSS_COMPILE=... for a
#                 cross build (default: none)
#   kbuild_root   a Debian root of the kernel's release to run make in (chroot), when the host's
#                 compiler and C library are too old for that release's kbuild tools; the build
#                 tree is then made inside it (default: none, make runs on the host)
# The environment variable PIMQTTD_BUILD_LOCK, when set, names a lock file that make holds
# (flock) while it compiles: on a machine shared by several builds, they take turns.

# deb_file PACKAGE: the file name apt would download for PACKAGE (without downloading it).
deb_file() {
  apt-get "${apt_opts[@]}" download --print-uris "$1" 2> /dev/null | awk 'NR == 1 { print $2 }'
}

# fetch PACKAGE: downloads PACKAGE's .deb into the cache unless it is there, prints its path.
fetch() {
  local package=$1 line file size
  line=$(apt-get "${apt_opts[@]}" download --print-uris "$package" 2> /dev/null | awk 'NR == 1')
  [ -n "$line" ] || die "apt does not know the package $package" "run apt-get update first"
  file=$(awk '{ print $2 }' <<< "$line")
  size=$(awk '{ print $3 }' <<< "$line")
  if [ "$(stat -c %s "$cache/debs/$file" 2> /dev/null || echo 0)" != "$size" ]; then
    echo "downloading $file" >&2
    rm -f "$cache/debs/$file"
    (cd "$cache/debs" && apt-get "${apt_opts[@]}" download -q "$package" > /dev/null \
       2> "$run/apt.log") ||
      die "apt-get download $package failed" "$(cat "$run/apt.log")"
    [ "$(stat -c %s "$cache/debs/$file" 2> /dev/null || echo 0)" = "$size" ] ||
      die "apt-get download $package did not produce $file of $size bytes"
  fi
  echo "$cache/debs/$file"
}

# depends_on PACKAGE PATTERN: the first package PACKAGE depends on whose name matches PATTERN.
depends_on() {
  apt-cache "${apt_opts[@]}" depends "$1" 2> /dev/null |
    awk -v p="$2" '!found && $1 == "Depends:" && $2 ~ p { print $2; found = 1 }'
}

# kbuild_tree NAME FILE...: a build tree for one out-of-tree module of the kernel $kver, in a new
# directory (printed): root/ holds the kernel's headers and kbuild tools, src/ the FILEs (paths
# in the kernel's source, e.g. drivers/gpio/gpio-sim.c) from its linux-source package.
kbuild_tree() {
  local name=$1 headers common kbuild source_pkg source_deb version build hdr parent members=()
  shift
  headers=$(fetch "linux-headers-$kver")
  common=$(fetch "$(depends_on "linux-headers-$kver" '^linux-headers-.*-common$')")
  kbuild=$(depends_on "linux-headers-$kver" '^linux-kbuild-')
  [ -n "$kbuild" ] || die "cannot find the linux-kbuild package linux-headers-$kver needs"
  version=${kbuild#linux-kbuild-}
  # linux-source-6.1 for linux-kbuild-6.1; trixie's kbuild names the full version
  # (linux-kbuild-6.12.118+deb13), its source package only major.minor (linux-source-6.12).
  version=$(sed -E 's/^([0-9]+\.[0-9]+).*/\1/' <<< "$version")
  source_pkg=linux-source-$version
  kbuild=$(fetch "$kbuild${kbuild_arch:+:$kbuild_arch}")
  source_deb=$(fetch "$source_pkg")
  parent=$cache
  if [ -n "${kbuild_root:-}" ]; then
    parent=$kbuild_root/build
    mkdir -p "$parent"
  fi
  build=$(mktemp -d "$parent/$name-build.XXXXXX")
  for deb in "$headers" "$common" "$kbuild"; do dpkg-deb -x "$deb" "$build/root"; done
  hdr=$build/root/usr/src/linux-headers-$kver
  # The arch headers' Makefile includes the common one by absolute path; point it at ours (as
  # the chroot sees it, when the build runs in one).
  sed -i "s#^include /usr/src/#include ${build#"${kbuild_root:-}"}/root/usr/src/#" "$hdr/Makefile"
  mkdir "$build/src"
  for file in "$@"; do members+=("linux-source-$version/$file"); done
  dpkg-deb --fsys-tarfile "$source_deb" |
    tar -xO "./usr/src/linux-source-$version.tar.xz" |
    tar -xJ -C "$build/src" --strip-components=3 "${members[@]}" ||
    die "cannot extract $* from $source_deb"
  echo "$build"
}

# kbuild_make BUILD: builds the module in BUILD/src (its Kbuild file) against BUILD/root's headers.
kbuild_make() {
  local build=$1 inside=$1 make_cmd=()
  [ -z "${PIMQTTD_BUILD_LOCK:-}" ] || make_cmd=(flock "$PIMQTTD_BUILD_LOCK")
  if [ -n "${kbuild_root:-}" ]; then
    inside=${build#"$kbuild_root"}
    # The root's own /proc, in a mount namespace of its own (nothing stays mounted).
    make_cmd+=(unshare --mount --propagation private
      sh -c 'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' "$kbuild_root")
  fi
  # No BTF for the module: it would need pahole (dwarves), and nothing in a test reads it.
  "${make_cmd[@]}" make -C "$inside/root/usr/src/linux-headers-$kver" M="$inside/src" \
    CONFIG_DEBUG_INFO_BTF_MODULES= "${make_args[@]}" -j1 modules > "$build/make.log" 2>&1
}

# build_gpio_sim OUT: gpio-sim.ko for the kernel $kver, built out of tree from the kernel's own
# source package against its headers, copied to OUT.
build_gpio_sim() {
  local out=$1 build
  # Debian builds neither gpio-sim nor the irq_sim it needs (CONFIG_GPIO_SIM and IRQ_SIM are
  # off): build both from the same kernel's source as one module.
  build=$(kbuild_tree gpio-sim drivers/gpio/gpio-sim.c drivers/gpio/gpiolib.h kernel/irq/irq_sim.c)
  mv "$build/src/gpio-sim.c" "$build/src/gpio-sim-main.c"
  # irq_to_desc() is not exported to modules; generic_handle_irq() does the same job here.
  sed -i 's/handle_simple_irq(irq_to_desc(\([a-z_]*\)))/generic_handle_irq(\1)/' \
    "$build/src/irq_sim.c"
  ! grep -q irq_to_desc "$build/src/irq_sim.c" ||
    die "irq_sim.c still calls irq_to_desc(), which modules cannot use: adapt the patch above"
  printf 'obj-m := gpio-sim.o\ngpio-sim-y := gpio-sim-main.o irq_sim.o\n' > "$build/src/Kbuild"
  kbuild_make "$build" ||
    die "building gpio-sim.ko for $kver failed" "$(tail -n 30 "$build/make.log")"
  cp "$build/src/gpio-sim.ko" "$out"
  rm -rf "$build"
}

# build_i2c_stub OUT: i2c-stub.ko for the kernel $kver (Debian's arm64 kernels lack it).
build_i2c_stub() {
  local out=$1 build
  build=$(kbuild_tree i2c-stub drivers/i2c/i2c-stub.c)
  printf 'obj-m := i2c-stub.o\n' > "$build/src/Kbuild"
  kbuild_make "$build" ||
    die "building i2c-stub.ko for $kver failed" "$(tail -n 30 "$build/make.log")"
  cp "$build/src/i2c-stub.ko" "$out"
  rm -rf "$build"
}
