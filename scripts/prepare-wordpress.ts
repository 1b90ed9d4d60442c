/**
 * Unpacks WordPress and WooCommerce (from ../shared/vendor/, or downloaded by scripts/fetch-wordpress.sh)
 * and builds the set-up store every WordPress test site starts from, once per machine, before the tests
 * run in parallel (`npm test` runs it through scripts/pretest.sh). Quick when both exist.
 */
import { siteTemplate, wordPressTree, WOOCOMMERCE_VERSION, WORDPRESS_VERSION } from './lib/wordpress';

const started = Date.now();
const core = await wordPressTree();
const template = await siteTemplate();
console.log(`prepare-wordpress: WordPress ${WORDPRESS_VERSION} + WooCommerce ${WOOCOMMERCE_VERSION} in ${core}, site template ${template} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
