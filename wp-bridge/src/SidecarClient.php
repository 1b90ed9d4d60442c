<?php
/**
 * Signed HTTP calls to the sidecar through the WordPress HTTP API.
 *
 * @package Woom\Bridge
 */

declare(strict_types=1);

namespace Woom\Bridge;

final class SidecarClient {

	public function __construct( private readonly Options $options ) {}

	/** `POST /v1/events` with a body already encoded. */
	public function post_events( string $body, int $timeout = 15 ): HttpResult {
		$timestamp = time();
		return $this->send(
			'POST',
			'/v1/events',
			$body,
			array(
				'Content-Type'     => 'application/json',
				'X-Woom-Store'     => $this->options->store_id(),
				'X-Woom-Timestamp' => (string) $timestamp,
				'X-Woom-Signature' => Signer::signature( $this->options->secret(), Signer::events_payload( $timestamp, $body ) ),
			),
			$timeout
		);
	}

	/**
	 * A signed call to a store endpoint, `$suffix` being what follows `/v1/stores/:id` (e.g. `/status`).
	 */
	/**
	 * @param array<string, string> $extra_headers
	 */
	public function store_request( string $method, string $suffix, string $body = '', string $content_type = 'application/json', ?string $actor = null, int $timeout = 15, array $extra_headers = array() ): HttpResult {
		$path      = '/v1/stores/' . rawurlencode( $this->options->store_id() ) . $suffix;
		$timestamp = time();
		$signed    = $this->base_path() . $path;
		$headers   = array(
			'X-Woom-Store'     => $this->options->store_id(),
			'X-Woom-Timestamp' => (string) $timestamp,
			'X-Woom-Signature' => Signer::signature( $this->options->secret(), Signer::request_payload( $timestamp, $method, $signed, $body ) ),
			'Accept'           => 'application/json, text/html, text/csv',
		) + $extra_headers;
		if ( 'GET' !== $method ) {
			$headers['Content-Type'] = $content_type;
		}
		if ( null !== $actor && '' !== $actor ) {
			$headers['X-Woom-Actor'] = $actor;
		}
		return $this->send( $method, $path, $body, $headers, $timeout );
	}

	/**
	 * @param array<string, string> $headers
	 */
	private function send( string $method, string $path, string $body, array $headers, int $timeout ): HttpResult {
		if ( ! $this->options->is_configured() ) {
			return new HttpResult( null, '', 'the sidecar URL, store id or secret is not set' );
		}
		$response = wp_remote_request(
			$this->options->sidecar_url() . $path,
			array(
				'method'      => $method,
				'body'        => 'GET' === $method ? null : $body,
				'headers'     => $headers,
				'timeout'     => $timeout,
				'redirection' => 0,
				'user-agent'  => 'woom-bridge/' . WOOM_BRIDGE_VERSION . '; ' . home_url( '/' ),
			)
		);
		if ( is_wp_error( $response ) ) {
			return new HttpResult( null, '', $response->get_error_message() );
		}
		return new HttpResult( (int) wp_remote_retrieve_response_code( $response ), (string) wp_remote_retrieve_body( $response ) );
	}

	/** A sidecar mounted under a path (https://host/woom) sees and signs that prefix too. */
	private function base_path(): string {
		$path = wp_parse_url( $this->options->sidecar_url(), PHP_URL_PATH );
		return is_string( $path ) ? rtrim( $path, '/' ) : '';
	}
}
