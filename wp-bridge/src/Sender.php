<?php
/**
 * Drains the outbox to the sidecar in signed batches. A row leaves the outbox only after the sidecar's
 * 202; an unreachable sidecar or a 5xx backs off exponentially; a 4xx other than 401 dead-letters the
 * events it concerns, where the settings tab shows them.
 *
 * @package Woom\Bridge
 */

declare(strict_types=1);

namespace Woom\Bridge;

final class Sender {

	public const BATCH_SIZE = 500;

	/** Bounds one drain: rounds and seconds. */
	private const MAX_ROUNDS  = 40;
	private const MAX_SECONDS = 25;

	public function __construct(
		private readonly Outbox $outbox,
		private readonly SidecarClient $client,
		private readonly Options $options,
		private readonly Scheduler $scheduler,
		private readonly \wpdb $db,
		private readonly ?Reported $reported = null,
	) {}

	/**
	 * Back-off after $failures consecutive failures: base * 2^(failures-1), capped (15 minutes by default).
	 * WOOM_RETRY_BASE_SECONDS and WOOM_RETRY_MAX_SECONDS change the two numbers (the tests shorten them).
	 */
	public static function backoff_seconds( int $failures ): int {
		$base = defined( 'WOOM_RETRY_BASE_SECONDS' ) ? max( 1, (int) WOOM_RETRY_BASE_SECONDS ) : 60;
		$cap  = defined( 'WOOM_RETRY_MAX_SECONDS' ) ? max( 1, (int) WOOM_RETRY_MAX_SECONDS ) : 15 * MINUTE_IN_SECONDS;
		$exp  = min( 20, max( 0, $failures - 1 ) );
		return (int) min( $cap, $base * ( 2 ** $exp ) );
	}

	/** The Action Scheduler / WP-Cron callback. */
	public function drain(): void {
		$this->run( false );
	}

	/**
	 * Sends what waits. `$ignore_backoff` is for an admin's explicit request.
	 *
	 * @return string What happened, for the admin.
	 */
	public function run( bool $ignore_backoff ): string {
		if ( ! $this->options->is_configured() ) {
			return 'not configured';
		}
		$delivery = $this->options->delivery();
		if ( ! $ignore_backoff && $delivery['retry_at'] > time() ) {
			return 'backing off until ' . gmdate( 'H:i:s', $delivery['retry_at'] ) . ' UTC';
		}
		$lock = self::drain_lock_name( (string) $this->db->dbname, (string) $this->db->prefix );
		if ( '1' !== (string) $this->db->get_var( $this->db->prepare( 'SELECT GET_LOCK(%s, 0)', $lock ) ) ) {
			return 'another drain is running';
		}
		try {
			return $this->drain_locked();
		} finally {
			$this->db->get_var( $this->db->prepare( 'SELECT RELEASE_LOCK(%s)', $lock ) );
		}
	}

	/**
	 * The MariaDB/MySQL named lock one site's drains share. Named locks are server-wide, and sites on one
	 * shared database server often all use the prefix wp_: the name carries the database too, so one
	 * site's drain never makes another's wait (under 64 characters, the server's limit).
	 */
	public static function drain_lock_name( string $dbname, string $prefix ): string {
		return 'woom_drain_' . md5( $dbname . '.' . $prefix );
	}

	private function drain_locked(): string {
		$limit    = self::BATCH_SIZE;
		$deadline = microtime( true ) + self::MAX_SECONDS;
		$sent     = 0;
		for ( $round = 0; $round < self::MAX_ROUNDS && microtime( true ) < $deadline; $round++ ) {
			$rows = $this->outbox->next_batch( $limit );
			if ( array() === $rows ) {
				break;
			}
			$ids    = array_column( $rows, 'id' );
			$batch  = self::with_current_values( $rows );
			$result = $this->client->post_events( $this->batch_body( $batch['rows'] ) );
			$this->options->update_delivery( array( 'last_attempt_at' => time() ) );

			if ( 202 === $result->status ) {
				$this->outbox->delete( $ids );
				$this->reported?->put( $batch['reported'] );
				$sent += count( $ids );
				$this->options->update_delivery(
					array(
						'failures'    => 0,
						'retry_at'    => 0,
						'last_error'  => '',
						'last_ack_at' => time(),
					)
				);
				continue;
			}
			if ( self::is_transient( $result ) ) {
				$this->back_off( $result );
				return 'sent ' . $sent . ', then ' . $result->describe();
			}
			if ( 413 === $result->status && count( $ids ) > 1 ) {
				$limit = max( 1, intdiv( count( $ids ), 2 ) );
				continue;
			}
			$this->dead_letter( $rows, $result );
		}
		return 'sent ' . $sent;
	}

	/**
	 * Worth retrying: unreachable, 5xx, 401 (a configuration to fix, not bad events), 408, 429, and 409
	 * (the sidecar already saw this exact signed request; the retry is signed anew and the events are
	 * idempotent by id, so nothing is lost or stored twice).
	 */
	private static function is_transient( HttpResult $result ): bool {
		return ! $result->reached() || $result->status >= 500 || in_array( $result->status, array( 401, 408, 409, 429 ), true ) || $result->status < 200 || ( $result->status >= 300 && $result->status < 400 );
	}

	private function back_off( HttpResult $result ): void {
		$failures = $this->options->delivery()['failures'] + 1;
		$retry_at = time() + self::backoff_seconds( $failures );
		$this->options->update_delivery(
			array(
				'failures'   => $failures,
				'retry_at'   => $retry_at,
				'last_error' => $result->describe(),
			)
		);
		$this->scheduler->schedule_retry( $retry_at );
		if ( function_exists( 'wc_get_logger' ) ) {
			wc_get_logger()->warning( 'Order Monitor: sidecar ' . $result->describe() . '; retrying in ' . self::backoff_seconds( $failures ) . ' s', array( 'source' => 'woom' ) );
		}
	}

	/**
	 * A 4xx: the events themselves are refused. On a 400 naming `events[i]`, only those are dead-lettered
	 * and the rest go again in the next round.
	 *
	 * @param list<array{id:int, payload:string}> $rows
	 */
	private function dead_letter( array $rows, HttpResult $result ): void {
		$ids      = array_column( $rows, 'id' );
		$json     = $result->json();
		$errors   = is_array( $json ) && isset( $json['errors'] ) && is_array( $json['errors'] ) ? $json['errors'] : array();
		$per_row  = array();
		$all_bad  = array() === $errors;
		foreach ( $errors as $error ) {
			$field = is_array( $error ) && isset( $error['field'] ) ? (string) $error['field'] : '';
			if ( 1 !== preg_match( '/^events\[(\d+)\]/', $field, $match ) || ! isset( $ids[ (int) $match[1] ] ) ) {
				$all_bad = true;
				break;
			}
			$id             = $ids[ (int) $match[1] ];
			$message        = is_array( $error ) && isset( $error['message'] ) ? (string) $error['message'] : '';
			$per_row[ $id ] = trim( ( $per_row[ $id ] ?? '' ) . ' ' . $field . ': ' . $message );
		}
		$bad = $all_bad ? $ids : array_keys( $per_row );
		$this->outbox->mark_dead( $bad, (int) $result->status, $all_bad ? array() : $per_row, $result->describe() );
		$this->options->update_delivery( array( 'last_error' => $result->describe() ) );
		if ( function_exists( 'wc_get_logger' ) ) {
			wc_get_logger()->error( 'Order Monitor: sidecar refused ' . count( $bad ) . ' event(s): ' . $result->describe(), array( 'source' => 'woom' ) );
		}
	}

	/**
	 * Order events leave with the order's values as they are now (EventFactory::with_values): an order
	 * saved empty first has its total and payment method by then. A deleted order's event goes as stored.
	 *
	 * @param list<array{id:int, payload:string}> $rows
	 * @return array{rows: list<array{id:int, payload:string}>, reported: array<int, array{total:?string, currency:string, payment_method:string, created_via:string}>}
	 */
	private static function with_current_values( array $rows ): array {
		$reported = array();
		foreach ( $rows as $i => $row ) {
			$event = json_decode( $row['payload'], true );
			if ( ! is_array( $event ) || ! isset( $event['order_id'] ) || ! str_starts_with( (string) ( $event['type'] ?? '' ), 'order.' ) ) {
				continue;
			}
			$order = function_exists( 'wc_get_order' ) ? wc_get_order( (int) $event['order_id'] ) : null;
			if ( is_object( $order ) && method_exists( $order, 'get_total' ) ) {
				$event                    = EventFactory::with_values( $event, $order );
				$rows[ $i ]['payload']    = (string) wp_json_encode( $event, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE );
			}
			$reported[ (int) $event['order_id'] ] = Reported::values_of( $event );
		}
		return array(
			'rows'     => $rows,
			'reported' => $reported,
		);
	}

	/**
	 * The stored payloads are already JSON; the batch is assembled around them unchanged.
	 *
	 * @param list<array{id:int, payload:string}> $rows
	 */
	private function batch_body( array $rows ): string {
		return '{"store":' . wp_json_encode( $this->options->store_id() ) . ',"events":[' . implode( ',', array_column( $rows, 'payload' ) ) . ']}';
	}
}
