#!/usr/bin/env bash
# Debian packages the test suite drives as independent judges (pdfsig, openssl, qpdf, mutool,
# certutil), SoftHSM2 for the PKCS#11 key store, Chromium for the verification page, a CJK font
# for seal pictures. Installs only what is missing.
set -euo pipefail
need=()
command -v pdfsig >/dev/null || need+=(poppler-utils)
command -v qpdf >/dev/null || need+=(qpdf)
command -v mutool >/dev/null || need+=(mupdf-tools)
command -v certutil >/dev/null || need+=(libnss3-tools)
command -v openssl >/dev/null || need+=(openssl)
command -v softhsm2-util >/dev/null || need+=(softhsm2)
command -v chromium >/dev/null || need+=(chromium)
[ -d /usr/share/fonts/opentype/noto ] || need+=(fonts-noto-cjk)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "install-tools: need root to install: ${need[*]}" >&2; exit 1; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
echo "install-tools: pdfsig $(pdfsig -v 2>&1 | head -1 | awk '{print $3}'), qpdf $(qpdf --version | head -1 | awk '{print $3}'), $(openssl version)"
