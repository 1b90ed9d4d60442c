<?php
/**
 * The plugin's options: the connection to the sidecar and the delivery state of the outbox.
 *
 * @package Woom\Bridge
 */

declare(strict_types=1);

namespace Woom\Bridge;

final class Options {

	public const SIDECAR_URL = 'woom_sidecar_url';
	public const STORE_ID    = 'woom_store_id';
	public const SECRET      = 'woom_secret';
	public const DB_VERSION  = 'woom_db_version';
	public const DELIVERY    = 'woom_delivery';

	/** Every option the plugin writes; uninstall.php removes these and any other `woom_` option. */
	public const ALL = array( self::SIDECAR_URL, self::STORE_ID, self::SECRET, self::DB_VERSION, self::DELIVERY, HealthSnapshot::FATAL_COUNTER, Scheduler::CHECKED_OPTION );

	public function sidecar_url(): string {
		return rtrim( (string) get_option( self::SIDECAR_URL, '' ), '/' );
	}

	public function store_id(): string {
		return (string) get_option( self::STORE_ID, '' );
	}

	public function secret(): string {
		return (string) get_option( self::SECRET, '' );
	}

	public function is_configured(): bool {
		return '' !== $this->sidecar_url() && '' !== $this->store_id() && '' !== $this->secret();
	}

	/** The secret as the settings tab may show it: never more than its last four characters. */
	public function secret_hint(): string {
		$secret = $this->secret();
		if ( '' === $secret ) {
			return '';
		}
		return str_repeat( '•', 8 ) . ( strlen( $secret ) > 12 ? substr( $secret, -4 ) : '' );
	}

	public function save_connection( string $url, string $store_id, ?string $secret ): void {
		update_option( self::SIDECAR_URL, $url );
		update_option( self::STORE_ID, $store_id );
		if ( null !== $secret ) {
			update_option( self::SECRET, $secret, false );
		}
	}

	/**
	 * Delivery state: consecutive failures, when to retry, the last error and the last acknowledgement.
	 *
	 * @return array{failures:int, retry_at:int, last_error:string, last_attempt_at:int, last_ack_at:int}
	 */
	public function delivery(): array {
		$stored = get_option( self::DELIVERY, array() );
		$stored = is_array( $stored ) ? $stored : array();
		return array(
			'failures'        => (int) ( $stored['failures'] ?? 0 ),
			'retry_at'        => (int) ( $stored['retry_at'] ?? 0 ),
			'last_error'      => (string) ( $stored['last_error'] ?? '' ),
			'last_attempt_at' => (int) ( $stored['last_attempt_at'] ?? 0 ),
			'last_ack_at'     => (int) ( $stored['last_ack_at'] ?? 0 ),
		);
	}

	/**
	 * @param array<string, int|string> $changes
	 */
	public function update_delivery( array $changes ): void {
		update_option( self::DELIVERY, array_merge( $this->delivery(), $changes ), true );
	}
}
