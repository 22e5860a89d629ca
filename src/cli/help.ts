// Examples shown at the end of each command's --help (commands that define their own are left as they are).
import type { Command } from 'commander';

const EXAMPLES: Record<string, string[]> = {
  analyze: ['qobs analyze circuit.qasm', 'qobs analyze circuit.qasm --basis cx,u3 --json'],
  simulate: [
    'qobs simulate ghz.qasm --shots 4096 --seed 1',
    'qobs simulate ghz.qasm --device local.fake_toronto --json',
    'qobs simulate ghz.qasm --calibration props.json --configuration conf.json',
  ],
  run: [
    'qobs run ghz.qasm --device local.fake_manila --repeat 10 --metrics-out ghz.prom',
    'OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 qobs run ghz.qasm',
  ],
  query: [
    "qobs query 'sum by (device) (quantum_circuit_executions_total)' --url http://127.0.0.1:8000",
    "qobs query 'rate(quantum_circuit_executions_total[5m])' --start -1h --end now --step 60 --data .qobs --json",
  ],
  import: ['qobs import metrics.om --data .qobs'],
  alerts: [
    'qobs alerts list',
    "qobs alerts silence device=fake_manila --duration 2h --comment 'maintenance'",
    'qobs alerts expire SILENCE_ID',
  ],
  export: [
    'qobs export stack --out ./stack',
    'qobs export grafana --out ./grafana',
    'qobs export rules --out ./rules',
  ],
  cost: [
    'qobs cost catalogue --json',
    'qobs cost estimate --device braket.ionq/forte-1 --shots 1000 --tasks 20',
    'qobs cost report --since 7d --json',
  ],
  devices: ['qobs devices', 'qobs devices --provider local --json'],
};

/** Adds an Examples section to the help of every registered command that has none. */
export function addExamples(program: Command): void {
  for (const cmd of program.commands) {
    const lines = EXAMPLES[cmd.name()];
    if (!lines) continue;
    if (cmd.helpInformation().includes('Examples')) continue;
    cmd.addHelpText('after', `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}\n`);
  }
}
