<?php
/**
 * Plugin Name:       WooCommerce Order Monitor
 * Description:       Forwards every order status change to the WOOM sidecar, which alerts the store when orders stop arriving or start failing.
 * Version:           0.1.0
 * Requires at least: 6.1
 * Requires PHP:      8.1
 * Requires Plugins:  woocommerce
 * Author:            WOOM
 * License:           GPL-2.0-or-later
 * Text Domain:       woom
 * WC requires at least: 7.0
 *
 * @package Woom\Bridge
 */

declare(strict_types=1);

defined( 'ABSPATH' ) || exit;

const WOOM_BRIDGE_VERSION = '0.1.0';
const WOOM_BRIDGE_FILE    = __FILE__;

spl_autoload_register(
	static function ( string $class_name ): void {
		$prefix = 'Woom\\Bridge\\';
		if ( ! str_starts_with( $class_name, $prefix ) ) {
			return;
		}
		$relative = str_replace( '\\', '/', substr( $class_name, strlen( $prefix ) ) );
		$file     = __DIR__ . '/src/' . $relative . '.php';
		if ( is_readable( $file ) ) {
			require $file;
		}
	}
);

add_action(
	'before_woocommerce_init',
	static function (): void {
		if ( class_exists( \Automattic\WooCommerce\Utilities\FeaturesUtil::class ) ) {
			\Automattic\WooCommerce\Utilities\FeaturesUtil::declare_compatibility( 'custom_order_tables', WOOM_BRIDGE_FILE, true );
		}
	}
);

register_activation_hook( __FILE__, array( \Woom\Bridge\Plugin::class, 'activate' ) );
register_deactivation_hook( __FILE__, array( \Woom\Bridge\Plugin::class, 'deactivate' ) );

add_action( 'plugins_loaded', array( \Woom\Bridge\Plugin::class, 'boot' ), 20 );
