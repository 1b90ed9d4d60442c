#!/usr/bin/env bash
# `npm test`'s and `npm run demo`'s own set-up (npm runs it as "pretest" and "predemo"), so that after cloning `npm test` is the only command
# on a machine of ours (Debian, Node, MariaDB and Redis installed): starts MariaDB and Redis when they do
# not answer, installs the Debian packages the WordPress and browser tests need, installs node_modules when
# they are missing (after changing dependencies, run npm ci yourself), and prepares WordPress + WooCommerce
# once per machine.
set -euo pipefail
cd "$(dirname "$0")/.."

wait_for() { # wait_for "what" command...
  local what=$1; shift
  for _ in $(seq 1 60); do "$@" >/dev/null 2>&1 && return 0; sleep 1; done
  echo "pretest: $what did not come up" >&2; return 1
}

if ! mariadb -uroot -h127.0.0.1 -e 'SELECT 1' >/dev/null 2>&1; then
  if [ -x /usr/sbin/mariadbd ] && [ "$(id -u)" -eq 0 ]; then
    echo "pretest: starting MariaDB"
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
    wait_for MariaDB mariadb -uroot -h127.0.0.1 -e 'SELECT 1'
  else
    echo "pretest: MariaDB does not answer at 127.0.0.1:3306 as root without a password (the tests need it)" >&2
    exit 1
  fi
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; then
  if command -v redis-server >/dev/null 2>&1; then
    echo "pretest: starting Redis"
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
    wait_for Redis sh -c 'redis-cli -h 127.0.0.1 -p 6379 ping | grep -q PONG'
  else
    echo "pretest: Redis does not answer at 127.0.0.1:6379 (the tests need it)" >&2
    exit 1
  fi
fi

bash scripts/install-system-deps.sh

if [ ! -x node_modules/.bin/vitest ] || [ ! -x node_modules/.bin/tsx ]; then
  echo "pretest: installing node_modules (npm ci)"
  npm ci --no-audit --no-fund
fi

node_modules/.bin/tsx scripts/prepare-wordpress.ts
