<?php
/**
 * Every 5 minutes, an event through the same outbox, so the sidecar can tell "no orders" from
 * "WordPress stopped talking".
 *
 * @package Woom\Bridge
 */

declare(strict_types=1);

namespace Woom\Bridge;

final class Heartbeat {

	public function __construct(
		private readonly Outbox $outbox,
		private readonly EventFactory $events,
		private readonly Options $options,
		private readonly Sender $sender,
		private readonly HealthSnapshot $health,
	) {}

	public function beat(): void {
		if ( ! $this->options->is_configured() ) {
			return;
		}
		$now = microtime( true );
		$this->outbox->add( $this->events->heartbeat( $this->outbox->count(), $this->outbox->oldest_pending_at(), $now, $this->health->collect( (int) $now ) ) );
		$this->sender->drain();
	}
}
