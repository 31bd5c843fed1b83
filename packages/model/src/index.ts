export { type BackendName, initBackend, currentBackend } from './backend.js';
export { type ModelSpec, parseModelSpec, modelSpecDigest } from './model-spec.js';
export { buildModel } from './build.js';
export { modelLayout, getFlatWeights, setFlatWeights } from './weights.js';
export { type TrainingData, type TrainOptions, type TrainResult, trainLocal, evaluate } from './train.js';
export { exportLayersModel, loadExportedModel } from './export.js';
export {
  WASM_TRAINING_KERNELS,
  registerWasmTrainingKernels,
  registerWasmConvFilterGradient,
} from './wasm-kernels/index.js';
