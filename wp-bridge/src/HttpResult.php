<?php
/**
 * What the sidecar answered, or why it could not be reached.
 *
 * @package Woom\Bridge
 */

declare(strict_types=1);

namespace Woom\Bridge;

final class HttpResult {

	public function __construct(
		public readonly ?int $status,
		public readonly string $body,
		public readonly string $error = '',
	) {}

	public function reached(): bool {
		return null !== $this->status;
	}

	/**
	 * @return array<mixed>|null
	 */
	public function json(): ?array {
		$decoded = json_decode( $this->body, true );
		return is_array( $decoded ) ? $decoded : null;
	}

	/** A short description for logs and notices. */
	public function describe(): string {
		if ( ! $this->reached() ) {
			return 'unreachable: ' . $this->error;
		}
		$json    = $this->json();
		$message = is_array( $json ) && isset( $json['message'] ) && is_string( $json['message'] ) ? $json['message'] : mb_substr( wp_strip_all_tags( $this->body ), 0, 300 );
		return 'HTTP ' . $this->status . ( '' === $message ? '' : ': ' . $message );
	}
}
