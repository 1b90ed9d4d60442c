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
	 * An order event. `created` and `updated` events have `from` null.
	 *
	 * @param object      $order       A WC_Order.
	 * @param string|null $created_via The order's origin when WooCommerce left it empty (null: the order's).
	 * @return array<string, mixed>
	 */
	public function order_event( string $type, int $order_id, ?string $from, string $to, object $order, float $now, ?string $created_via = null ): array {
		$occurred_at = self::iso( $now );
		$created     = method_exists( $order, 'get_date_created' ) ? $order->get_date_created() : null;
		$event       = array(
			'id'          => wp_generate_uuid4(),
			'type'        => $type,
			'order_id'    => $order_id,
			'from'        => null === $from ? null : self::status( $from ),
			'to'          => self::status( $to ),
			'created_at'  => $created instanceof \DateTimeInterface ? self::iso( (float) $created->getTimestamp() ) : $occurred_at,
			'occurred_at' => $occurred_at,
		);
		return self::with_values( $event, $order, $created_via );
	}

	/**
	 * The event with the order's current total, currency, payment method and origin: an order saved empty
	 * first (`wc_create_order()`, wp-admin) has them only by the time its event is sent. The event's own
	 * origin stays when WooCommerce's is empty (the bridge named it `admin`).
	 *
	 * @param array<string, mixed> $event
	 * @param object               $order A WC_Order.
	 * @return array<string, mixed>
	 */
	public static function with_values( array $event, object $order, ?string $created_via = null ): array {
		$total                   = $order->get_total();
		$via                     = (string) $order->get_created_via();
		$event['total']          = is_numeric( $total ) ? (string) $total : null;
		$event['currency']       = (string) $order->get_currency();
		$event['payment_method'] = (string) $order->get_payment_method();
		$event['created_via']    = '' !== $via ? $via : (string) ( $created_via ?? $event['created_via'] ?? '' );
		return $event;
	}

	/**
	 * @param int|null             $oldest_pending_at Unix time of the oldest event still waiting, if any.
	 * @param array<string, mixed> $health            What HealthSnapshot collected.
	 * @return array<string, mixed>
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
