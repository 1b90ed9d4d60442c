<?php
/**
 * Removes everything the plugin stored: its options, its outbox table, its scheduled actions and its
 * flash messages. Runs only when WordPress uninstalls the plugin.
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

foreach ( array( 'woom_sidecar_url', 'woom_store_id', 'woom_secret', 'woom_db_version', 'woom_delivery', 'woom_fatal_errors' ) as $woom_option ) {
	delete_option( $woom_option );
}

$wpdb->query( "DELETE FROM {$wpdb->options} WHERE option_name LIKE '\\_transient\\_woom\\_%' OR option_name LIKE '\\_transient\\_timeout\\_woom\\_%'" );
$wpdb->query( "DROP TABLE IF EXISTS {$wpdb->prefix}woom_outbox" );
