// The schema of every log line the Observer writes, one zod schema per event type.
import { z } from 'zod';

const record = z.record(z.string(), z.unknown());
const nullableSeconds = z.number().nonnegative().nullable();

const common = {
  timestamp: z.iso.datetime(),
  level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']),
  service: z.string().min(1),
  message: z.string(),
  trace_id: z
    .string()
    .regex(/^[0-9a-f]{32}$/)
    .optional(),
  span_id: z
    .string()
    .regex(/^[0-9a-f]{16}$/)
    .optional(),
};

const fidelity = z.object({ value: z.number().min(0).max(1), method: z.enum(['hellinger', 'esp']) });

/** `quantum_circuit_execution`: one circuit run, its outcome and the circuit's metrics. */
export const circuitExecutionSchema = z.strictObject({
  ...common,
  event_type: z.literal('quantum_circuit_execution'),
  circuit_id: z.string().min(1),
  provider: z.string().min(1),
  device: z.string().min(1),
  execution_details: z.strictObject({
    circuit_name: z.string(),
    circuit_type: z.string().optional(),
    job_id: z.string().optional(),
    shots: z.number().int().nonnegative(),
    status: z.enum(['success', 'error', 'cancelled']),
    execution_time_seconds: nullableSeconds,
    queue_time_seconds: nullableSeconds,
    calibrated_at: z.string().optional(),
  }),
  quantum_metrics: z.strictObject({
    qubits: z.number().int().nonnegative().optional(),
    depth: z.number().int().nonnegative().optional(),
    gate_count: z.number().int().nonnegative().optional(),
    two_qubit_gates: z.number().int().nonnegative().optional(),
    measurements: z.number().int().nonnegative().optional(),
    fidelity: fidelity.optional(),
    estimated_success_probability: z.number().min(0).max(1).optional(),
  }),
});

/** `quantum_hardware_event`: a device changed status or calibration. */
export const hardwareEventSchema = z.strictObject({
  ...common,
  event_type: z.literal('quantum_hardware_event'),
  provider: z.string().min(1),
  device: z.string().min(1),
  hardware_event_type: z.string().min(1),
  event_details: record,
});

/** `quantum_algorithm_performance`: what an algorithm run achieved. */
export const algorithmPerformanceSchema = z.strictObject({
  ...common,
  event_type: z.literal('quantum_algorithm_performance'),
  algorithm_name: z.string().min(1),
  performance_metrics: record,
  quantum_advantage: z.boolean().nullable(),
  classical_comparison: record.nullable(),
});

/** `quantum_cost_event`: money spent, priced by a named catalogue version. */
export const costEventSchema = z.strictObject({
  ...common,
  event_type: z.literal('quantum_cost_event'),
  provider: z.string().min(1),
  device: z.string().optional(),
  cost_type: z.string().min(1),
  amount: z.number().nonnegative(),
  currency: z.string().length(3),
  cost_details: record,
});

/** `quantum_error`: a failure, with the exception when there was one. */
export const errorEventSchema = z.strictObject({
  ...common,
  event_type: z.literal('quantum_error'),
  error_type: z.string().min(1),
  error_message: z.string(),
  context: record,
  exception: z
    .strictObject({ type: z.string(), message: z.string(), stack: z.string().optional() })
    .optional(),
});

/** `quantum_security_event`: e.g. a credential found (and redacted) in telemetry; never the secret itself. */
export const securityEventSchema = z.strictObject({
  ...common,
  event_type: z.literal('quantum_security_event'),
  security_event_type: z.string().min(1),
  severity: z.enum(['low', 'medium', 'high', 'critical']),
  security_details: record,
});

/** Any Observer log line. */
export const logLineSchema = z.discriminatedUnion('event_type', [
  circuitExecutionSchema,
  hardwareEventSchema,
  algorithmPerformanceSchema,
  costEventSchema,
  errorEventSchema,
  securityEventSchema,
]);
export type LogLine = z.infer<typeof logLineSchema>;
