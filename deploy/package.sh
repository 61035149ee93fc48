#!/usr/bin/env bash
# Builds the Debian package of the collector: deploy/package.sh [--arch amd64|arm64]
# Installs what the build needs (apt-get, Debian packages only), builds
# with Debian's hardening flags, generates the packaged configuration and
# the manual pages with the collector itself (the same tables as --help and
# docs/configuration.md), assembles the package with dpkg-deb and checks it
# with lintian (any error fails). The path of the .deb is the last line
# printed; everything else goes to stderr.
#
# --arch arm64 cross-builds on an amd64 machine with Debian's multiarch
# toolchain (gcc-aarch64-linux-gnu, the libraries as :arm64) and runs the
# unit tests under qemu-user before packaging; the generators run under
# qemu too, so the arm64 package ships what its own binary prints.
#   PKG_OUT=DIR       where the build tree and the .deb go (default build-deb-ARCH)
#   PKG_SKIP_TESTS=1  arm64: do not run the unit tests under qemu
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

host_arch=$(dpkg --print-architecture)
arch=$host_arch
while [ $# -gt 0 ]; do
  case "$1" in
  --arch)
    arch=${2:-}
    shift 2
    ;;
  --arch=*)
    arch=${1#--arch=}
    shift
    ;;
  -h | --help)
    sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "package: unknown option '$1'" >&2
    exit 2
    ;;
  esac
done
case "$arch" in
amd64 | arm64) ;;
*)
  echo "package: --arch must be amd64 or arm64" >&2
  exit 2
  ;;
esac
log() { echo "package: $*" >&2; }

# ---- what the build needs ------------------------------------------------
libs=(libmosquitto-dev libsqlite3-dev libcurl4-openssl-dev libcjson-dev libyaml-dev
  libmicrohttpd-dev zlib1g-dev libssl-dev libsystemd-dev)
need=(cmake make pkg-config dpkg-dev lintian)
emu=()
cross=0
if [ "$arch" != "$host_arch" ]; then
  [ "$arch" = arm64 ] && [ "$host_arch" = amd64 ] ||
    { log "cross-building $arch on $host_arch is not supported"; exit 2; }
  cross=1
  triplet=aarch64-linux-gnu
  need+=(gcc-$triplet libc6-dev-arm64-cross qemu-user libcmocka-dev:arm64 libc6:arm64)
  for l in "${libs[@]}"; do need+=("$l:arm64"); done
  emu=(qemu-aarch64)
else
  triplet=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
  need+=(gcc "${libs[@]}")
fi
missing=()
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  log "installing ${missing[*]}"
  if [ $cross = 1 ] && ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
    $sudo dpkg --add-architecture "$arch"
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq >&2
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# ---- build ---------------------------------------------------------------
out=${PKG_OUT:-$here/build-deb-$arch}
bdir=$out/build
stage=$out/root
mkdir -p "$out"
version=$(sed -n 's/^project([a-z_]* VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
[ -n "$version" ] || { log "no VERSION in CMakeLists.txt"; exit 1; }
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
export DEB_HOST_ARCH=$arch
cflags="$(dpkg-buildflags --get CPPFLAGS) $(dpkg-buildflags --get CFLAGS)"
ldflags=$(dpkg-buildflags --get LDFLAGS)
cmake_args=(-DCMAKE_BUILD_TYPE=Release "-DCMAKE_C_FLAGS_RELEASE=$cflags -DNDEBUG"
  "-DCMAKE_EXE_LINKER_FLAGS=$ldflags" -DCMAKE_INSTALL_PREFIX=/usr)
if [ $cross = 1 ]; then
  cmake_args+=(-DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR=aarch64
    -DCMAKE_C_COMPILER=$triplet-gcc -DCMAKE_CROSSCOMPILING_EMULATOR=qemu-aarch64
    -DCMAKE_FIND_ROOT_PATH=/usr/$triplet)
  export PKG_CONFIG_LIBDIR=/usr/lib/$triplet/pkgconfig:/usr/share/pkgconfig
  [ "${PKG_SKIP_TESTS:-}" = 1 ] && cmake_args+=(-DCOLLECTOR_TESTS=OFF)
else
  # the tests ran on this machine's own build; the package needs the programs
  cmake_args+=(-DCOLLECTOR_TESTS=OFF)
fi
log "building $arch in $bdir"
cmake -S . -B "$bdir" "${cmake_args[@]}" >&2
cmake --build "$bdir" -j "${PKG_JOBS:-2}" >&2
if [ $cross = 1 ] && [ "${PKG_SKIP_TESTS:-}" != 1 ]; then
  log "unit tests of the $arch build under qemu-user"
  t0=$(date +%s)
  ctest --test-dir "$bdir" -L unit --output-on-failure -j "${PKG_JOBS:-2}" >&2
  log "unit tests passed under qemu in $(($(date +%s) - t0)) s"
fi

# ---- the file tree -------------------------------------------------------
# devsim(1): its own --help and each command's, quoted (devsim has no table
# of its own to generate from).
roff() { sed -e 's/\\/\\e/g' -e 's/-/\\-/g' -e "s/^\([.']\)/\\\\\&\1/"; }
devsim_man() {
  local c
  printf '.TH DEVSIM 1 "" "collector %s" "User Commands"\n' "$version"
  printf '.SH NAME\ndevsim \\- simulate sensor fleets or replay recorded data into MQTT\n'
  printf '.SH SYNOPSIS\n.B devsim\n.I COMMAND\n[\\fIoptions\\fR]\n.SH DESCRIPTION\n.nf\n'
  "$@" --help 2>&1 | roff
  printf '.fi\n.SH COMMANDS\n'
  for c in $("$@" --help 2>&1 | sed -n 's/^  \([a-z]\{2,\}\)  .*/\1/p'); do
    printf '.SS "devsim %s"\n.nf\n' "$c"
    "$@" "$c" --help 2>&1 | roff
    printf '.fi\n'
  done
  printf '.SH SEE ALSO\n.BR collector (1)\n'
}
rm -rf "$stage"
doc=$stage/usr/share/doc/xuhui-collector
install -d -m 0755 "$stage/DEBIAN" "$stage/usr/bin" "$stage/etc/collector" \
  "$stage/usr/share/collector/profiles" "$stage/usr/share/collector/rules" \
  "$stage/usr/share/collector/prometheus" "$stage/lib/systemd/system" \
  "$stage/usr/share/man/man1" "$stage/usr/share/man/man5" "$doc/examples"
strip=strip
[ $cross = 1 ] && strip=$triplet-strip
for b in collector/collector devices/sim/devsim; do
  install -m 0755 "$bdir/$b" "$stage/usr/bin/"
  $strip --strip-unneeded --remove-section=.comment --remove-section=.note "$stage/usr/bin/${b##*/}"
done
collector=("${emu[@]}" "$bdir/collector/collector")
bash deploy/gen-config.sh package "${collector[*]}" >"$stage/etc/collector/collector.yaml"
install -m 0644 deploy/registry.yaml "$stage/etc/collector/registry.yaml"
chmod 0644 "$stage/etc/collector/collector.yaml"
install -m 0644 devices/profiles/*.yaml "$stage/usr/share/collector/profiles/"
install -m 0644 ruleset/rules/*.yaml "$stage/usr/share/collector/rules/"
if [ -d deploy/prometheus ]; then
  install -m 0644 deploy/prometheus/*.yml "$stage/usr/share/collector/prometheus/"
fi
install -m 0644 deploy/collector.service "$stage/lib/systemd/system/collector.service"
"${collector[@]}" help --man | gzip -9n >"$stage/usr/share/man/man1/collector.1.gz"
"${collector[@]}" config --man | gzip -9n >"$stage/usr/share/man/man5/collector.yaml.5.gz"
devsim_man "${emu[@]}" "$bdir/devices/sim/devsim" | gzip -9n >"$stage/usr/share/man/man1/devsim.1.gz"
install -m 0644 deploy/debian/copyright "$doc/copyright"
install -m 0644 deploy/mosquitto.conf "$doc/examples/mosquitto.conf"
install -m 0644 README.md "$doc/README.md"
# A native package's changelog: this build, dated by its commit (reproducible).
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
when=$(git log -1 --format=%ct 2>/dev/null || date +%s)
export SOURCE_DATE_EPOCH=$when
{
  echo "xuhui-collector ($version) bookworm; urgency=medium"
  echo
  echo "  * Built from commit $commit."
  echo
  echo " -- Xuhui edge collector maintainers <collector@xuhui.invalid>  $(date -R -u -d "@$when")"
} | gzip -9n >"$doc/changelog.gz"
chmod 0644 "$doc/changelog.gz" "$stage"/usr/share/man/man*/*.gz

# ---- control -------------------------------------------------------------
install -m 0644 deploy/debian/conffiles "$stage/DEBIAN/conffiles"
for s in postinst prerm postrm; do
  install -m 0755 "deploy/debian/$s" "$stage/DEBIAN/$s"
done
shl=$out/shlibdeps
rm -rf "$shl"
mkdir -p "$shl/debian"
printf 'Source: xuhui-collector\n\nPackage: xuhui-collector\nArchitecture: any\n' \
  >"$shl/debian/control"
depends=$(cd "$shl" && dpkg-shlibdeps -O -e"$stage/usr/bin/collector" -e"$stage/usr/bin/devsim" \
  2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { log "dpkg-shlibdeps found no dependencies"; exit 1; }
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" \
  -e "s/@DEPENDS@/$depends/" deploy/debian/control.in >"$stage/DEBIAN/control"
(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z |
  xargs -0 md5sum) >"$stage/DEBIAN/md5sums"
chmod 0644 "$stage/DEBIAN/md5sums"
find "$stage" -exec touch -h -d "@$when" {} +

deb=$out/xuhui-collector_${version}_$arch.deb
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >&2
log "built $deb ($(du -k "$deb" | cut -f1) KiB, installed $size KiB)"
lint=$out/lintian.txt
if lintian --tag-display-limit 0 "$deb" >"$lint" 2>&1; then :; fi
sed 's/^/package: lintian: /' "$lint" >&2
if grep -q '^E: ' "$lint"; then
  log "lintian reports errors"
  exit 1
fi
log "lintian: $(grep -c '^E: ' "$lint" || true) errors, $(grep -c '^W: ' "$lint" || true) warnings"
echo "$deb"
