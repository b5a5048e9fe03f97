/**
 * Seeds as tfjs-core's normal generators take them (tf.randomNormal, tf.truncatedNormal
 * and the tfjs-layers initialisers built on them): they treat a falsy seed as none, a
 * fresh Math.random(), and read any other through toString(). So a seed of 0 goes as the
 * text '0', its own stream, and every integer seed fixes its draws. (tf.randomUniform
 * tests for a missing seed instead, and takes 0 as it is.)
 */
export function normalSeed(seed: number): number {
  return seed === 0 ? ('0' as unknown as number) : seed;
}
