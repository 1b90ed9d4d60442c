<?php
/**
 * The tab's form posts, through admin-post.php: each checks the capability and its nonce (403 and no
 * change otherwise), calls the sidecar signed, and redirects back to the tab with the answer.
 *
 * @package Woom\Bridge
 */

declare(strict_types=1);

namespace Woom\Bridge\Admin;

use Woom\Bridge\HttpResult;
use Woom\Bridge\Options;
use Woom\Bridge\Outbox;
use Woom\Bridge\Plugin;
use Woom\Bridge\Scheduler;
use Woom\Bridge\Sender;
use Woom\Bridge\SidecarClient;

final class AdminActions {

	public const CAPABILITY = 'manage_woocommerce';

	/** Seconds WordPress waits for the test notification; the sidecar's budget is 12 s (services/test-notification.ts). */
	public const TEST_NOTIFICATION_TIMEOUT = 25;

	/** admin-post action => method. */
	public const ACTIONS = array(
		'woom_settings_page'     => 'post_settings_page',
		'woom_status_page'       => 'post_status_page',
		'woom_test_connection'   => 'test_connection',
		'woom_test_notification' => 'test_notification',
		'woom_run_check'         => 'run_check',
		'woom_send_now'          => 'send_now',
		'woom_retry_dead'        => 'retry_dead',
		'woom_discard_dead'      => 'discard_dead',
		'woom_page_download'     => 'download_page',
		'woom_rest_keys'         => 'save_rest_keys',
		'woom_dismiss_alert'     => 'dismiss_alert',
	);

	/** The status page's downloads that the bridge passes through, and the query fields each takes. */
	private const DOWNLOADS = array(
		'export/alerts.csv' => array(),
		'export/events.csv' => array( 'from', 'to' ),
		// The status page's daily figures: the last 30 whole days (the sidecar's default period).
		'export/daily-figures.csv' => array(),
	);

	/** Fields of ours that the sidecar's form never sees. */
	private const OWN_FIELDS = array( '_wpnonce', '_wp_http_referer', 'action' );

	public function __construct(
		private readonly Options $options,
		private readonly Outbox $outbox,
		private readonly SidecarClient $client,
		private readonly Sender $sender,
		private readonly Scheduler $scheduler,
		private readonly Flash $flash,
		private readonly ?StateCache $state = null,
	) {}

	/** Hides the critical-alert notice for this user until another alert opens. */
	public function dismiss_alert(): void {
		$this->guard( 'woom_dismiss_alert' );
		// phpcs:ignore WordPress.Security.NonceVerification.Missing -- guard() verified it.
		$id = isset( $_POST['alert_id'] ) ? absint( wp_unslash( $_POST['alert_id'] ) ) : 0;
		if ( $id > 0 ) {
			update_user_meta( get_current_user_id(), Dashboard::DISMISSED_META, $id );
		}
		$referer = wp_get_referer();
		wp_safe_redirect( false === $referer ? admin_url() : $referer );
		exit;
	}

	/** A post from someone not logged in is a forgery. */
	public function refuse_anonymous(): void {
		wp_die( esc_html__( 'You are not allowed to do this.', 'woom' ), 403, array( 'response' => 403 ) );
	}

	/** The embedded settings form, forwarded signed to `POST /v1/stores/:id/pages/settings`. */
	public function post_settings_page(): void {
		$this->guard( 'woom_settings_page' );
		$user   = wp_get_current_user();
		// phpcs:ignore WordPress.Security.NonceVerification.Missing -- guard() verified it.
		$section = isset( $_POST['part'] ) && 'notifications' === $_POST['part'] ? 'notifications' : 'settings';
		$result  = $this->client->store_request( 'POST', '/pages/settings', self::forwarded_body(), 'application/x-www-form-urlencoded', $user->user_login, 15, TabView::page_headers() );
		if ( 200 === $result->status || 400 === $result->status ) {
			[ $notice, $html ] = self::take_save_notice( $result->body );
			if ( null !== $notice ) {
				$this->flash->notice( $notice['type'], $notice['html'], true );
			}
			$this->flash->fragment( $result->status, $html );
			$this->state?->forget();
		} else {
			$this->flash->notice( 'error', esc_html( sprintf( /* translators: %s: what went wrong */ __( 'The settings were not saved: Order Monitor answered %s.', 'woom' ), $result->describe() ) ) );
		}
		$this->back( $section );
	}

	/**
	 * "Settings saved" or "Nothing was saved" with its links to each field in error goes where WordPress
	 * puts such news, at the top of the page (admin_notices), not inside the form further down.
	 *
	 * @return array{0: array{type: string, html: string}|null, 1: string}
	 */
	public static function take_save_notice( string $html ): array {
		if ( 1 !== preg_match( '/<div class="notice notice-(success|error) woom-save-notice"[^>]*>(.*?)<\/div>/s', $html, $m, PREG_OFFSET_CAPTURE ) ) {
			return array( null, $html );
		}
		$rest = substr( $html, 0, $m[0][1] ) . substr( $html, $m[0][1] + strlen( $m[0][0] ) );
		return array(
			array(
				'type' => $m[1][0],
				'html' => $m[2][0],
			),
			$rest,
		);
	}

	/**
	 * The embedded status page's buttons (acknowledge an alert, start or end maintenance), forwarded
	 * signed to `POST /v1/stores/:id/pages/status`; the page the sidecar answers is shown in its place.
	 */
	public function post_status_page(): void {
		$this->guard( 'woom_status_page' );
		$user   = wp_get_current_user();
		$result = $this->client->store_request( 'POST', '/pages/status', self::forwarded_body(), 'application/x-www-form-urlencoded', $user->user_login, 15, TabView::page_headers() );
		if ( in_array( $result->status, array( 200, 400, 404 ), true ) ) {
			$this->flash->fragment( $result->status, $result->body, 'status' );
			$this->state?->forget();
		} else {
			$this->flash->notice( 'error', esc_html( sprintf( /* translators: %s: what went wrong */ __( 'That did not work: Order Monitor answered %s.', 'woom' ), $result->describe() ) ) );
		}
		$this->back();
	}

	public function test_connection(): void {
		$this->guard( 'woom_test_connection' );
		$result = $this->client->store_request( 'GET', '/status' );
		if ( 200 === $result->status ) {
			$this->flash->notice( 'success', esc_html( sprintf( /* translators: %s: the service's address */ __( 'Connected: Order Monitor at %s recognised this shop.', 'woom' ), $this->options->sidecar_url() ) ) );
		} else {
			$hint = 401 === $result->status ? ' ' . __( 'Check the shop id and secret.', 'woom' ) : '';
			$this->flash->notice( 'error', esc_html( sprintf( /* translators: %s: what went wrong */ __( 'Connection failed: %s.', 'woom' ), $result->describe() ) . $hint ) );
		}
		$this->back( 'connection' );
	}

	/** Forwards read-only REST keys to the sidecar, signed; WordPress keeps no copy of them. */
	public function save_rest_keys(): void {
		$this->guard( 'woom_rest_keys' );
		// phpcs:disable WordPress.Security.NonceVerification.Missing -- guard() verified it.
		$body   = (string) wp_json_encode(
			array(
				'consumer_key'    => isset( $_POST['consumer_key'] ) ? trim( sanitize_text_field( wp_unslash( $_POST['consumer_key'] ) ) ) : '',
				'consumer_secret' => isset( $_POST['consumer_secret'] ) ? trim( sanitize_text_field( wp_unslash( $_POST['consumer_secret'] ) ) ) : '',
			)
		);
		// phpcs:enable
		$result = $this->client->store_request( 'PUT', '/rest-credentials', $body, 'application/json', wp_get_current_user()->user_login );
		$json   = $result->json();
		if ( 200 === $result->status ) {
			$this->flash->notice( 'success', '<span class="woom-rest-keys-result">' . esc_html( (string) ( $json['message'] ?? __( 'Saved.', 'woom' ) ) ) . '</span>' );
		} else {
			$this->flash->notice( 'error', '<span class="woom-rest-keys-result">' . esc_html( sprintf( /* translators: %s: what went wrong */ __( 'The keys were not accepted: %s.', 'woom' ), $result->describe() ) ) . '</span>' );
		}
		$this->back( 'connection' );
	}

	/**
	 * Goes through the sidecar's real send path; shows its `{ok, message}`. The sidecar answers within
	 * 12 s with each target's own result (one still answering says so); waiting longer than the usual
	 * 15 s leaves that answer room to arrive on a slow network.
	 */
	public function test_notification(): void {
		$this->guard( 'woom_test_notification' );
		$result = $this->client->store_request( 'POST', '/test-notification', '{}', 'application/json', null, self::TEST_NOTIFICATION_TIMEOUT );
		$json   = $result->json();
		if ( 200 === $result->status && is_array( $json ) && array_key_exists( 'ok', $json ) ) {
			$ok      = true === $json['ok'];
			$message = isset( $json['message'] ) ? (string) $json['message'] : '';
			$this->flash->notice(
				$ok ? 'success' : 'error',
				'<span class="woom-test-notification-result">' . esc_html( ( $ok ? __( 'Test notification sent: ', 'woom' ) : __( 'Test notification failed: ', 'woom' ) ) . $message ) . '</span>'
			);
		} else {
			$this->flash->notice( 'error', esc_html( sprintf( /* translators: %s: what went wrong */ __( 'Test notification failed: Order Monitor answered %s.', 'woom' ), $result->describe() ) ) );
		}
		$this->back( 'notifications' );
	}

	/** Shows both detectors' summary and numbers. */
	public function run_check(): void {
		$this->guard( 'woom_run_check' );
		$result    = $this->client->store_request( 'POST', '/check', '{}' );
		$json      = $result->json();
		$detectors = is_array( $json ) && isset( $json['detectors'] ) && is_array( $json['detectors'] ) ? $json['detectors'] : null;
		if ( 200 !== $result->status || null === $detectors ) {
			$this->flash->notice( 'error', esc_html( sprintf( /* translators: %s: what went wrong */ __( 'The check could not run: Order Monitor answered %s.', 'woom' ), $result->describe() ) ) );
			$this->back();
		}
		$names = array(
			'time_based'      => __( 'Too few paid orders (time-based)', 'woom' ),
			'rolling_average' => __( 'Too many failed orders (rolling average)', 'woom' ),
			'order_flow'      => __( 'Orders stopped (adaptive)', 'woom' ),
			'failure_rate'    => __( 'Too many failed orders (adaptive)', 'woom' ),
			'renewals'        => __( 'Subscription renewals', 'woom' ),
		);
		$html = '<strong>' . esc_html__( 'Check done.', 'woom' ) . '</strong><ul class="woom-check-result">';
		foreach ( $detectors as $key => $detector ) {
			if ( ! is_array( $detector ) ) {
				continue;
			}
			$summary = isset( $detector['summary'] ) ? (string) $detector['summary'] : '';
			$numbers = array();
			foreach ( $detector as $field => $value ) {
				if ( ! in_array( $field, array( 'summary', 'detector' ), true ) && ( is_scalar( $value ) || null === $value ) ) {
					$numbers[] = '<li>' . esc_html( self::number_label( (string) $field ) . ': ' . ( null === $value ? '-' : ( is_bool( $value ) ? ( $value ? __( 'yes', 'woom' ) : __( 'no', 'woom' ) ) : (string) $value ) ) ) . '</li>';
				}
			}
			$html .= sprintf(
				'<li data-detector="%s"><strong>%s</strong>: %s <details><summary>%s</summary><ul>%s</ul></details></li>',
				esc_attr( (string) $key ),
				esc_html( $names[ $key ] ?? (string) $key ),
				esc_html( '' === $summary ? __( 'nothing to report', 'woom' ) : $summary ),
				esc_html__( 'Details', 'woom' ),
				implode( '', $numbers ) // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- escaped above.
			);
		}
		$this->flash->notice( 'info', $html . '</ul>', true );
		$this->back();
	}

	/** A check's number, named in words: `windowStart` reads "window start", the alert condition says so. */
	private static function number_label( string $field ): string {
		$known = array(
			'breached' => __( 'alert condition met', 'woom' ),
			'learning' => __( 'still learning', 'woom' ),
		);
		if ( isset( $known[ $field ] ) ) {
			return $known[ $field ];
		}
		return strtolower( trim( (string) preg_replace( '/(?<=[a-z0-9])(?=[A-Z])|_/', ' ', $field ) ) );
	}

	public function send_now(): void {
		$this->guard( 'woom_send_now' );
		$outcome = $this->sender->run( true );
		$this->flash->notice( 'info', esc_html( sprintf( /* translators: %s: outcome */ __( 'Order changes waiting to be sent: %s.', 'woom' ), $outcome ) ) );
		$this->back( 'connection' );
	}

	public function retry_dead(): void {
		$this->guard( 'woom_retry_dead' );
		$count = $this->outbox->retry_dead();
		$this->scheduler->enqueue_drain();
		$this->flash->notice( 'info', esc_html( sprintf( /* translators: %d: count */ _n( '%d order change will be sent again.', '%d order changes will be sent again.', $count, 'woom' ), $count ) ) );
		$this->back( 'connection' );
	}

	public function discard_dead(): void {
		$this->guard( 'woom_discard_dead' );
		$count = $this->outbox->discard_dead();
		$this->flash->notice( 'warning', esc_html( sprintf( /* translators: %d: count */ _n( '%d refused order change discarded.', '%d refused order changes discarded.', $count, 'woom' ), $count ) ) );
		$this->back( 'connection' );
	}

	/**
	 * A CSV link or form of the embedded status page (a GET, as a download is): capability and nonce as
	 * for the forms, then the sidecar's file fetched signed and passed to the admin's browser.
	 */
	public function download_page(): void {
		if ( ! current_user_can( self::CAPABILITY ) ) {
			wp_die( esc_html__( 'You are not allowed to download Order Monitor data.', 'woom' ), 403, array( 'response' => 403 ) );
		}
		$nonce = isset( $_GET['_wpnonce'] ) ? sanitize_text_field( wp_unslash( $_GET['_wpnonce'] ) ) : '';
		if ( '' === $nonce || false === wp_verify_nonce( $nonce, 'woom_page_download' ) ) {
			wp_die( esc_html__( 'The link has expired or did not come from this site. Reload the page and try again.', 'woom' ), 403, array( 'response' => 403 ) );
		}
		$path = isset( $_GET['path'] ) ? sanitize_text_field( wp_unslash( $_GET['path'] ) ) : '';
		if ( ! array_key_exists( $path, self::DOWNLOADS ) ) {
			wp_die( esc_html__( 'No such download.', 'woom' ), 404, array( 'response' => 404 ) );
		}
		$query = array();
		foreach ( self::DOWNLOADS[ $path ] as $field ) {
			$query[ $field ] = isset( $_GET[ $field ] ) ? sanitize_text_field( wp_unslash( $_GET[ $field ] ) ) : '';
		}
		$suffix = '/pages/' . $path . ( $query ? '?' . http_build_query( $query, '', '&', PHP_QUERY_RFC3986 ) : '' );
		$result = $this->client->store_request( 'GET', $suffix, '', 'application/json', null, 60 );
		if ( 200 !== $result->status ) {
			$status = 400 === $result->status ? 400 : 502;
			wp_die( esc_html( sprintf( /* translators: %s: what went wrong */ __( 'The download failed: Order Monitor answered %s.', 'woom' ), $result->describe() ) ), $status, array( 'response' => $status ) );
		}
		nocache_headers();
		header( 'Content-Type: text/csv; charset=utf-8' );
		header( 'Content-Disposition: attachment; filename="woom-' . basename( $path ) . '"' );
		echo $result->body; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- a CSV file, not HTML.
		exit;
	}

	/** Capability, then nonce; either missing ends the request with 403 before anything changes. */
	private function guard( string $action ): void {
		if ( ! current_user_can( self::CAPABILITY ) ) {
			wp_die( esc_html__( 'You are not allowed to change the Order Monitor.', 'woom' ), 403, array( 'response' => 403 ) );
		}
		if ( 'POST' !== ( $_SERVER['REQUEST_METHOD'] ?? '' ) ) {
			wp_die( esc_html__( 'This action needs a POST.', 'woom' ), 405, array( 'response' => 405 ) );
		}
		$nonce = isset( $_POST['_wpnonce'] ) ? sanitize_text_field( wp_unslash( $_POST['_wpnonce'] ) ) : '';
		if ( '' === $nonce || false === wp_verify_nonce( $nonce, $action ) ) {
			wp_die( esc_html__( 'The form has expired or did not come from this site. Reload the page and try again.', 'woom' ), 403, array( 'response' => 403 ) );
		}
	}

	private function back( string $section = '' ): never {
		wp_safe_redirect( Plugin::tab_url( $section ) );
		exit;
	}

	/**
	 * The admin's form body as the browser sent it, without our own fields; the raw body keeps repeated
	 * names (checkbox lists) that $_POST would collapse.
	 */
	private static function forwarded_body(): string {
		$raw = (string) file_get_contents( 'php://input' );
		if ( '' === $raw ) {
			// phpcs:ignore WordPress.Security.NonceVerification.Missing -- guard() verified it.
			$post = wp_unslash( $_POST );
			foreach ( self::OWN_FIELDS as $field ) {
				unset( $post[ $field ] );
			}
			return http_build_query( $post, '', '&', PHP_QUERY_RFC1738 );
		}
		$kept = array();
		foreach ( explode( '&', $raw ) as $pair ) {
			if ( '' === $pair ) {
				continue;
			}
			$name = urldecode( explode( '=', $pair, 2 )[0] );
			if ( ! in_array( $name, self::OWN_FIELDS, true ) ) {
				$kept[] = $pair;
			}
		}
		return implode( '&', $kept );
	}
}
