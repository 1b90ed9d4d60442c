<?php
/**
 * Removes everything the plugin stored: every option it wrote (all are named `woom_...`, among them the
 * connection, the delivery state, the fatal-error counter and the schedule check), its transients (flash
 * messages), its two tables and its scheduled actions. Runs only when WordPress uninstalls the plugin.
 *
 * @package Woom\Bridge
 */

declare(strict_types=1);

if ( ! defined( 'WP_UNINSTALL_PLUGIN' ) ) {
	exit;
}

global $wpdb;

foreach ( array( 'woom_drain_outbox', 'woom_drain_outbox_async', 'woom_drain_outbox_retry', 'woom_heartbeat' ) as $woom_hook ) {
	if ( function_exists( 'as_unschedule_all_actions' ) ) {
		as_unschedule_all_actions( $woom_hook );
	}
	wp_unschedule_hook( $woom_hook );
}

// By prefix rather than a list, so an option added later cannot be left behind (woom_fatal_errors once was).
$woom_options = $wpdb->get_col( "SELECT option_name FROM {$wpdb->options} WHERE option_name LIKE 'woom\\_%'" );
foreach ( (array) $woom_options as $woom_option ) {
	delete_option( (string) $woom_option );
}

$wpdb->query( "DELETE FROM {$wpdb->options} WHERE option_name LIKE '\\_transient\\_woom\\_%' OR option_name LIKE '\\_transient\\_timeout\\_woom\\_%'" );
$wpdb->query( "DROP TABLE IF EXISTS {$wpdb->prefix}woom_outbox" );
$wpdb->query( "DROP TABLE IF EXISTS {$wpdb->prefix}woom_reported" );
