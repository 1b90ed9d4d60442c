/** The real sidecar in-process, from scripts/lib (the demo starts it the same way). */
import { startSidecar as startLibSidecar, type SidecarHandle, type SidecarOptions } from '../../scripts/lib/sidecar';

export * from '../../scripts/lib/sidecar';

/**
 * The digest job looks once an hour in tests unless a test asks (tests/integration/digest.test.ts): a
 * store registered days back would otherwise get its morning digest in the middle of another file's mail
 * count. (This name wins over the library's own through `export *`.)
 */
export function startSidecar(opts: SidecarOptions = {}): Promise<SidecarHandle> {
  return startLibSidecar({ digestEveryMs: 3_600_000, ...opts });
}
