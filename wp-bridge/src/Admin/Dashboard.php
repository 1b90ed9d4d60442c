<?php
/**
 * "Is my shop OK?" everywhere in wp-admin, for users who manage WooCommerce: a dashboard widget with the
 * sentence and a 24-hour sparkline, a coloured dot in the admin bar, and while a critical alert is open a
 * notice on every admin page, which each user may hide for that alert.
 *
 * @package Woom\Bridge
 */

declare(strict_types=1);

namespace Woom\Bridge\Admin;

use Woom\Bridge\Plugin;

final class Dashboard {

	public const WIDGET_ID = 'woom_dashboard_widget';

	/** User meta: the id of the critical alert whose notice this user hid. */
	public const DISMISSED_META = 'woom_dismissed_alert';

	private const TONE_WORDS = array(
		'green' => 'All good',
		'amber' => 'Warning',
		'red'   => 'Needs action',
		'blue'  => 'Information',
		'grey'  => 'Not watching',
	);

	public function __construct( private readonly StateCache $state ) {}

	private static function allowed(): bool {
		return current_user_can( AdminActions::CAPABILITY );
	}

	/** `admin_enqueue_scripts`: the stylesheet, on every admin page (the dot and the notice are everywhere). */
	public function enqueue(): void {
		if ( ! self::allowed() ) {
			return;
		}
		wp_enqueue_style( 'woom-admin', plugins_url( 'assets/woom-admin.css', WOOM_BRIDGE_FILE ), array(), WOOM_BRIDGE_VERSION );
	}

	/** `wp_dashboard_setup`. */
	public function register_widget(): void {
		if ( ! self::allowed() ) {
			return;
		}
		wp_add_dashboard_widget( self::WIDGET_ID, __( 'Order Monitor', 'woom' ), array( $this, 'render_widget' ) );
	}

	public function render_widget(): void {
		$state = $this->state->get();
		if ( null === $state ) {
			echo '<p>' . esc_html__( 'Order Monitor cannot say how your shop is doing right now: it is not connected or did not answer.', 'woom' ) . '</p>';
			echo '<p class="woom-widget-links"><a href="' . esc_url( Plugin::tab_url( 'connection' ) ) . '">' . esc_html__( 'Check the connection', 'woom' ) . '</a></p>';
			return;
		}
		self::banner( $state['state'] );
		$spark = is_array( $state['sparkline'] ?? null ) ? $state['sparkline'] : null;
		if ( null !== $spark && isset( $spark['points'], $spark['width'], $spark['height'] ) ) {
			$marks = '';
			foreach ( (array) ( $spark['failedAt'] ?? array() ) as $x ) {
				$marks .= sprintf( '<rect x="%s" y="%d" width="3" height="4" fill="#d63638"></rect>', esc_attr( (string) ( (float) $x - 1 ) ), (int) $spark['height'] - 4 );
			}
			printf(
				'<figure class="woom-spark"><svg class="woom-sparkline" viewBox="0 0 %1$d %2$d" role="img" aria-label="%3$s" preserveAspectRatio="none"><polyline points="%4$s" fill="none" stroke="#00a32a" stroke-width="2"></polyline>%5$s</svg><figcaption class="description"><span class="woom-legend"><span class="woom-key woom-key-ok"></span>%6$s</span> <span class="woom-legend"><span class="woom-key woom-key-failed"></span>%7$s</span></figcaption></figure>',
				(int) $spark['width'],
				(int) $spark['height'],
				esc_attr( (string) ( $spark['description'] ?? '' ) ),
				esc_attr( (string) $spark['points'] ),
				$marks, // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- built escaped above.
				esc_html( sprintf( /* translators: %d: paid orders */ __( '%d paid in 24 hours', 'woom' ), (int) ( $spark['successful'] ?? 0 ) ) ),
				esc_html( sprintf( /* translators: %d: failed orders */ __( '%d failed', 'woom' ), (int) ( $spark['failed'] ?? 0 ) ) )
			);
		}
		echo '<p class="woom-widget-links"><a href="' . esc_url( Plugin::tab_url() ) . '">' . esc_html__( 'Open Order Monitor', 'woom' ) . '</a></p>';
	}

	/**
	 * @param array{tone: string, sentence: string, kind?: string} $state
	 */
	public static function banner( array $state ): void {
		$tone = array_key_exists( $state['tone'], self::TONE_WORDS ) ? $state['tone'] : 'grey';
		printf(
			'<div class="woom-banner woom-tone-%1$s" role="status" data-kind="%2$s"><span class="woom-dot" aria-hidden="true"></span><p class="woom-sentence"><span class="screen-reader-text">%3$s: </span><span class="woom-words">%4$s</span></p></div>',
			esc_attr( $tone ),
			esc_attr( (string) ( $state['kind'] ?? '' ) ),
			esc_html( self::TONE_WORDS[ $tone ] ),
			esc_html( $state['sentence'] )
		);
	}

	/** `admin_bar_menu`: a dot in the shop's colour, leading to the tab; wp-admin only, so shop pages never wait. */
	public function admin_bar( \WP_Admin_Bar $bar ): void {
		if ( ! is_admin() || ! self::allowed() ) {
			return;
		}
		$state = $this->state->get();
		$tone  = null === $state ? 'grey' : ( array_key_exists( $state['state']['tone'], self::TONE_WORDS ) ? $state['state']['tone'] : 'grey' );
		$words = null === $state ? __( 'Order Monitor is not answering', 'woom' ) : $state['state']['sentence'];
		$bar->add_node(
			array(
				'id'    => 'woom-state',
				'title' => sprintf( '<span class="woom-dot woom-tone-%s" aria-hidden="true"></span><span class="ab-label">%s</span><span class="screen-reader-text">: %s</span>', esc_attr( $tone ), esc_html__( 'Shop', 'woom' ), esc_html( $words ) ),
				'href'  => Plugin::tab_url(),
				'meta'  => array(
					'title' => $words,
					'class' => 'woom-tone-' . $tone,
				),
			)
		);
	}

	/** `admin_notices`: while a critical alert is open, on every admin page, unless this user hid it. */
	public function critical_notice(): void {
		if ( ! self::allowed() ) {
			return;
		}
		$state = $this->state->get();
		$alert = null === $state ? null : ( $state['critical_alert'] ?? null );
		if ( ! is_array( $alert ) || ! isset( $alert['id'] ) ) {
			return;
		}
		$id = (int) $alert['id'];
		if ( (int) get_user_meta( get_current_user_id(), self::DISMISSED_META, true ) === $id ) {
			return;
		}
		printf(
			'<div class="notice notice-error woom-notice" id="woom-notice-critical"><p><strong>%1$s</strong> %2$s <a href="%3$s">%4$s</a></p><form method="post" action="%5$s" class="woom-dismiss-form">%6$s<input type="hidden" name="action" value="woom_dismiss_alert" /><input type="hidden" name="alert_id" value="%7$d" /><p><button type="submit" class="button-link" id="woom-dismiss-alert">%8$s</button></p></form></div>',
			esc_html__( 'Order Monitor:', 'woom' ),
			esc_html( $state['state']['sentence'] ),
			esc_url( Plugin::tab_url() ),
			esc_html__( 'See what to do', 'woom' ),
			esc_url( admin_url( 'admin-post.php' ) ),
			wp_nonce_field( 'woom_dismiss_alert', '_wpnonce', true, false ), // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- WordPress builds it escaped.
			$id, // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- an integer.
			esc_html__( 'Hide this notice until the next alert', 'woom' )
		);
	}
}
