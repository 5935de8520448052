#!/usr/bin/env bash
# System packages the test suite needs, installed only when missing (Debian/Ubuntu, as root or sudo).
#   chromium          the clerk console's browser tests (Playwright drives /usr/bin/chromium)
#   postgresql        the issuer's tests run on PostgreSQL as well as SQLite
#   libzbar0          QR decoding fallback (pyzbar)
#   softhsm2          the PKCS#11 signer's tests
#   fonts-nanum       Korean glyphs in the console screenshots and the app
#   fonts-noto-cjk    the source of the app's four-language font subset (scripts/app_fonts.py)
#   jq, curl          the README's by-hand story, which tests/mobileid/test_readme.py runs as written
#   zlib1g-dev        zlib.h, for the C part of the QR scan (specs/qr/_scan.c inflates with libz)
#   libssl-dev        OpenSSL's headers, for the C parts that hash with libcrypto (specs/mdoc, specs/sdjwt)
# --build: only the last two, the headers the optional C parts are built with (make's install step runs this
# before pip builds them; without them the build goes on and those parts are left out, and their tests fail).
set -euo pipefail
need=()
[ -f /usr/include/zlib.h ] || need+=(zlib1g-dev)
[ -f /usr/include/openssl/evp.h ] || need+=(libssl-dev)
if [ "${1:-}" != "--build" ]; then
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v pg_ctlcluster >/dev/null 2>&1 || need+=(postgresql)
ldconfig -p 2>/dev/null | grep -q libzbar.so.0 || need+=(libzbar0)
command -v softhsm2-util >/dev/null 2>&1 || need+=(softhsm2)
[ -d /usr/share/fonts/truetype/nanum ] || need+=(fonts-nanum)
[ -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || need+=(fonts-noto-cjk)
command -v jq >/dev/null 2>&1 || need+=(jq)
command -v curl >/dev/null 2>&1 || need+=(curl)
fi
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "installing system packages: ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
