<?php
/**
 * The order hooks. Each writes at most one row to the outbox and returns: no network in the customer's
 * request.
 *
 * @package Woom\Bridge
 */

declare(strict_types=1);

namespace Woom\Bridge;

final class OrderListener {

	/**
	 * Statuses of something that is not an order yet or any more (../shared/woocommerce.md): a block
	 * checkout's draft, the auto-draft wp-admin's "Add order" screen saves under HPOS, a trashed order.
	 */
	private const NOT_ORDERS = array( 'checkout-draft', 'auto-draft', 'draft', 'trash' );

	/**
	 * Orders reported as created in this request, with the status they were last reported in. Under HPOS
	 * a Store API order's draft-to-pending save fires both `woocommerce_new_order` and
	 * `woocommerce_order_status_changed` (from checkout-draft); an order whose first save already has a
	 * status (`wc_create_order( array( 'status' => 'processing' ) )`) fires `woocommerce_new_order` and
	 * then a change from WooCommerce's default "pending" it never was in.
	 *
	 * @var array<int, string>
	 */
	private array $created = array();

	/**
	 * Orders that left wp-admin's auto-draft in this request (posts storage): WordPress moves the post to
	 * wc-pending itself, so WooCommerce fires no `woocommerce_new_order`; the order's next hook in this
	 * request reports its creation.
	 *
	 * @var array<int, true>
	 */
	private array $born = array();

	/**
	 * The values of the `order.updated` written in this request, per order.
	 *
	 * @var array<int, array{total:?string, currency:string, payment_method:string, created_via:string}>
	 */
	private array $updated = array();

	public function __construct(
		private readonly Outbox $outbox,
		private readonly EventFactory $events,
		private readonly Scheduler $scheduler,
		private readonly ?Reported $reported = null,
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
		$status = self::bare( (string) $order->get_status() );
		if ( self::is_not_an_order( $status ) ) {
			return;
		}
		$this->created( (int) $order_id, $status, $order );
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
		$to    = self::bare( (string) $to );
		$from  = self::bare( (string) $from );
		$order = $this->resolve( (int) $order_id, $order );
		if ( null === $order || self::is_not_an_order( $to ) ) {
			return;
		}
		// A draft (checkout's or wp-admin's) becoming a real order is, for the monitor, the order's creation.
		if ( self::is_not_an_order( $from ) || isset( $this->born[ (int) $order_id ] ) ) {
			$this->created( (int) $order_id, $to, $order );
			return;
		}
		if ( isset( $this->created[ (int) $order_id ] ) ) {
			// Reported in this request already with this very status: WooCommerce's change from its default
			// "pending" on the order's first save, not a change the order went through.
			if ( $this->created[ (int) $order_id ] === $to ) {
				return;
			}
			$this->created[ (int) $order_id ] = $to;
		}
		$this->record( $this->events->order_event( 'order.status_changed', (int) $order_id, $from, $to, $order, microtime( true ), $this->created_via( $order ) ) );
	}

	/**
	 * `woocommerce_update_order` ( $order_id, $order ): a later save. When the total, currency, payment
	 * method or origin the sidecar was sent differ from the order's (an admin or programmatic order is
	 * first saved empty, then filled in), one `order.updated` carries the order's values. An order the
	 * sidecar has not been sent yet needs nothing: its waiting event is refreshed when it is sent.
	 *
	 * @param int|string  $order_id
	 * @param object|null $order
	 */
	public function on_update_order( $order_id, $order = null ): void {
		if ( isset( $this->created[ (int) $order_id ] ) ) {
			return;
		}
		if ( isset( $this->born[ (int) $order_id ] ) ) {
			$order = $this->resolve( (int) $order_id, $order );
			$status = null === $order ? '' : self::bare( (string) $order->get_status() );
			// WordPress saves the post as 'publish' before WooCommerce gives it an order status: wait for that.
			$is_status = function_exists( 'wc_is_order_status' ) ? wc_is_order_status( 'wc-' . $status ) : true;
			if ( null !== $order && $is_status && ! self::is_not_an_order( $status ) ) {
				$this->created( (int) $order_id, $status, $order );
			}
			return;
		}
		if ( null === $this->reported ) {
			return;
		}
		$known = $this->reported->get( (int) $order_id );
		if ( null === $known ) {
			return;
		}
		$order = $this->resolve( (int) $order_id, $order );
		if ( null === $order ) {
			return;
		}
		$status = self::bare( (string) $order->get_status() );
		if ( self::is_not_an_order( $status ) ) {
			return;
		}
		$event = $this->events->order_event( 'order.updated', (int) $order_id, null, $status, $order, microtime( true ), $this->created_via( $order ) );
		$now   = Reported::values_of( $event );
		if ( Reported::same( $known, $now ) || ( isset( $this->updated[ (int) $order_id ] ) && Reported::same( $this->updated[ (int) $order_id ], $now ) ) ) {
			return;
		}
		// One write in the customer's (or admin's) request: the outbox row. What the sidecar was told is
		// recorded by the sender once it is delivered (the row leaves with the order's values as they are
		// then); within this request a second save with the same values is remembered here.
		$this->record( $event );
		$this->updated[ (int) $order_id ] = $now;
	}

	/**
	 * `transition_post_status` ( $new, $old, $post ): only an order post leaving wp-admin's draft matters.
	 *
	 * @param string $new_status
	 * @param string $old_status
	 * @param mixed  $post
	 */
	public function on_post_transition( $new_status, $old_status, $post ): void {
		if ( ! is_object( $post ) || 'shop_order' !== ( $post->post_type ?? '' ) ) {
			return;
		}
		if ( in_array( $old_status, array( 'auto-draft', 'draft' ), true ) && ! self::is_not_an_order( self::bare( (string) $new_status ) ) ) {
			$this->born[ (int) $post->ID ] = true;
		}
	}

	private function created( int $order_id, string $status, object $order ): void {
		if ( isset( $this->created[ $order_id ] ) ) {
			return;
		}
		$this->created[ $order_id ] = $status;
		$this->record( $this->events->order_event( 'order.created', $order_id, null, $status, $order, microtime( true ), $this->created_via( $order ) ) );
	}

	/**
	 * WooCommerce's HPOS "Add order" screen leaves `created_via` empty: an order a logged-in user makes in a
	 * wp-admin page (not checkout, not AJAX, not cron) is an admin order.
	 */
	private function created_via( object $order ): string {
		$via = method_exists( $order, 'get_created_via' ) ? (string) $order->get_created_via() : '';
		if ( '' !== $via ) {
			return $via;
		}
		$in_admin_page = is_admin() && ! wp_doing_ajax() && ! wp_doing_cron() && ! ( defined( 'REST_REQUEST' ) && REST_REQUEST );
		return $in_admin_page && get_current_user_id() > 0 ? 'admin' : '';
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

	private static function is_not_an_order( string $status ): bool {
		return in_array( $status, self::NOT_ORDERS, true );
	}

	/** WooCommerce passes statuses without `wc-`; some plugins do not. */
	private static function bare( string $status ): string {
		return str_starts_with( $status, 'wc-' ) ? substr( $status, 3 ) : $status;
	}

	private function resolve( int $order_id, mixed $order ): ?object {
		if ( is_object( $order ) && method_exists( $order, 'get_status' ) ) {
			return $order;
		}
		$loaded = function_exists( 'wc_get_order' ) ? wc_get_order( $order_id ) : null;
		return is_object( $loaded ) ? $loaded : null;
	}
}
