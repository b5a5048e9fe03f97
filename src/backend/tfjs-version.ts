/**
 * The tfjs releases gmlayer runs on. tfjs is a peer dependency (the app brings it, so
 * there is one copy of its engine); this check turns a release outside the range into
 * one clear error at import, rather than a failure deep inside a kernel or the tape.
 */
import { GMBackendError } from '../errors.js';

/** The supported versions of every @tensorflow/tfjs-* package (peer dependencies of gmlayer): 4.x from 4.22 on. */
export const SUPPORTED_TFJS = { major: 4, minMinor: 22 } as const;

/**
 * Throws unless `version` (e.g. tf.version_core) is in the supported range.
 * @param pkg      the package, for the message, e.g. `@tensorflow/tfjs-core`.
 * @throws GMBackendError naming the package, the supported range and the version found.
 */
export function checkTfjsVersion(pkg: string, version: string): void {
  const [major, minor] = version.split('.').map(Number);
  if (major !== SUPPORTED_TFJS.major || !(minor >= SUPPORTED_TFJS.minMinor)) {
    throw new GMBackendError(
      pkg,
      `version ^${SUPPORTED_TFJS.major}.${SUPPORTED_TFJS.minMinor}.0 (a peer dependency of gmlayer: npm install ${pkg}@^${SUPPORTED_TFJS.major}.${SUPPORTED_TFJS.minMinor})`,
      `version ${version}`,
    );
  }
}
