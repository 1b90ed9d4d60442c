<?php
/**
 * Background work: Action Scheduler when WooCommerce provides it, WP-Cron otherwise.
 *
 * @package Woom\Bridge
 */

declare(strict_types=1);

namespace Woom\Bridge;

final class Scheduler {

	public const DRAIN_HOOK       = 'woom_drain_outbox';
	public const ASYNC_HOOK       = 'woom_drain_outbox_async';
	public const RETRY_HOOK       = 'woom_drain_outbox_retry';
	public const HEARTBEAT_HOOK   = 'woom_heartbeat';
	public const GROUP            = 'woom';
	public const CRON_SCHEDULE    = 'woom_every_minute';
	public const CRON_HEARTBEAT   = 'woom_every_five_minutes';
	public const DRAIN_INTERVAL   = MINUTE_IN_SECONDS;
	public const HEARTBEAT_PERIOD = 5 * MINUTE_IN_SECONDS;

	/** When the recurring tasks were last checked (autoloaded: reading it costs no query). */
	public const CHECKED_OPTION = 'woom_schedule_checked_at';
	private const CHECK_EVERY   = 10 * MINUTE_IN_SECONDS;

	private bool $drain_requested = false;

	public function uses_action_scheduler(): bool {
		return function_exists( 'as_schedule_recurring_action' ) && function_exists( 'as_enqueue_async_action' );
	}

	/**
	 * `cron_schedules` filter: the 1- and 5-minute intervals WP-Cron lacks.
	 *
	 * @param array<string, array{interval:int, display:string}> $schedules
	 * @return array<string, array{interval:int, display:string}>
	 */
	public function add_cron_schedule( array $schedules ): array {
		$schedules[ self::CRON_SCHEDULE ] = array(
			'interval' => self::DRAIN_INTERVAL,
			'display'  => 'Every minute (Order Monitor)',
		);
		$schedules[ self::CRON_HEARTBEAT ] = array(
			'interval' => self::HEARTBEAT_PERIOD,
			'display'  => 'Every five minutes (Order Monitor)',
		);
		return $schedules;
	}

	/**
	 * Every request (front end, admin, cron, CLI): puts back a missing recurring drain or heartbeat, at most
	 * once per CHECK_EVERY. A store whose admin never opens wp-admin, or whose plugin was activated by
	 * WP-CLI, heals on its next visitor; otherwise the request pays for one autoloaded option read.
	 */
	public function heal(): void {
		$now     = time();
		$checked = (int) get_option( self::CHECKED_OPTION, 0 );
		if ( $checked <= $now && $checked > $now - self::CHECK_EVERY ) {
			return;
		}
		update_option( self::CHECKED_OPTION, $now, true );
		$this->ensure_recurring();
	}

	/**
	 * Hooks heal() where scheduling works: after Action Scheduler's data store is ready, or on `init` for
	 * WP-Cron. Also used on activation, which may run before or after that point.
	 */
	public function heal_when_ready(): void {
		if ( ! $this->uses_action_scheduler() ) {
			did_action( 'init' ) ? $this->heal() : add_action( 'init', array( $this, 'heal' ), 20, 0 );
			return;
		}
		did_action( 'action_scheduler_init' ) ? $this->heal() : add_action( 'action_scheduler_init', array( $this, 'heal' ), 10, 0 );
	}

	/**
	 * What the bridge has scheduled: 'scheduled', or 'nothing scheduled' when the recurring drain is
	 * missing (the health snapshot reports it instead of a lateness of 0 s).
	 */
	public function recurring_state(): string {
		if ( $this->uses_action_scheduler() ) {
			return false === as_next_scheduled_action( self::DRAIN_HOOK, array(), self::GROUP ) ? 'nothing scheduled' : 'scheduled';
		}
		return false === wp_next_scheduled( self::DRAIN_HOOK ) ? 'nothing scheduled' : 'scheduled';
	}

	/** Makes sure the recurring drain and heartbeat exist. */
	public function ensure_recurring(): void {
		if ( $this->uses_action_scheduler() ) {
			if ( ! as_has_scheduled_action( self::DRAIN_HOOK, array(), self::GROUP ) ) {
				as_schedule_recurring_action( time() + self::DRAIN_INTERVAL, self::DRAIN_INTERVAL, self::DRAIN_HOOK, array(), self::GROUP );
			}
			if ( ! as_has_scheduled_action( self::HEARTBEAT_HOOK, array(), self::GROUP ) ) {
				as_schedule_recurring_action( time(), self::HEARTBEAT_PERIOD, self::HEARTBEAT_HOOK, array(), self::GROUP );
			}
			return;
		}
		if ( ! wp_next_scheduled( self::DRAIN_HOOK ) ) {
			wp_schedule_event( time() + self::DRAIN_INTERVAL, self::CRON_SCHEDULE, self::DRAIN_HOOK );
		}
		if ( ! wp_next_scheduled( self::HEARTBEAT_HOOK ) ) {
			wp_schedule_event( time(), self::CRON_HEARTBEAT, self::HEARTBEAT_HOOK );
		}
	}

	public function unschedule_all(): void {
		foreach ( array( self::DRAIN_HOOK, self::ASYNC_HOOK, self::RETRY_HOOK, self::HEARTBEAT_HOOK ) as $hook ) {
			if ( function_exists( 'as_unschedule_all_actions' ) ) {
				as_unschedule_all_actions( $hook, array(), self::GROUP );
			}
			wp_clear_scheduled_hook( $hook );
		}
		wp_unschedule_hook( self::RETRY_HOOK );
	}

	/**
	 * Called from an order hook: ask for a drain once, at the end of the request, so the hook itself
	 * only pays for its INSERT.
	 */
	public function request_drain(): void {
		if ( $this->drain_requested ) {
			return;
		}
		$this->drain_requested = true;
		add_action( 'shutdown', array( $this, 'enqueue_drain' ), 5 );
	}

	/** Asks the background runner for a drain as soon as it can. */
	public function enqueue_drain(): void {
		if ( $this->uses_action_scheduler() ) {
			// Its own hook: Action Scheduler's `unique` would count the pending recurring drain as a duplicate.
			as_enqueue_async_action( self::ASYNC_HOOK, array(), self::GROUP, true );
			return;
		}
		if ( false === wp_next_scheduled( self::ASYNC_HOOK ) ) {
			wp_schedule_single_event( time(), self::ASYNC_HOOK );
		}
	}

	/** After a failure: one more drain when the back-off ends, rather than at the next minute. */
	public function schedule_retry( int $at ): void {
		if ( function_exists( 'as_schedule_single_action' ) ) {
			as_schedule_single_action( $at, self::RETRY_HOOK, array(), self::GROUP );
			return;
		}
		wp_schedule_single_event( $at, self::RETRY_HOOK, array( $at ) );
	}
}
