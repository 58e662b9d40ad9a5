// The parts of TensorFlow.js the runtime uses: the core ops, the layers API and the plain-JS CPU
// backend (wasm and tfjs-node register themselves on demand in backend.ts). The @tensorflow/tfjs
// umbrella package would also bring the WebGL backend, the converter and tfjs-data, which a
// server never runs but every image would carry.
import "@tensorflow/tfjs-backend-cpu";

export * from "@tensorflow/tfjs-core";
export * from "@tensorflow/tfjs-layers";
