#!/usr/bin/env bash
# Downloads the WordPress and WooCommerce releases the tests run on, from their official downloads, into
# the folder given (default ~/.cache/woom/vendor), as the same tarballs ../shared/vendor/ holds on our
# machines: wordpress-<v>.tar.gz (top folder wordpress/) and woocommerce-<v>.tar.gz (path
# wp-content/plugins/woocommerce/). Only for a machine without ../shared/vendor/; the tests never download.
set -euo pipefail
WORDPRESS_VERSION=7.0.4
WOOCOMMERCE_VERSION=11.0.1
dest=${1:-"$HOME/.cache/woom/vendor"}
mkdir -p "$dest"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ ! -f "$dest/wordpress-$WORDPRESS_VERSION.tar.gz" ]; then
  echo "fetch-wordpress: WordPress $WORDPRESS_VERSION from wordpress.org"
  curl -fsSL --retry 3 -o "$work/wordpress.tar.gz" "https://wordpress.org/wordpress-$WORDPRESS_VERSION.tar.gz"
  tar -tzf "$work/wordpress.tar.gz" wordpress/wp-load.php >/dev/null
  mv "$work/wordpress.tar.gz" "$dest/wordpress-$WORDPRESS_VERSION.tar.gz"
fi
if [ ! -f "$dest/woocommerce-$WOOCOMMERCE_VERSION.tar.gz" ]; then
  echo "fetch-wordpress: WooCommerce $WOOCOMMERCE_VERSION from downloads.wordpress.org"
  curl -fsSL --retry 3 -o "$work/woocommerce.zip" "https://downloads.wordpress.org/plugin/woocommerce.$WOOCOMMERCE_VERSION.zip"
  mkdir -p "$work/wp-content/plugins"
  unzip -q "$work/woocommerce.zip" -d "$work/wp-content/plugins"
  test -f "$work/wp-content/plugins/woocommerce/woocommerce.php"
  tar -czf "$work/woocommerce.tar.gz" -C "$work" wp-content
  mv "$work/woocommerce.tar.gz" "$dest/woocommerce-$WOOCOMMERCE_VERSION.tar.gz"
fi
echo "fetch-wordpress: $dest holds WordPress $WORDPRESS_VERSION and WooCommerce $WOOCOMMERCE_VERSION"
