<?php
/**
 * Admin notices: the tab's flash messages, and warnings when delivery is stuck.
 *
 * @package Woom\Bridge
 */

declare(strict_types=1);

namespace Woom\Bridge\Admin;

use Woom\Bridge\Options;
use Woom\Bridge\Outbox;
use Woom\Bridge\Plugin;

final class Notices {

	public const STALE_AFTER     = 30 * MINUTE_IN_SECONDS;
	public const BACKLOG_WARNING = 1000;

	/** Transient set on activation: the next admin page leads to the tab. */
	public const WELCOME = 'woom_welcome';

	public function __construct(
		private readonly Options $options,
		private readonly Outbox $outbox,
		private readonly Flash $flash,
	) {}

	public static function render_woocommerce_missing(): void {
		if ( ! current_user_can( 'activate_plugins' ) ) {
			return;
		}
		echo '<div class="notice notice-error" id="woom-notice-woocommerce-missing"><p>' . esc_html__( 'WooCommerce Order Monitor needs WooCommerce to be installed and active; it does nothing until then.', 'woom' ) . '</p></div>';
	}

	public function render(): void {
		if ( ! current_user_can( AdminActions::CAPABILITY ) ) {
			return;
		}
		foreach ( $this->flash->take_notices() as $notice ) {
			self::print( 'woom-notice-flash', $notice['type'], $notice['html'], ! empty( $notice['block'] ) );
		}
		if ( get_transient( self::WELCOME ) ) {
			delete_transient( self::WELCOME );
			self::print(
				'woom-notice-welcome',
				'info',
				esc_html__( 'Order Monitor is active. Connect it to its service to start watching your orders:', 'woom' ) . ' <a href="' . esc_url( Plugin::tab_url( 'connection' ) ) . '">' . esc_html__( 'open Order Monitor', 'woom' ) . '</a>'
			);
		}
		$link    = '<a href="' . esc_url( Plugin::tab_url() ) . '">' . esc_html__( 'Open Order Monitor', 'woom' ) . '</a>';
		$pending = $this->outbox->count();
		if ( ! $this->options->is_configured() ) {
			self::print( 'woom-notice-not-configured', 'warning', esc_html__( 'WooCommerce Order Monitor is not connected to its service yet; order changes are kept until it is.', 'woom' ) . ' ' . $link );
		} elseif ( $this->unacknowledged_too_long( $pending ) ) {
			$last = $this->options->delivery()['last_ack_at'];
			self::print(
				'woom-notice-stale',
				'error',
				esc_html(
					0 === $last
						? __( 'Order Monitor has not confirmed any order change for more than 30 minutes: your shop is not being watched.', 'woom' )
						/* translators: %s: human time difference */
						: sprintf( __( 'Order Monitor has not confirmed order changes for %s: your shop is not being watched.', 'woom' ), human_time_diff( $last ) )
				) . ' ' . esc_html( $this->options->delivery()['last_error'] ) . ' ' . $link
			);
		}
		if ( $pending > self::BACKLOG_WARNING ) {
			/* translators: %d: number of events */
			self::print( 'woom-notice-backlog', 'warning', esc_html( sprintf( __( '%d order changes are waiting to be sent to Order Monitor.', 'woom' ), $pending ) ) . ' ' . $link );
		}
	}

	/** No 202 for 30 minutes. Heartbeats make this true even on a store without orders. */
	private function unacknowledged_too_long( int $pending ): bool {
		$last_ack = $this->options->delivery()['last_ack_at'];
		if ( 0 !== $last_ack ) {
			return time() - $last_ack > self::STALE_AFTER;
		}
		$oldest = $pending > 0 ? $this->outbox->oldest_pending_at() : null;
		return null !== $oldest && time() - $oldest > self::STALE_AFTER;
	}

	private static function print( string $id, string $type, string $html, bool $block = false ): void {
		$body = $block ? $html : '<p>' . $html . '</p>';
		printf( '<div class="notice notice-%s woom-notice" id="%s">%s</div>', esc_attr( $type ), esc_attr( $id ), $body ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- built escaped.
	}
}
