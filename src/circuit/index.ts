// The circuit module's public face: model, gate library, parameter expressions, OpenQASM, analysis, decomposition.
export { Circuit, CircuitError, MAX_QUBITS } from './ir.js';
export type { Condition, GateDefinition, Instruction, Modifier, Register } from './ir.js';
export { evalExpr, freeSymbols, substitute, sym, UnboundParameterError } from './expr.js';
export type { BinaryOp, Expr, Param, UnaryFn } from './expr.js';
export {
  adjoint,
  composeUnitary,
  controlled,
  DIRECTIVES,
  embed,
  GATES,
  gateSpec,
  identity,
  matmul,
  matrixDim,
  matrixFrom,
} from './gates.js';
export type { GateSpec, Matrix } from './gates.js';
export { QasmError, QasmSemanticError, QasmSyntaxError, QasmUnsupportedError } from './qasm/errors.js';
export type { SourcePosition } from './qasm/errors.js';
export {
  detectVersion,
  MAX_BLOCK_DEPTH,
  MAX_EXPR_DEPTH,
  MAX_EXPR_NODES,
  MAX_INSTRUCTIONS,
  parseQasm,
  parseQasm2,
  parseQasm3,
  QELIB1_GATES,
  STDGATES,
} from './qasm/parser.js';
export type { ParseOptions } from './qasm/parser.js';
export { parseQasmFile } from './qasm/file.js';
export { formatParam, toQasm2, toQasm3 } from './qasm/writer.js';
export { analyze } from './analysis.js';
export type { CircuitAnalysis, SupermarqFeatures } from './analysis.js';
export { flatten, instructionMatrix, MAX_UNITARY_QUBITS, operationName } from './flatten.js';
export { decompose, eulerZYZ, synthesizeOneQubit } from './decompose.js';
export type { EulerAngles } from './decompose.js';
export { GATE_DEFINITIONS, libraryDefinitions } from './library.js';
export * from './transpile/index.js';
