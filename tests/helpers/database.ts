/** The tests' databases come from scripts/lib (the demo starts its sidecar the same way). */
export * from '../../scripts/lib/database';
