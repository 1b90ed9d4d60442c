<?php
/**
 * Prepended (auto_prepend_file) to every PHP request and script of a test site while `npm test` measures
 * the bridge's coverage (WOOM_PHP_COVERAGE_DIR set; pcov limited to wp-bridge/ by pcov.directory). Each
 * process writes the lines it ran, and those it could have run, to one JSON file there; the test run's
 * global teardown (tests/helpers/php-coverage.ts) adds them up.
 */

if ( function_exists( 'pcov\start' ) && false !== getenv( 'WOOM_PHP_COVERAGE_DIR' ) ) {
	\pcov\start();
	register_shutdown_function(
		static function (): void {
			// Registered from a shutdown function, so it runs after WordPress's own shutdown work (the
			// bridge queues its drain there), not before it.
			register_shutdown_function(
				static function (): void {
					\pcov\stop();
					$lines = \pcov\collect();
					if ( ! empty( $lines ) ) {
						$dir = (string) getenv( 'WOOM_PHP_COVERAGE_DIR' );
						@file_put_contents( $dir . '/' . getmypid() . '-' . str_replace( '.', '', uniqid( '', true ) ) . '.json', json_encode( $lines ) );
					}
				}
			);
		}
	);
}
