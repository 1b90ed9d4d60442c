<?php
/**
 * Builds the plugin's services once and registers every hook the plugin uses: this is the only place
 * that calls add_action / add_filter.
 *
 * @package Woom\Bridge
 */

declare(strict_types=1);

namespace Woom\Bridge;

use Woom\Bridge\Admin\AdminActions;
use Woom\Bridge\Admin\Dashboard;
use Woom\Bridge\Admin\Flash;
use Woom\Bridge\Admin\Notices;
use Woom\Bridge\Admin\SettingsPage;
use Woom\Bridge\Admin\StateCache;
use Woom\Bridge\Admin\TabView;

final class Plugin {

	public const TAB_ID = 'order-monitor';

	private static ?self $instance = null;

	public readonly Options $options;
	public readonly Outbox $outbox;
	public readonly Scheduler $scheduler;
	public readonly SidecarClient $client;
	public readonly Sender $sender;
	public readonly OrderListener $listener;
	public readonly Heartbeat $heartbeat;
	public readonly Reported $reported;

	private function __construct( \wpdb $db ) {
		$events          = new EventFactory();
		$this->options   = new Options();
		$this->outbox    = new Outbox( $db );
		$this->reported  = new Reported( $db );
		$this->scheduler = new Scheduler();
		$this->client    = new SidecarClient( $this->options );
		$this->sender    = new Sender( $this->outbox, $this->client, $this->options, $this->scheduler, $db, $this->reported );
		$this->listener  = new OrderListener( $this->outbox, $events, $this->scheduler, $this->reported );
		$this->heartbeat = new Heartbeat( $this->outbox, $events, $this->options, $this->sender, new HealthSnapshot( $this->scheduler ) );
	}

	public static function instance(): self {
		global $wpdb;
		return self::$instance ??= new self( $wpdb );
	}

	/** `plugins_loaded`: hooks everything, or only a notice when WooCommerce is not active. */
	public static function boot(): void {
		if ( ! class_exists( 'WooCommerce' ) ) {
			add_action( 'admin_notices', array( Notices::class, 'render_woocommerce_missing' ) );
			return;
		}
		self::instance()->register();
	}

	/**
	 * Creates the tables and schedules the recurring drain and heartbeat at once: activation by WP-CLI (as
	 * the docker-compose setup does) opens no wp-admin page that would schedule them later.
	 */
	public static function activate(): void {
		global $wpdb;
		( new Outbox( $wpdb ) )->install();
		// The next admin page says where the plugin's settings are.
		set_transient( Notices::WELCOME, 1, DAY_IN_SECONDS );
		if ( ! class_exists( 'WooCommerce' ) ) {
			return;
		}
		delete_option( Scheduler::CHECKED_OPTION );
		$scheduler = new Scheduler();
		add_filter( 'cron_schedules', array( $scheduler, 'add_cron_schedule' ) );
		$scheduler->heal_when_ready();
	}

	public static function deactivate(): void {
		( new Scheduler() )->unschedule_all();
		delete_option( Scheduler::CHECKED_OPTION );
	}

	private function register(): void {
		if ( $this->outbox->needs_install() ) {
			$this->outbox->install();
		}

		// First of all callbacks: WooCommerce's own `woocommerce_new_order` callbacks save the order again, and
		// that save fires its status change (from the "pending" it never was in) before a later priority
		// would hear of the order's creation. The event's values are read again when it is sent.
		add_action( 'woocommerce_new_order', array( $this->listener, 'on_new_order' ), PHP_INT_MIN, 2 );
		add_action( 'woocommerce_order_status_changed', array( $this->listener, 'on_status_changed' ), 10, 4 );
		add_action( 'woocommerce_update_order', array( $this->listener, 'on_update_order' ), 10, 2 );
		add_action( 'transition_post_status', array( $this->listener, 'on_post_transition' ), 10, 3 );

		add_filter( 'cron_schedules', array( $this->scheduler, 'add_cron_schedule' ) );
		add_action( Scheduler::DRAIN_HOOK, array( $this->sender, 'drain' ), 10, 0 );
		add_action( Scheduler::ASYNC_HOOK, array( $this->sender, 'drain' ), 10, 0 );
		add_action( Scheduler::RETRY_HOOK, array( $this->sender, 'drain' ), 10, 0 );
		add_action( Scheduler::HEARTBEAT_HOOK, array( $this->heartbeat, 'beat' ), 10, 0 );
		add_action( 'woocommerce_shutdown_error', array( HealthSnapshot::class, 'count_fatal_error' ), 10, 0 );
		$this->scheduler->heal_when_ready();

		if ( ! is_admin() ) {
			return;
		}
		$flash     = new Flash();
		$state     = new StateCache( $this->options, $this->client );
		$view      = new TabView( $this->options, $this->outbox, $this->client, $flash );
		$actions   = new AdminActions( $this->options, $this->outbox, $this->client, $this->sender, $this->scheduler, $flash, $state );
		$notices   = new Notices( $this->options, $this->outbox, $flash );
		$dashboard = new Dashboard( $state );

		add_action( 'admin_notices', array( $notices, 'render' ) );
		add_action( 'admin_notices', array( $dashboard, 'critical_notice' ) );
		add_action( 'admin_enqueue_scripts', array( $dashboard, 'enqueue' ) );
		add_action( 'wp_dashboard_setup', array( $dashboard, 'register_widget' ) );
		add_action( 'admin_bar_menu', array( $dashboard, 'admin_bar' ), 100 );
		add_filter( 'plugin_action_links_' . plugin_basename( WOOM_BRIDGE_FILE ), array( self::class, 'action_links' ) );
		add_filter(
			'woocommerce_get_settings_pages',
			static function ( array $pages ) use ( $view ): array {
				$pages[] = new SettingsPage( $view );
				return $pages;
			}
		);
		add_action( 'woocommerce_after_settings_' . self::TAB_ID, array( $view, 'render_after_form' ) );
		foreach ( AdminActions::ACTIONS as $action => $method ) {
			add_action( 'admin_post_' . $action, array( $actions, $method ) );
			add_action( 'admin_post_nopriv_' . $action, array( $actions, 'refuse_anonymous' ) );
		}
	}

	/** $section: one of TabView::SECTIONS; '' is the status. */
	public static function tab_url( string $section = '' ): string {
		return admin_url( 'admin.php?page=wc-settings&tab=' . self::TAB_ID . ( '' === $section ? '' : '&section=' . rawurlencode( $section ) ) );
	}

	/**
	 * The plugins list: a Settings link beside Deactivate.
	 *
	 * @param array<int|string, string> $links
	 * @return array<int|string, string>
	 */
	public static function action_links( array $links ): array {
		return array( 'settings' => '<a href="' . esc_url( self::tab_url() ) . '" id="woom-plugin-settings-link">' . esc_html__( 'Settings', 'woom' ) . '</a>' ) + $links;
	}
}
