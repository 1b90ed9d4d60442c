<?php
/**
 * The signing scheme of the sidecar's contract (README, "Signing").
 *
 * @package Woom\Bridge
 */

declare(strict_types=1);

namespace Woom\Bridge;

final class Signer {

	/** Payload of `POST /v1/events`: timestamp "." body. */
	public static function events_payload( int $timestamp, string $body ): string {
		return $timestamp . '.' . $body;
	}

	/** Payload of every other endpoint: timestamp "." METHOD "." path-with-query "." body. */
	public static function request_payload( int $timestamp, string $method, string $path_with_query, string $body ): string {
		return $timestamp . '.' . strtoupper( $method ) . '.' . $path_with_query . '.' . $body;
	}

	public static function signature( string $secret, string $payload ): string {
		return 'sha256=' . hash_hmac( 'sha256', $payload, $secret );
	}
}
