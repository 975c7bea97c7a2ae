#!/bin/bash
# Build sstp-server 0.6.0 from its PyPI sdist into the venv, with the patch
# that makes its C extension (sstpd.codec) work on Python >= 3.10.
set -euo pipefail
VENV=$1
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
"$VENV/bin/pip" download -q --no-deps --no-binary :all: -d "$T" sstp-server==0.6.0
tar -xzf "$T"/sstp-server-0.6.0.tar.gz -C "$T"
patch -d "$T/sstp-server-0.6.0" -p1 < "$HERE/patches/sstp-server-0.6.0-py3.10.patch"
"$VENV/bin/pip" install -q --no-build-isolation "$T/sstp-server-0.6.0" 2>/dev/null || \
  "$VENV/bin/pip" install -q "$T/sstp-server-0.6.0" >"$T/build.log" 2>&1 || { cat "$T/build.log" >&2; exit 1; }
"$VENV/bin/python" -c 'import sstpd.codec as c; assert c.escape(b"\x7e")[0] == 0x7e; print("sstpd.codec OK")'
