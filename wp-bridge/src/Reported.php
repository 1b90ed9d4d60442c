<?php
/**
 * What the sidecar was last sent about each order: total, currency, payment method and origin. Written
 * by the background sender after the sidecar's 202, read by one primary-key lookup when an order the
 * sidecar knows is saved again, so a later change of those values reaches it (`order.updated`).
 *
 * @package Woom\Bridge
 */

declare(strict_types=1);

namespace Woom\Bridge;

final class Reported {

	private const FIELDS = array( 'total', 'currency', 'payment_method', 'created_via' );

	public function __construct( private readonly \wpdb $db ) {}

	public function table(): string {
		return $this->db->prefix . 'woom_reported';
	}

	/** The table, for dbDelta (Outbox::install creates both of the plugin's tables). */
	public function schema( string $charset ): string {
		return "CREATE TABLE {$this->table()} (
  order_id bigint(20) unsigned NOT NULL,
  total varchar(32) NULL DEFAULT NULL,
  currency varchar(10) NOT NULL DEFAULT '',
  payment_method varchar(100) NOT NULL DEFAULT '',
  created_via varchar(50) NOT NULL DEFAULT '',
  reported_at datetime NOT NULL,
  PRIMARY KEY  (order_id)
) {$charset};";
	}

	/** @return array{total:?string, currency:string, payment_method:string, created_via:string}|null */
	public function get( int $order_id ): ?array {
		$row = $this->db->get_row( $this->db->prepare( "SELECT total, currency, payment_method, created_via FROM {$this->table()} WHERE order_id = %d", $order_id ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		if ( ! is_array( $row ) ) {
			return null;
		}
		return array(
			'total'          => null === $row['total'] ? null : (string) $row['total'],
			'currency'       => (string) $row['currency'],
			'payment_method' => (string) $row['payment_method'],
			'created_via'    => (string) $row['created_via'],
		);
	}

	/**
	 * @param array<int, array{total:?string, currency:string, payment_method:string, created_via:string}> $by_order
	 */
	public function put( array $by_order ): void {
		if ( array() === $by_order ) {
			return;
		}
		$now    = gmdate( 'Y-m-d H:i:s' );
		$values = array();
		foreach ( $by_order as $order_id => $v ) {
			$values[] = null === $v['total']
				? $this->db->prepare( '(%d, NULL, %s, %s, %s, %s)', $order_id, $v['currency'], $v['payment_method'], $v['created_via'], $now )
				: $this->db->prepare( '(%d, %s, %s, %s, %s, %s)', $order_id, $v['total'], $v['currency'], $v['payment_method'], $v['created_via'], $now );
		}
		$this->db->query( "INSERT INTO {$this->table()} (order_id, total, currency, payment_method, created_via, reported_at) VALUES " . implode( ',', $values ) . ' ON DUPLICATE KEY UPDATE total = VALUES(total), currency = VALUES(currency), payment_method = VALUES(payment_method), created_via = VALUES(created_via), reported_at = VALUES(reported_at)' ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared -- each row prepared above.
	}

	/**
	 * @param array<string, mixed> $event An order event.
	 * @return array{total:?string, currency:string, payment_method:string, created_via:string}
	 */
	public static function values_of( array $event ): array {
		return array(
			'total'          => isset( $event['total'] ) && is_numeric( $event['total'] ) ? self::decimal( (string) $event['total'] ) : null,
			'currency'       => (string) ( $event['currency'] ?? '' ),
			'payment_method' => (string) ( $event['payment_method'] ?? '' ),
			'created_via'    => (string) ( $event['created_via'] ?? '' ),
		);
	}

	/**
	 * @param array{total:?string, currency:string, payment_method:string, created_via:string} $a
	 * @param array{total:?string, currency:string, payment_method:string, created_via:string} $b
	 */
	public static function same( array $a, array $b ): bool {
		foreach ( self::FIELDS as $field ) {
			if ( $a[ $field ] !== $b[ $field ] ) {
				return false;
			}
		}
		return true;
	}

	/** "49.9", "49.90" and "49.900" are one amount. */
	private static function decimal( string $value ): string {
		return str_contains( $value, '.' ) ? rtrim( rtrim( $value, '0' ), '.' ) : $value;
	}
}
