import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CalibrationFormatError, readIbmCalibration } from './calibration.js';

const FIXTURES = path.resolve(
  import.meta.dirname,
  '..',
  '..',
  '..',
  '..',
  'shared',
  'fixtures',
  'devices',
  'ibm',
);
const NAMES = ['toronto', 'belem', 'lima', 'manila', 'kolkata', 'brisbane', 'fez'];

// biome-ignore lint/suspicious/noExplicitAny: raw JSON read straight from the snapshot
function load(name: string): { props: any; conf: any } {
  const read = (kind: string) =>
    JSON.parse(readFileSync(path.join(FIXTURES, name, `${kind}_${name}.json`), 'utf8'));
  return { props: read('props'), conf: read('conf') };
}

// biome-ignore lint/suspicious/noExplicitAny: raw JSON
function param(list: any[], name: string): any {
  return list.find((p) => p.name === name);
}

describe('readIbmCalibration', () => {
  for (const name of NAMES) {
    it(`maps ${name} without loss`, () => {
      const { props, conf } = load(name);
      const cal = readIbmCalibration(props, conf);
      expect(cal.provider).toBe('ibm');
      expect(cal.device).toBe(props.backend_name);
      expect(cal.numQubits).toBe(conf.n_qubits);
      expect(cal.basisGates).toEqual(conf.basis_gates);
      expect(cal.maxShots).toBe(conf.max_shots);
      expect(cal.couplingMap).toEqual(conf.coupling_map);
      expect(Date.parse(cal.calibratedAt)).toBe(Date.parse(props.last_update_date));
      expect(cal.qubits).toHaveLength(props.qubits.length);
      props.qubits.forEach((raw: unknown[], q: number) => {
        const got = cal.qubits[q];
        const p = (n: string) => param(raw, n);
        expect(p('T1').unit).toBe('us');
        expect(got.t1Seconds).toBeCloseTo(p('T1').value * 1e-6, 15);
        expect(got.t2Seconds).toBeCloseTo(p('T2').value * 1e-6, 15);
        if (p('frequency')) expect(got.frequencyHz).toBeCloseTo(p('frequency').value * 1e9, 3);
        else expect(got.frequencyHz).toBeUndefined();
        expect(got.readoutError).toBe(p('readout_error').value);
        expect(got.probMeas0Prep1).toBe(p('prob_meas0_prep1').value);
        expect(got.probMeas1Prep0).toBe(p('prob_meas1_prep0').value);
        expect(got.readoutLengthSeconds).toBeCloseTo(p('readout_length').value * 1e-9, 18);
      });
      expect(cal.gates).toHaveLength(props.gates.length);
      // biome-ignore lint/suspicious/noExplicitAny: raw JSON
      props.gates.forEach((raw: any, i: number) => {
        const got = cal.gates[i];
        expect(got.gate).toBe(raw.gate);
        expect(got.qubits).toEqual(raw.qubits);
        const err = param(raw.parameters, 'gate_error');
        const len = param(raw.parameters, 'gate_length');
        expect(got.error).toBe(err?.value);
        if (len) expect(got.lengthSeconds).toBeCloseTo(len.value * 1e-9, 18);
        else expect(got.lengthSeconds).toBeUndefined();
      });
    });
  }

  it('derives basis gates and coupling from the properties alone', () => {
    const { props } = load('belem');
    const cal = readIbmCalibration(props);
    expect(new Set(cal.basisGates)).toEqual(new Set(['id', 'rz', 'sx', 'x', 'cx', 'reset']));
    expect(cal.couplingMap).toHaveLength(8);
    expect(cal.maxShots).toBeUndefined();
    expect(cal.numQubits).toBe(5);
  });

  it('names the path of every bad field', () => {
    const { props, conf } = load('belem');
    props.qubits[2][0].value = 'long';
    props.qubits[3][1].unit = 'fortnights';
    props.gates[4].parameters[0].value = 1.5;
    props.gates[6].qubits = [0, 9];
    conf.max_shots = -1;
    let err: CalibrationFormatError | undefined;
    try {
      readIbmCalibration(props, conf);
    } catch (e) {
      err = e as CalibrationFormatError;
    }
    expect(err).toBeInstanceOf(CalibrationFormatError);
    expect(err?.code).toBe('calibration_invalid');
    const paths = err?.issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'properties.qubits[2][0].value',
        'properties.qubits[3][1].unit',
        'properties.gates[4].parameters[0].value',
        'properties.gates[6].qubits[1]',
        'configuration.max_shots',
      ]),
    );
    expect(err?.message).toContain('properties.qubits[3][1].unit');
  });

  it('rejects a document that is not an object', () => {
    expect(() => readIbmCalibration([])).toThrow(/properties: expected a JSON object/);
    expect(() => readIbmCalibration({ backend_name: 'x', qubits: [], gates: [] })).toThrow(
      /last_update_date/,
    );
  });
});
