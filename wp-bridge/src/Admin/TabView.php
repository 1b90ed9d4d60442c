<?php
/**
 * What the Order Monitor tab shows: the connection fields (inside WooCommerce's form), then, outside it,
 * the delivery state, the action buttons and the sidecar's own settings and status pages, fetched here,
 * server-side and signed, so the admin's browser only ever talks to WordPress.
 *
 * @package Woom\Bridge
 */

declare(strict_types=1);

namespace Woom\Bridge\Admin;

use Woom\Bridge\HttpResult;
use Woom\Bridge\Options;
use Woom\Bridge\Outbox;
use Woom\Bridge\Plugin;
use Woom\Bridge\SidecarClient;

final class TabView {

	/** Seconds the tab waits for each embedded page, so an unreachable sidecar does not hang the admin. */
	private const PAGE_TIMEOUT = 6;

	/** Replaced, in a fragment's form, by the host's hidden fields (README, "Store endpoints"). */
	public const FORM_FIELDS_MARKER = '<!--woom:form-fields-->';

	public function __construct(
		private readonly Options $options,
		private readonly Outbox $outbox,
		private readonly SidecarClient $client,
		private readonly Flash $flash,
	) {}

	/** The tab's sections, WooCommerce's `&section=` links under the tab; '' is the status. */
	public const SECTIONS = array(
		''              => 'Status',
		'alerts'        => 'Alerts',
		'settings'      => 'Settings',
		'notifications' => 'Notifications',
		'connection'    => 'Connection',
	);

	/** The section asked for; a store not connected yet has only its connection to show. */
	public function section(): string {
		if ( ! $this->options->is_configured() ) {
			return 'connection';
		}
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- a link, it changes nothing.
		$asked = isset( $_GET['section'] ) ? sanitize_key( wp_unslash( $_GET['section'] ) ) : '';
		return array_key_exists( $asked, self::SECTIONS ) ? $asked : '';
	}

	/** `woocommerce_sections_order-monitor`: the section links, as WooCommerce's own tabs print them. */
	public function render_sections(): void {
		$current = $this->section();
		$links   = array();
		foreach ( self::SECTIONS as $id => $label ) {
			$links[] = sprintf(
				'<li><a href="%s" class="%s"%s>%s</a></li>',
				esc_url( Plugin::tab_url( $id ) ),
				$current === $id ? 'current' : '',
				$current === $id ? ' aria-current="page"' : '',
				esc_html( self::section_label( $id ) )
			);
		}
		echo '<ul class="subsubsub woom-sections">' . implode( ' | ', $links ) . '</ul><br class="clear" />'; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- built escaped.
	}

	private static function section_label( string $id ): string {
		$labels = array(
			''              => __( 'Status', 'woom' ),
			'alerts'        => __( 'Alerts', 'woom' ),
			'settings'      => __( 'Settings', 'woom' ),
			'notifications' => __( 'Notifications', 'woom' ),
			'connection'    => __( 'Connection', 'woom' ),
		);
		return $labels[ $id ] ?? $id;
	}

	/** Inside WooCommerce's form: the connection fields in their section, elsewhere nothing (and no Save button). */
	public function render_form_part(): void {
		if ( 'connection' === $this->section() ) {
			$this->render_connection();
			return;
		}
		$GLOBALS['hide_save_button'] = true; // phpcs:ignore WordPress.WP.GlobalVariablesOverride.Prohibited -- WooCommerce's own switch for a tab without fields.
	}

	/**
	 * What every embedded page is told: where its links lead back through WordPress, and WordPress's own
	 * time zone, which the settings offer first.
	 *
	 * @return array<string, string>
	 */
	public static function page_headers(): array {
		$headers = array(
			'X-Woom-Page-Url'    => self::download_base(),
			'X-Woom-Date-Format' => get_option( 'date_format' ) . ' ' . get_option( 'time_format' ),
		);
		$zone    = function_exists( 'wp_timezone_string' ) ? wp_timezone_string() : '';
		if ( '' !== $zone && ! preg_match( '/^[+-]\d/', $zone ) ) {
			$headers['X-Woom-Site-Timezone'] = $zone;
		}
		return $headers;
	}

	public function render_connection(): void {
		$hint = $this->options->secret_hint();
		?>
		<h2><?php esc_html_e( 'Connection to the Order Monitor service', 'woom' ); ?></h2>
		<p><?php esc_html_e( 'The Order Monitor service receives this shop\'s order changes and sends the alerts. Its address needs to be reachable from this WordPress server only.', 'woom' ); ?></p>
		<table class="form-table" role="presentation">
			<tr>
				<th scope="row"><label for="woom_sidecar_url"><?php esc_html_e( 'Service address', 'woom' ); ?></label></th>
				<td><input type="url" class="regular-text" id="woom_sidecar_url" name="woom_sidecar_url" value="<?php echo esc_attr( $this->options->sidecar_url() ); ?>" placeholder="http://127.0.0.1:8080" /></td>
			</tr>
			<tr>
				<th scope="row"><label for="woom_store_id"><?php esc_html_e( 'Shop id', 'woom' ); ?></label></th>
				<td><input type="text" class="regular-text" id="woom_store_id" name="woom_store_id" value="<?php echo esc_attr( $this->options->store_id() ); ?>" placeholder="st_..." autocomplete="off" /></td>
			</tr>
			<tr>
				<th scope="row"><label for="woom_secret"><?php esc_html_e( 'Shop secret', 'woom' ); ?></label></th>
				<td>
					<input type="password" class="regular-text" id="woom_secret" name="woom_secret" value="" autocomplete="new-password" placeholder="<?php echo esc_attr( '' === $hint ? '' : $hint ); ?>" />
					<p class="description">
						<?php
						echo '' === $hint
							? esc_html__( 'Printed when the shop was added to Order Monitor (the "store add" command).', 'woom' )
							: esc_html__( 'A secret is saved; it is never shown. Leave empty to keep it.', 'woom' );
						?>
					</p>
				</td>
			</tr>
		</table>
		<?php
	}

	/** Called by WooCommerce after its nonce and capability checks. */
	public function save_connection(): void {
		// phpcs:disable WordPress.Security.NonceVerification.Missing -- WooCommerce verified `woocommerce-settings`.
		$url      = isset( $_POST['woom_sidecar_url'] ) ? trim( sanitize_text_field( wp_unslash( $_POST['woom_sidecar_url'] ) ) ) : '';
		$store_id = isset( $_POST['woom_store_id'] ) ? trim( sanitize_text_field( wp_unslash( $_POST['woom_store_id'] ) ) ) : '';
		$secret   = isset( $_POST['woom_secret'] ) ? trim( (string) wp_unslash( $_POST['woom_secret'] ) ) : '';
		// phpcs:enable
		$scheme = '' === $url ? '' : wp_parse_url( $url, PHP_URL_SCHEME );
		if ( '' !== $url && ! in_array( $scheme, array( 'http', 'https' ), true ) ) {
			$this->flash->notice( 'error', esc_html__( 'The service address must start with http:// or https://; the connection was not changed.', 'woom' ) );
			return;
		}
		if ( '' !== $store_id && 1 !== preg_match( '/^[A-Za-z0-9_\-]{1,64}$/', $store_id ) ) {
			$this->flash->notice( 'error', esc_html__( 'The shop id may contain only letters, digits, "_" and "-"; the connection was not changed.', 'woom' ) );
			return;
		}
		$this->options->save_connection( esc_url_raw( rtrim( $url, '/' ), array( 'http', 'https' ) ), $store_id, '' === $secret ? null : $secret );
		// A new connection deserves an immediate try, not the remainder of an old back-off.
		$this->options->update_delivery(
			array(
				'failures' => 0,
				'retry_at' => 0,
			)
		);
	}

	/** `woocommerce_after_settings_order-monitor`: outside WooCommerce's form, so our forms are not nested. */
	public function render_after_form(): void {
		$section = $this->section();
		echo '<div id="woom-tab" data-section="' . esc_attr( '' === $section ? 'status' : $section ) . '">';
		if ( 'connection' === $section ) {
			$this->render_delivery();
			if ( $this->options->is_configured() ) {
				echo '<p class="woom-buttons">';
				self::button( 'woom_test_connection', __( 'Test connection', 'woom' ) );
				self::button( 'woom_send_now', __( 'Send waiting order changes now', 'woom' ) );
				echo '</p>';
				$this->render_rest_keys();
			} else {
				echo '<p>' . esc_html__( 'Save the service address, shop id and secret above to see how your shop is doing.', 'woom' ) . '</p>';
			}
			echo '</div>';
			return;
		}
		if ( '' === $section ) {
			$this->render_embedded( 'status', '/pages/status', 'woom_status_page', 'woom-status-page' );
			echo '<p class="woom-buttons">';
			self::button( 'woom_run_check', __( 'Run check now', 'woom' ) );
			echo '</p>';
		} elseif ( 'alerts' === $section ) {
			$this->render_fragment( $this->client->store_request( 'GET', '/pages/alerts', '', 'application/json', null, self::PAGE_TIMEOUT, self::page_headers() ), null, 'woom-alerts-page' );
		} elseif ( 'settings' === $section ) {
			$this->render_embedded( 'settings', '/pages/settings?part=detection', 'woom_settings_page', 'woom-settings-page' );
		} else {
			$this->render_embedded( 'settings', '/pages/settings?part=notifications', 'woom_settings_page', 'woom-settings-page' );
			echo '<h2>' . esc_html__( 'Try it', 'woom' ) . '</h2><p class="woom-buttons">';
			self::button( 'woom_test_notification', __( 'Send test notification', 'woom' ) );
			echo '</p>';
		}
		echo '</div>';
	}

	/** A page of the service: the one a form post answered with, if any, else fetched now. */
	private function render_embedded( string $slot, string $suffix, string $form_action, string $id ): void {
		$posted = $this->flash->take_fragment( $slot );
		if ( null !== $posted ) {
			echo '<div id="' . esc_attr( $id ) . '">' . self::embed( $posted['html'], $form_action ) . '</div>'; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- the service's page, fetched signed from the configured address.
			return;
		}
		$this->render_fragment( $this->client->store_request( 'GET', $suffix, '', 'application/json', null, self::PAGE_TIMEOUT, self::page_headers() ), $form_action, $id );
	}

	/** A moment in the site's own date and time format and time zone (Settings → General). */
	private static function site_time( int $timestamp ): string {
		return (string) wp_date( get_option( 'date_format' ) . ' ' . get_option( 'time_format' ), $timestamp );
	}

	/** Where the status page's CSV links and forms lead: admin-post.php, nonce checked, `path=` last. */
	public static function download_base(): string {
		return admin_url( 'admin-post.php' ) . '?action=woom_page_download&_wpnonce=' . wp_create_nonce( 'woom_page_download' ) . '&path=';
	}

	private function render_fragment( HttpResult $result, ?string $form_action, string $id ): void {
		echo '<div id="' . esc_attr( $id ) . '">';
		if ( 200 !== $result->status ) {
			printf(
				'<div class="notice notice-error inline woom-sidecar-error"><p>%s</p><details><summary>%s</summary><p>%s</p></details></div>',
				esc_html__( 'Order Monitor did not answer, so this page cannot be shown right now. Your orders are kept and sent when it answers again.', 'woom' ),
				esc_html__( 'Details', 'woom' ),
				esc_html( $result->describe() )
			);
		} else {
			echo self::embed( $result->body, $form_action ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- see render_embedded().
		}
		echo '</div>';
	}

	/**
	 * Points the fragment's forms (the settings, and "apply suggested thresholds") at admin-post.php and
	 * puts the nonce and action where each marker is.
	 */
	public static function embed( string $html, ?string $form_action ): string {
		// WordPress's common.js moves every `.notice` that is not `.inline` to the top of the page; the
		// fragment's own notices ("Settings saved.") belong beside its form.
		$html = (string) preg_replace_callback(
			'/class="([^"]*\bnotice\b[^"]*)"/',
			static fn( array $m ): string => str_contains( ' ' . $m[1] . ' ', ' inline ' ) ? $m[0] : 'class="' . $m[1] . ' inline"',
			$html
		);
		if ( null === $form_action ) {
			return $html;
		}
		$fields     = wp_nonce_field( $form_action, '_wpnonce', true, false ) . '<input type="hidden" name="action" value="' . esc_attr( $form_action ) . '" />';
		$action_url = esc_url( admin_url( 'admin-post.php' ) );
		$html       = (string) preg_replace_callback(
			'/<form\b([^>]*)>/i',
			static function ( array $m ) use ( $action_url ): string {
				$attributes = (string) preg_replace( '/\saction\s*=\s*("[^"]*"|\'[^\']*\'|[^\s>]+)/i', '', $m[1] );
				if ( 1 !== preg_match( '/\smethod\s*=/i', $attributes ) ) {
					$attributes .= ' method="post"';
				}
				return '<form' . $attributes . ' action="' . $action_url . '">';
			},
			$html
		);
		if ( str_contains( $html, self::FORM_FIELDS_MARKER ) ) {
			return str_replace( self::FORM_FIELDS_MARKER, $fields, $html );
		}
		return (string) preg_replace_callback( '/<form\b[^>]*>/i', static fn( array $m ): string => $m[0] . $fields, $html, 1 );
	}

	private function render_delivery(): void {
		$delivery = $this->options->delivery();
		$pending  = $this->outbox->count();
		$dead     = $this->outbox->count( Outbox::DEAD );
		$when     = static fn( int $t ): string => 0 === $t ? __( 'never', 'woom' ) : sprintf( /* translators: 1: date and time, 2: how long ago */ __( '%1$s (%2$s ago)', 'woom' ), self::site_time( $t ), human_time_diff( $t ) );
		?>
		<h2><?php esc_html_e( 'Order changes sent to Order Monitor', 'woom' ); ?></h2>
		<table class="widefat striped" id="woom-delivery">
			<tr><th><?php esc_html_e( 'Waiting to be sent', 'woom' ); ?></th><td data-woom="pending"><?php echo esc_html( (string) $pending ); ?></td></tr>
			<tr><th><?php esc_html_e( 'Refused by Order Monitor', 'woom' ); ?></th><td data-woom="dead"><?php echo esc_html( (string) $dead ); ?></td></tr>
			<tr><th><?php esc_html_e( 'Last confirmed', 'woom' ); ?></th><td><?php echo esc_html( $when( $delivery['last_ack_at'] ) ); ?></td></tr>
			<?php if ( $delivery['retry_at'] > time() ) : ?>
				<tr><th><?php esc_html_e( 'Next try', 'woom' ); ?></th><td><?php echo esc_html( self::site_time( $delivery['retry_at'] ) . ', ' . sprintf( /* translators: %d: failures */ _n( 'after %d failure', 'after %d consecutive failures', $delivery['failures'], 'woom' ), $delivery['failures'] ) ); ?></td></tr>
			<?php endif; ?>
			<?php if ( '' !== $delivery['last_error'] ) : ?>
				<tr><th><?php esc_html_e( 'Last error', 'woom' ); ?></th><td><?php echo esc_html( $delivery['last_error'] ); ?></td></tr>
			<?php endif; ?>
		</table>
		<?php
		if ( $dead > 0 ) {
			$this->render_dead_letters();
		}
	}

	private function render_dead_letters(): void {
		echo '<h3>' . esc_html__( 'Refused order changes', 'woom' ) . '</h3><p>' . esc_html__( 'Order Monitor refused these order changes. They are kept until you send them again or discard them.', 'woom' ) . '</p>';
		echo '<table class="widefat striped" id="woom-dead-letters"><thead><tr><th>' . esc_html__( 'Refused at', 'woom' ) . '</th><th>' . esc_html__( 'Why', 'woom' ) . '</th><th>' . esc_html__( 'Details', 'woom' ) . '</th></tr></thead><tbody>';
		foreach ( $this->outbox->dead_letters( 50 ) as $row ) {
			printf(
				'<tr><td>%s</td><td>%s</td><td><details><summary>%s</summary><p>HTTP %d</p><code class="woom-payload">%s</code></details></td></tr>',
				esc_html( self::site_time( (int) strtotime( $row['failed_at'] . ' UTC' ) ) ),
				esc_html( $row['error'] ),
				esc_html__( 'Details', 'woom' ),
				(int) $row['http_status'],
				esc_html( mb_substr( $row['payload'], 0, 300 ) )
			);
		}
		echo '</tbody></table><p>';
		self::button( 'woom_retry_dead', __( 'Send them again', 'woom' ) );
		self::button( 'woom_discard_dead', __( 'Discard them', 'woom' ), 'button-link-delete' );
		echo '</p>';
	}

	/**
	 * Read-only WooCommerce REST keys, sent straight to the sidecar (signed) and never kept or shown
	 * here: with them the sidecar reads back orders whose events never reached it.
	 */
	private function render_rest_keys(): void {
		?>
		<h2><?php esc_html_e( 'Order recovery (optional)', 'woom' ); ?></h2>
		<p><?php esc_html_e( 'Give Order Monitor a read-only WooCommerce API key (WooCommerce → Settings → Advanced → REST API, permission Read). It then reads back orders it missed, and the last 8 weeks as history.', 'woom' ); ?></p>
		<form method="post" action="<?php echo esc_url( admin_url( 'admin-post.php' ) ); ?>" id="woom-rest-keys-form">
			<?php wp_nonce_field( 'woom_rest_keys' ); ?>
			<input type="hidden" name="action" value="woom_rest_keys" />
			<table class="form-table" role="presentation">
				<tr><th scope="row"><label for="woom_rest_consumer_key"><?php esc_html_e( 'Consumer key', 'woom' ); ?></label></th>
					<td><input type="text" class="regular-text" id="woom_rest_consumer_key" name="consumer_key" autocomplete="off" placeholder="ck_..." /></td></tr>
				<tr><th scope="row"><label for="woom_rest_consumer_secret"><?php esc_html_e( 'Consumer secret', 'woom' ); ?></label></th>
					<td><input type="password" class="regular-text" id="woom_rest_consumer_secret" name="consumer_secret" autocomplete="off" placeholder="cs_..." /></td></tr>
			</table>
			<p><button type="submit" class="button" id="woom-rest-keys"><?php esc_html_e( 'Send the keys to Order Monitor', 'woom' ); ?></button></p>
		</form>
		<?php
	}

	private static function button( string $action, string $label, string $class = 'button-secondary' ): void {
		printf(
			'<form method="post" action="%s" class="woom-button-form" id="%s-form">%s<input type="hidden" name="action" value="%s" /><button type="submit" class="button %s" id="%s">%s</button></form>',
			esc_url( admin_url( 'admin-post.php' ) ),
			esc_attr( str_replace( '_', '-', $action ) ),
			wp_nonce_field( $action, '_wpnonce', true, false ), // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- WordPress builds it escaped.
			esc_attr( $action ),
			esc_attr( $class ),
			esc_attr( str_replace( '_', '-', $action ) ),
			esc_html( $label )
		);
	}
}
