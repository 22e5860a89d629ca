// The circuit module's public face: model, gate library, parameter expressions.
export { Circuit, CircuitError, MAX_QUBITS } from './ir.js';
export type { Condition, GateDefinition, Instruction, Modifier, Register } from './ir.js';
export { evalExpr, freeSymbols, substitute, sym, UnboundParameterError } from './expr.js';
export type { BinaryOp, Expr, Param, UnaryFn } from './expr.js';
export { adjoint, composeUnitary, controlled, DIRECTIVES, embed, GATES, gateSpec, identity, matmul, matrixDim, matrixFrom } from './gates.js';
export type { GateSpec, Matrix } from './gates.js';
export * from './transpile/index.js';
