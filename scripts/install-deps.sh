#!/bin/sh
# Installs dsv4's build and test dependencies from Debian 12's registry. Idempotent: does
# nothing when every package is already installed.
set -eu
PACKAGES="cmake ninja-build ccache g++ clang libclang-rt-14-dev pkg-config binutils \
  libgtest-dev libgmock-dev libbenchmark-dev libpcre2-dev nlohmann-json3-dev"
missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
  echo "install-deps: all packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing$missing"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
