#!/bin/sh
# usage: install-deps.sh [test|bench|fuzz|valgrind]
# Install the Debian packages qaudit needs to build and run; a group adds
# what one make target needs besides.
# Idempotent and quick when everything is present: dpkg is asked first and
# apt-get runs only for what is missing (as root, or through sudo).
set -e
PKGS="build-essential pkg-config libhdf5-dev libgsl-dev libopenblas-dev \
libcairo2-dev libfreetype-dev libhpdf-dev libcjson-dev nettle-dev zlib1g-dev poppler-utils qpdf"
# `install-deps.sh test` (make test, make test-sanitize) adds what the
# Python cache writer's tests need: python/test_qaudit_cache.py runs under
# /usr/bin/python3 with h5py, NumPy and PyTorch (tests/test_pywriter.c).
if [ "$1" = test ]; then
  PKGS="$PKGS python3-numpy python3-h5py python3-torch"
fi
# `install-deps.sh bench` adds what the benchmark's Python reference needs.
if [ "$1" = bench ]; then
  PKGS="$PKGS python3-numpy python3-scipy python3-h5py python3-sklearn"
fi
if [ "$1" = fuzz ]; then
  PKGS="$PKGS clang"
fi
if [ "$1" = valgrind ]; then
  PKGS="$PKGS valgrind"
fi
missing=""
for p in $PKGS; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
[ -z "$missing" ] && exit 0
echo "qaudit: installing missing packages:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
  echo "qaudit: error: need root or sudo to install:$missing" >&2; exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
