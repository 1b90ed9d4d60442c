/** The real sidecar in-process, from scripts/lib (the demo starts it the same way). */
export * from '../../scripts/lib/sidecar';
