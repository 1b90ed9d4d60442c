<?php
/**
 * The shop's state as the sidecar words it (`GET /v1/stores/:id/state`), for the dashboard widget, the
 * admin-bar dot and the critical-alert notice on every wp-admin page. Those pages must not wait on the
 * sidecar: one short request a minute at most, its answer (or its failure) kept in a transient.
 *
 * @package Woom\Bridge
 */

declare(strict_types=1);

namespace Woom\Bridge\Admin;

use Woom\Bridge\Options;
use Woom\Bridge\SidecarClient;

final class StateCache {

	/** Seconds an answer is reused: the state is about minutes, and every admin page asks for it. */
	public const TTL = 60;

	/** Seconds an admin page may wait for the answer. */
	public const TIMEOUT = 3;

	private const KEY = 'woom_state_';

	/** @var array<string, mixed>|null|false false: not read in this request yet */
	private array|null|false $memo = false;

	public function __construct(
		private readonly Options $options,
		private readonly SidecarClient $client,
	) {}

	/**
	 * @return array{state: array{kind: string, tone: string, sentence: string, since: ?string}, orders_today: int, critical_alert: ?array{id: int, opened_at: string, acknowledged: bool}, sparkline: array<string, mixed>}|null
	 *         null when the plugin is not connected or the sidecar did not answer.
	 */
	public function get(): ?array {
		if ( false !== $this->memo ) {
			return $this->memo;
		}
		if ( ! $this->options->is_configured() ) {
			return $this->memo = null;
		}
		$key    = self::KEY . md5( $this->options->sidecar_url() . '|' . $this->options->store_id() );
		$cached = get_transient( $key );
		if ( is_array( $cached ) ) {
			return $this->memo = ( $cached['ok'] ?? false ) ? $cached['state'] : null;
		}
		$result = $this->client->store_request( 'GET', '/state', '', 'application/json', null, self::TIMEOUT );
		$json   = 200 === $result->status ? $result->json() : null;
		$state  = is_array( $json ) && isset( $json['state']['sentence'], $json['state']['tone'] ) ? $json : null;
		// A failure is kept as long as an answer: a sidecar that is down must not slow every page.
		set_transient(
			$key,
			array(
				'ok'    => null !== $state,
				'state' => $state,
			),
			self::TTL
		);
		return $this->memo = $state;
	}

	/** After an action that changes the state (acknowledge, maintenance), the next page asks again. */
	public function forget(): void {
		delete_transient( self::KEY . md5( $this->options->sidecar_url() . '|' . $this->options->store_id() ) );
		$this->memo = false;
	}
}
