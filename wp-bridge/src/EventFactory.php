<?php
/**
 * Builds the events of the sidecar's contract (README, "POST /v1/events").
 *
 * @package Woom\Bridge
 */

declare(strict_types=1);

namespace Woom\Bridge;

final class EventFactory {

	/**
	 * An order event. `created` events have `from` null.
	 *
	 * @param object $order A WC_Order.
	 * @return array<string, mixed>
	 */
	public function order_event( string $type, int $order_id, ?string $from, string $to, object $order, float $now ): array {
		$occurred_at = self::iso( $now );
		$created     = method_exists( $order, 'get_date_created' ) ? $order->get_date_created() : null;
		$total       = $order->get_total();
		return array(
			'id'             => wp_generate_uuid4(),
			'type'           => $type,
			'order_id'       => $order_id,
			'from'           => null === $from ? null : self::status( $from ),
			'to'             => self::status( $to ),
			'total'          => is_numeric( $total ) ? (string) $total : null,
			'currency'       => (string) $order->get_currency(),
			'payment_method' => (string) $order->get_payment_method(),
			'created_via'    => (string) $order->get_created_via(),
			'created_at'     => $created instanceof \DateTimeInterface ? self::iso( (float) $created->getTimestamp() ) : $occurred_at,
			'occurred_at'    => $occurred_at,
		);
	}

	/**
	 * @param int|null $oldest_pending_at Unix time of the oldest event still waiting, if any.
	 * @return array<string, mixed>
	 */
	/**
	 * @param array<string, mixed> $health What HealthSnapshot collected.
	 */
	public function heartbeat( int $outbox_size, ?int $oldest_pending_at, float $now, array $health = array() ): array {
		return array(
			'id'          => wp_generate_uuid4(),
			'type'        => 'heartbeat',
			'occurred_at' => self::iso( $now ),
			'data'        => array(
				'outbox_size'     => $outbox_size,
				'oldest_event_at' => null === $oldest_pending_at ? null : self::iso( (float) $oldest_pending_at ),
				'health'          => $health,
			),
		);
	}

	/** ISO 8601 in UTC with milliseconds, so two changes within one second keep their order. */
	public static function iso( float $unix ): string {
		$seconds = (int) floor( $unix );
		$millis  = (int) floor( ( $unix - $seconds ) * 1000 );
		return gmdate( 'Y-m-d\TH:i:s', $seconds ) . sprintf( '.%03dZ', min( 999, $millis ) );
	}

	/** WooCommerce passes statuses without `wc-`; some plugins do not. */
	private static function status( string $status ): string {
		return str_starts_with( $status, 'wc-' ) ? substr( $status, 3 ) : $status;
	}
}
