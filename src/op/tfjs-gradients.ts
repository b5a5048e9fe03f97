/**
 * tfjs-core registers the gradients of its own ops only through a side-effect module,
 * which the Node bundle of tfjs-layers imports. Importing tfjs-layers here makes
 * autodiff (tf.grads, optimizers) work for users of the bare op too; the layer needs
 * tfjs-layers anyway.
 */
import '@tensorflow/tfjs-layers';
