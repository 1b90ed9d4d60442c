<?php
/**
 * What the store can see about itself, sent with every heartbeat: whether checkout can work at all.
 * Collected in the background sender (the heartbeat action), never in a customer's request; each
 * part is a cheap read of options or of WooCommerce's own registries.
 *
 * @package Woom\Bridge
 */

declare(strict_types=1);

namespace Woom\Bridge;

final class HealthSnapshot {

	/**
	 * Fatal errors WooCommerce reported (woocommerce_shutdown_error) since the last heartbeat. The count
	 * starts again at every heartbeat: the sidecar keeps each heartbeat's count and judges their history.
	 */
	public const FATAL_COUNTER = 'woom_fatal_errors';

	public function __construct( private readonly ?Scheduler $scheduler = null ) {}

	/** `woocommerce_shutdown_error`: WooCommerce logged a fatal error to its `fatal-errors` source. */
	public static function count_fatal_error(): void {
		update_option( self::FATAL_COUNTER, (int) get_option( self::FATAL_COUNTER, 0 ) + 1, false );
	}

	/** @return array<string, mixed> */
	public function collect( int $now ): array {
		$fatal = (int) get_option( self::FATAL_COUNTER, 0 );
		if ( $fatal > 0 ) {
			update_option( self::FATAL_COUNTER, 0, false );
		}
		return array(
			'wordpress_version'    => (string) get_bloginfo( 'version' ),
			'woocommerce_version'  => function_exists( 'WC' ) ? (string) WC()->version : null,
			'gateways_enabled'     => $this->gateways( false ),
			'gateways_available'   => $this->gateways( true ),
			// The owner knows a payment method by its title ("Direct bank transfer"), not its id ("bacs").
			'gateway_titles'       => $this->gateway_titles(),
			'pages'                => array(
				'shop'     => $this->page( 'shop' ),
				'cart'     => $this->page( 'cart' ),
				'checkout' => $this->page( 'checkout' ),
			),
			'fatal_errors'         => $fatal,
			// The sidecar's probe requests the Store API here (plain permalinks have no /wp-json/).
			'rest_url'             => function_exists( 'get_rest_url' ) ? (string) get_rest_url() : null,
			'wp_cron_late_seconds' => $this->wp_cron_late( $now ),
			'action_scheduler_late_seconds' => $this->action_scheduler_late( $now ),
			// 'nothing scheduled': the bridge's recurring drain is missing, which no lateness figure shows.
			'bridge_tasks'         => null === $this->scheduler ? null : $this->scheduler->recurring_state(),
		);
	}

	/** @return list<string> */
	private function gateways( bool $available ): array {
		if ( ! function_exists( 'WC' ) ) {
			return array();
		}
		$registry = WC()->payment_gateways();
		// Asked in the background sender, where WooCommerce has no cart and no customer: a gateway that
		// hides itself for some carts (by total, country or shipping method) is judged on none, so this
		// list can differ from what a customer's checkout offers.
		if ( $available ) {
			return array_values( array_map( 'strval', array_keys( (array) $registry->get_available_payment_gateways() ) ) );
		}
		$enabled = array_filter( (array) $registry->payment_gateways(), static fn( $gateway ): bool => 'yes' === ( $gateway->enabled ?? 'no' ) );
		return array_values( array_map( 'strval', array_keys( $enabled ) ) );
	}

	/** @return array<string, string> gateway id => the title the shop's checkout shows. */
	private function gateway_titles(): array {
		if ( ! function_exists( 'WC' ) ) {
			return array();
		}
		$titles = array();
		foreach ( (array) WC()->payment_gateways()->payment_gateways() as $id => $gateway ) {
			$title = is_object( $gateway ) && method_exists( $gateway, 'get_title' ) ? (string) $gateway->get_title() : (string) ( $gateway->title ?? '' );
			$titles[ (string) $id ] = '' === trim( wp_strip_all_tags( $title ) ) ? (string) $id : trim( wp_strip_all_tags( $title ) );
		}
		return $titles;
	}

	/** @return array{set: bool, published: bool, url: string|null} */
	private function page( string $name ): array {
		$id = function_exists( 'wc_get_page_id' ) ? (int) wc_get_page_id( $name ) : -1;
		if ( $id <= 0 ) {
			return array( 'set' => false, 'published' => false, 'url' => null );
		}
		$published = 'publish' === get_post_status( $id );
		return array( 'set' => true, 'published' => $published, 'url' => $published ? (string) get_permalink( $id ) : null );
	}

	/** How long the most overdue WP-Cron event has waited: WP-Cron runs only when the site is visited. */
	private function wp_cron_late( int $now ): int {
		$crons = function_exists( '_get_cron_array' ) ? (array) _get_cron_array() : array();
		$first = $crons ? (int) min( array_keys( $crons ) ) : $now;
		return max( 0, $now - $first );
	}

	private function action_scheduler_late( int $now ): ?int {
		if ( ! function_exists( 'as_next_scheduled_action' ) ) {
			return null;
		}
		$next = as_next_scheduled_action( Scheduler::DRAIN_HOOK, array(), Scheduler::GROUP );
		if ( false === $next ) {
			return null;
		}
		// true: the drain is running right now.
		return is_int( $next ) ? max( 0, $now - $next ) : 0;
	}
}
