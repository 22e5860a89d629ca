// Reads a QASM file from disk: the one function of the circuit module that does I/O.
import { readFileSync } from 'node:fs';
import type { Circuit } from '../ir.js';
import { parseQasm } from './parser.js';

/** Reads and parses an OpenQASM 2 or 3 file; errors name the path as given. */
export function parseQasmFile(path: string): Circuit {
  return parseQasm(readFileSync(path, 'utf8'), { filename: path });
}
