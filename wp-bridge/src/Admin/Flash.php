<?php
/**
 * Messages and a posted-back fragment kept for the current user across one redirect.
 *
 * @package Woom\Bridge
 */

declare(strict_types=1);

namespace Woom\Bridge\Admin;

final class Flash {

	private function key(): string {
		return 'woom_flash_' . get_current_user_id();
	}

	/**
	 * @return array{notices: list<array{type:string, html:string, block?:bool}>, fragment: ?array{status:int, html:string, slot?:string}}
	 */
	private function read(): array {
		$stored = get_transient( $this->key() );
		$stored = is_array( $stored ) ? $stored : array();
		return array(
			'notices'  => isset( $stored['notices'] ) && is_array( $stored['notices'] ) ? array_values( $stored['notices'] ) : array(),
			'fragment' => isset( $stored['fragment'] ) && is_array( $stored['fragment'] ) ? $stored['fragment'] : null,
		);
	}

	/**
	 * @param array{notices: list<array{type:string, html:string, block?:bool}>, fragment: ?array{status:int, html:string, slot?:string}} $data
	 */
	private function write( array $data ): void {
		set_transient( $this->key(), $data, 5 * MINUTE_IN_SECONDS );
	}

	/** $html must already be escaped; $block: it holds its own paragraphs or lists, so no <p> around it. */
	public function notice( string $type, string $html, bool $block = false ): void {
		$data              = $this->read();
		$data['notices'][] = array(
			'type'  => $type,
			'html'  => $html,
			'block' => $block,
		);
		$this->write( $data );
	}

	/** $slot: which embedded page the fragment replaces (`settings` or `status`). */
	public function fragment( int $status, string $html, string $slot = 'settings' ): void {
		$data             = $this->read();
		$data['fragment'] = array(
			'status' => $status,
			'html'   => $html,
			'slot'   => $slot,
		);
		$this->write( $data );
	}

	/**
	 * @return list<array{type:string, html:string, block?:bool}>
	 */
	public function take_notices(): array {
		$data = $this->read();
		if ( array() === $data['notices'] ) {
			return array();
		}
		$notices         = $data['notices'];
		$data['notices'] = array();
		$this->write( $data );
		return $notices;
	}

	/**
	 * @return array{status:int, html:string}|null
	 */
	public function take_fragment( string $slot = 'settings' ): ?array {
		$data = $this->read();
		if ( null === $data['fragment'] || ( $data['fragment']['slot'] ?? 'settings' ) !== $slot ) {
			return null;
		}
		$fragment         = $data['fragment'];
		$data['fragment'] = null;
		$this->write( $data );
		return $fragment;
	}
}
