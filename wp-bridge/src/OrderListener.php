<?php
/**
 * The two order hooks. Each writes one row to the outbox and returns: no network in the customer's request.
 *
 * @package Woom\Bridge
 */

declare(strict_types=1);

namespace Woom\Bridge;

final class OrderListener {

	/** A block-checkout draft is not an order yet (../shared/woocommerce.md). */
	private const DRAFT = 'checkout-draft';

	public function __construct(
		private readonly Outbox $outbox,
		private readonly EventFactory $events,
		private readonly Scheduler $scheduler,
	) {}

	/**
	 * `woocommerce_new_order` ( $order_id, $order ).
	 *
	 * @param int|string  $order_id
	 * @param object|null $order
	 */
	public function on_new_order( $order_id, $order = null ): void {
		$order = $this->resolve( (int) $order_id, $order );
		if ( null === $order ) {
			return;
		}
		$status = (string) $order->get_status();
		if ( self::DRAFT === $status ) {
			return;
		}
		$this->record( $this->events->order_event( 'order.created', (int) $order_id, null, $status, $order, microtime( true ) ) );
	}

	/**
	 * `woocommerce_order_status_changed` ( $order_id, $from, $to, $order ).
	 *
	 * @param int|string  $order_id
	 * @param string      $from
	 * @param string      $to
	 * @param object|null $order
	 */
	public function on_status_changed( $order_id, $from, $to, $order = null ): void {
		$order = $this->resolve( (int) $order_id, $order );
		if ( null === $order || self::DRAFT === $to ) {
			return;
		}
		// A draft becoming a real order is, for the monitor, the order's creation.
		$event = self::DRAFT === $from
			? $this->events->order_event( 'order.created', (int) $order_id, null, (string) $to, $order, microtime( true ) )
			: $this->events->order_event( 'order.status_changed', (int) $order_id, (string) $from, (string) $to, $order, microtime( true ) );
		$this->record( $event );
	}

	/**
	 * @param array<string, mixed> $event
	 */
	private function record( array $event ): void {
		if ( $this->outbox->add( $event ) ) {
			$this->scheduler->request_drain();
			return;
		}
		if ( function_exists( 'wc_get_logger' ) ) {
			wc_get_logger()->error( 'Order Monitor could not write an event to its outbox: ' . $GLOBALS['wpdb']->last_error, array( 'source' => 'woom' ) );
		}
	}

	private function resolve( int $order_id, mixed $order ): ?object {
		if ( is_object( $order ) && method_exists( $order, 'get_status' ) ) {
			return $order;
		}
		$loaded = function_exists( 'wc_get_order' ) ? wc_get_order( $order_id ) : null;
		return is_object( $loaded ) ? $loaded : null;
	}
}
