// Registers every `qobs` subcommand. Each command lives in its own file and exports `register`.
import type { Command } from 'commander';
import { register as registerAlerts } from './alerts.js';
import { register as registerAnalyze } from './analyze.js';
import { register as registerCost } from './cost.js';
import { register as registerExportAlerts } from './export-alerts.js';
import { register as registerExportStack } from './export-stack.js';
import { register as registerImport } from './import.js';
import { register as registerQuery } from './query.js';
import { register as registerRun } from './run.js';
import { register as registerDevices } from './devices.js';
import { register as registerSimulate } from './simulate.js';
import { register as registerDemo } from './demo.js';
import { register as registerExamples } from './examples.js';
import { register as registerStart } from './start.js';
import { register as registerUp } from './up.js';

type Register = (program: Command) => void;

const registrations: Register[] = [];
registrations.push(registerAlerts);
registrations.push(registerExportAlerts);
registrations.push(registerExportStack);
registrations.push(registerRun);
registrations.push(registerQuery);
registrations.push(registerImport);
registrations.push(registerSimulate);
registrations.push(registerUp);
registrations.push(registerAnalyze);
registrations.push(registerExamples);
registrations.push(registerStart);
registrations.push(registerDevices);
registrations.push(registerDemo);
registrations.push(registerCost);

export function registerAll(program: Command): void {
  for (const r of registrations) r(program);
}
