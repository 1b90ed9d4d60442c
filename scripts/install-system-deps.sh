#!/usr/bin/env bash
# Installs, from Debian's packages, what the WordPress end-to-end tests need: PHP, WordPress,
# PHPUnit, the MariaDB client and Chromium. Idempotent: does nothing when everything is present.
# Needs root (CI runs it as root from .ci/run).
set -euo pipefail

missing=()
command -v php >/dev/null 2>&1 || missing+=(php)
php -m 2>/dev/null | grep -qi '^mysqli$' || missing+=(php-mysql)
php -m 2>/dev/null | grep -qi '^curl$' || missing+=(php-curl)
php -m 2>/dev/null | grep -qi '^mbstring$' || missing+=(php-mbstring)
php -m 2>/dev/null | grep -qi '^xml$' || missing+=(php-xml)
[ -d /usr/share/wordpress ] || missing+=(wordpress)
command -v phpunit >/dev/null 2>&1 || missing+=(phpunit)
command -v mariadb >/dev/null 2>&1 || missing+=(mariadb-client)
[ -x /usr/bin/chromium ] || missing+=(chromium)

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-system-deps: everything present"
  exit 0
fi
echo "install-system-deps: missing ${missing[*]}"

if [ "$(id -u)" -ne 0 ]; then
  echo "install-system-deps: must run as root to install ${missing[*]}" >&2
  exit 1
fi

# Installing the wordpress package pulls in Apache; keep invoke-rc.d from starting any service.
policy=/usr/sbin/policy-rc.d
had_policy=0
if [ -e "$policy" ]; then
  had_policy=1
  cp -p "$policy" "$policy.woom-backup"
fi
restore_policy() {
  if [ "$had_policy" -eq 1 ]; then
    mv -f "$policy.woom-backup" "$policy"
  else
    rm -f "$policy"
  fi
}
trap restore_policy EXIT
printf '#!/bin/sh\nexit 101\n' >"$policy"
chmod 755 "$policy"

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends \
  php-cli php-mysql php-curl php-xml php-mbstring php-zip php-gd php-intl \
  wordpress phpunit mariadb-client chromium ca-certificates

echo "install-system-deps: done"
