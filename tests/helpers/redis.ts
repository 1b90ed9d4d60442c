/** The tests' Redis helpers live in scripts/lib (the demo uses them too). */
export * from '../../scripts/lib/redis';
