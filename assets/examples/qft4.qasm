// Quantum Fourier transform on 4 qubits: controlled phases as `ctrl @ p`, then the final bit reversal.
OPENQASM 3.0;
include "stdgates.inc";
qubit[4] q;
bit[4] c;
// input state |0101>
x q[0];
x q[2];
h q[3];
ctrl @ p(pi / 2) q[2], q[3];
ctrl @ p(pi / 4) q[1], q[3];
ctrl @ p(pi / 8) q[0], q[3];
h q[2];
ctrl @ p(pi / 2) q[1], q[2];
ctrl @ p(pi / 4) q[0], q[2];
h q[1];
ctrl @ p(pi / 2) q[0], q[1];
h q[0];
swap q[0], q[3];
swap q[1], q[2];
c = measure q;
