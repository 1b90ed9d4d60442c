<?php
/**
 * The outbox: a table of events waiting to be acknowledged by the sidecar. Writing a row is the only
 * thing an order hook does, so checkout never waits for the network.
 *
 * @package Woom\Bridge
 */

declare(strict_types=1);

namespace Woom\Bridge;

final class Outbox {

	public const SCHEMA_VERSION = '2';
	public const PENDING        = 'pending';
	public const DEAD           = 'dead';

	public function __construct( private readonly \wpdb $db ) {}

	public function table(): string {
		return $this->db->prefix . 'woom_outbox';
	}

	/** Creates or upgrades the plugin's tables (the outbox and Reported's); dbDelta keeps existing rows. */
	public function install(): void {
		require_once ABSPATH . 'wp-admin/includes/upgrade.php';
		$charset = $this->db->get_charset_collate();
		$table   = $this->table();
		dbDelta(
			"CREATE TABLE {$table} (
  id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  event_id char(36) NOT NULL,
  payload longtext NOT NULL,
  state varchar(16) NOT NULL DEFAULT 'pending',
  created_at datetime NOT NULL,
  failed_at datetime NULL DEFAULT NULL,
  http_status smallint(5) unsigned NULL DEFAULT NULL,
  error text NULL,
  PRIMARY KEY  (id),
  UNIQUE KEY event_id (event_id),
  KEY state_id (state,id)
) {$charset};"
		);
		dbDelta( ( new Reported( $this->db ) )->schema( $charset ) );
		update_option( Options::DB_VERSION, self::SCHEMA_VERSION, true );
	}

	public function needs_install(): bool {
		return get_option( Options::DB_VERSION ) !== self::SCHEMA_VERSION;
	}

	public function drop(): void {
		$this->db->query( "DROP TABLE IF EXISTS {$this->table()}" ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$this->db->query( 'DROP TABLE IF EXISTS ' . ( new Reported( $this->db ) )->table() ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
	}

	/**
	 * @param array<string, mixed> $event An event of the contract; its `id` is the row's event_id.
	 */
	public function add( array $event ): bool {
		$inserted = $this->db->insert(
			$this->table(),
			array(
				'event_id'   => (string) $event['id'],
				'payload'    => (string) wp_json_encode( $event, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE ),
				'state'      => self::PENDING,
				'created_at' => gmdate( 'Y-m-d H:i:s' ),
			),
			array( '%s', '%s', '%s', '%s' )
		);
		return false !== $inserted;
	}

	/**
	 * The oldest pending events, oldest first.
	 *
	 * @return list<array{id:int, payload:string}>
	 */
	public function next_batch( int $limit ): array {
		$rows = $this->db->get_results(
			$this->db->prepare( "SELECT id, payload FROM {$this->table()} WHERE state = %s ORDER BY id ASC LIMIT %d", self::PENDING, $limit ), // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			ARRAY_A
		);
		return array_map(
			static fn( array $row ): array => array(
				'id'      => (int) $row['id'],
				'payload' => (string) $row['payload'],
			),
			is_array( $rows ) ? $rows : array()
		);
	}

	/**
	 * @param list<int> $ids
	 */
	public function delete( array $ids ): void {
		if ( array() === $ids ) {
			return;
		}
		$this->db->query( "DELETE FROM {$this->table()} WHERE id IN (" . implode( ',', array_map( 'intval', $ids ) ) . ')' ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
	}

	/**
	 * Moves events to the dead-letter state, keeping them (and why) for the settings tab.
	 *
	 * @param list<int>         $ids
	 * @param array<int,string> $errors Error per row id; rows without one get $fallback.
	 */
	public function mark_dead( array $ids, int $http_status, array $errors, string $fallback ): void {
		foreach ( $ids as $id ) {
			$this->db->update(
				$this->table(),
				array(
					'state'       => self::DEAD,
					'failed_at'   => gmdate( 'Y-m-d H:i:s' ),
					'http_status' => $http_status,
					'error'       => mb_substr( $errors[ $id ] ?? $fallback, 0, 2000 ),
				),
				array( 'id' => $id ),
				array( '%s', '%s', '%d', '%s' ),
				array( '%d' )
			);
		}
	}

	/** Puts every dead-lettered event back in the queue; returns how many. */
	public function retry_dead(): int {
		return (int) $this->db->query(
			$this->db->prepare( "UPDATE {$this->table()} SET state = %s, failed_at = NULL, http_status = NULL, error = NULL WHERE state = %s", self::PENDING, self::DEAD ) // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		);
	}

	/** Deletes every dead-lettered event, on the admin's explicit request; returns how many. */
	public function discard_dead(): int {
		return (int) $this->db->query( $this->db->prepare( "DELETE FROM {$this->table()} WHERE state = %s", self::DEAD ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
	}

	public function count( string $state = self::PENDING ): int {
		return (int) $this->db->get_var( $this->db->prepare( "SELECT COUNT(*) FROM {$this->table()} WHERE state = %s", $state ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
	}

	/** Unix time of the oldest pending event, or null when none waits. */
	public function oldest_pending_at(): ?int {
		$value = $this->db->get_var( $this->db->prepare( "SELECT MIN(created_at) FROM {$this->table()} WHERE state = %s", self::PENDING ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		if ( null === $value || '' === $value ) {
			return null;
		}
		$time = strtotime( $value . ' UTC' );
		return false === $time ? null : $time;
	}

	/**
	 * @return list<array{id:int, event_id:string, payload:string, failed_at:string, http_status:int, error:string}>
	 */
	public function dead_letters( int $limit ): array {
		$rows = $this->db->get_results(
			$this->db->prepare( "SELECT id, event_id, payload, failed_at, http_status, error FROM {$this->table()} WHERE state = %s ORDER BY id ASC LIMIT %d", self::DEAD, $limit ), // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			ARRAY_A
		);
		return array_map(
			static fn( array $row ): array => array(
				'id'          => (int) $row['id'],
				'event_id'    => (string) $row['event_id'],
				'payload'     => (string) $row['payload'],
				'failed_at'   => (string) $row['failed_at'],
				'http_status' => (int) $row['http_status'],
				'error'       => (string) $row['error'],
			),
			is_array( $rows ) ? $rows : array()
		);
	}
}
