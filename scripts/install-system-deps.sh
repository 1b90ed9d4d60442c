#!/usr/bin/env bash
# Installs, from Debian's packages, what the WordPress end-to-end tests, the demo and the hook benchmark
# need: PHP (with the extensions WordPress 7 and WooCommerce 11 use, and pcov for the bridge's coverage in `npm test`;
# the tests keep it off elsewhere), the MariaDB client and Chromium.
# WordPress and WooCommerce themselves come from ../shared/vendor/ (or scripts/fetch-wordpress.sh), not
# from Debian. Idempotent: does nothing, quickly, when everything is present. Needs root to install.
set -euo pipefail

missing=()
command -v php >/dev/null 2>&1 || missing+=(php-cli)
modules=$(php -m 2>/dev/null || true)
for ext in mysqli:php-mysql curl:php-curl mbstring:php-mbstring xml:php-xml zip:php-zip gd:php-gd intl:php-intl pcov:php-pcov; do
  grep -qi "^${ext%%:*}\$" <<<"$modules" || missing+=("${ext##*:}")
done
command -v mariadb >/dev/null 2>&1 || missing+=(mariadb-client)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v unzip >/dev/null 2>&1 || missing+=(unzip)

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-system-deps: everything present"
  exit 0
fi
echo "install-system-deps: missing ${missing[*]}"

if [ "$(id -u)" -ne 0 ]; then
  echo "install-system-deps: must run as root to install ${missing[*]} (sudo bash scripts/install-system-deps.sh)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${missing[@]}" ca-certificates

echo "install-system-deps: done"
