// The shape shared by the read-only listing commands (`models`, `queues`, `workers`): no
// arguments, fetch a list from the farm, print it as JSON (`--json`) or as a table.
import { EXIT_OK, UsageError, farmContext, parseCommandArgs, runFarmCommand, type FarmContext } from './farm-command.js';
import { printJson, printTable } from './print-output.js';

export interface ListCommand<T> {
  name: string;
  usage: string;
  fetch: (farm: FarmContext) => Promise<T[]>;
  columns: string[];
  row: (item: T) => string[];
  /** Printed instead of the table when the list is empty. */
  empty: string;
}

export function runListCommand<T>(argv: string[], command: ListCommand<T>): Promise<number> {
  return runFarmCommand(command.name, command.usage, async () => {
    const { values, positionals } = parseCommandArgs(argv, {});
    if (values.help) {
      process.stdout.write(command.usage);
      return EXIT_OK;
    }
    if (positionals.length) throw new UsageError(`unexpected arguments: ${positionals.join(' ')}`);
    const farm = farmContext(values);
    const items = await command.fetch(farm);
    if (farm.json) printJson({ data: items });
    else printTable(command.columns, items.map(command.row), command.empty);
    return EXIT_OK;
  });
}
