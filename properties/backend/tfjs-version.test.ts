/** The tfjs peer range check. */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { checkTfjsVersion } from '../../src/backend/tfjs-version.js';
import { GMBackendError } from '../../src/errors.js';

describe('checkTfjsVersion', () => {
  it.each(['4.22.0', '4.22.1', '4.30.0'])('accepts %s', (version) => {
    expect(() => checkTfjsVersion('@tensorflow/tfjs-core', version)).not.toThrow();
  });

  // 5.30.0: a later major is refused even where its minor is in range
  it.each(['4.21.0', '3.21.0', '5.0.0', '5.30.0', 'garbage'])('refuses %s naming the package, the range and the version', (version) => {
    expect(() => checkTfjsVersion('@tensorflow/tfjs-core', version)).toThrow(GMBackendError);
    expect(() => checkTfjsVersion('@tensorflow/tfjs-core', version)).toThrow(
      new RegExp(`^@tensorflow/tfjs-core: expected version \\^4\\.22\\.0 .*got version ${version}$`),
    );
  });

  it('holds for the tfjs this repository installs', () => {
    expect(() => checkTfjsVersion('@tensorflow/tfjs-core', tf.version_core)).not.toThrow();
  });
});
