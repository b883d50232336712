import { Command, Option } from '@commander-js/extra-typings';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { unwrap, type HookflowClient } from '../../client';
import { catalogFile, planApply, type CatalogEntry, type CatalogFileEntry } from '../../event-types/apply-plan';
import { definitionProblems } from '../../event-types/definition-check';
import { schemaFields } from '../../event-types/schema-fields';
import { connect } from '../api-target';
import { CliError } from '../errors';
import { oneLine, out, printFields, printJson, printTable, when } from '../output';

const json = () => new Option('--json', 'print the API answer as JSON');
// The catalog is small by nature; a bound keeps a broken cursor from looping forever.
const MAX_PAGES = 1_000;

async function wholeCatalog(client: HookflowClient): Promise<CatalogEntry[]> {
  const all: CatalogEntry[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const res = await unwrap(client.GET('/v1/event-types', { params: { query: { limit: 100, cursor } } }));
    all.push(...res.data);
    if (!res.nextCursor) return all;
    cursor = res.nextCursor;
  }
  throw new CliError(`the catalog has more than ${MAX_PAGES * 100} event types`);
}

/** Reads and checks the whole file before any change, so a bad entry changes nothing. */
function readCatalogFile(file: string): CatalogFileEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    // YAML is a superset of JSON: one parser reads both.
    parsed = parseYaml(text);
  } catch (err) {
    throw new CliError(`${file} is neither YAML nor JSON: ${(err as Error).message}`);
  }
  const checked = catalogFile.safeParse(parsed);
  if (!checked.success) {
    throw new CliError(`${file} is not an event catalog:\n${checked.error.issues.map((i) => `  ${i.path.join('.') || '(file)'}: ${i.message}`).join('\n')}`);
  }
  const problems = checked.data.flatMap((e) =>
    definitionProblems(e.schema ?? null, e.examples ?? [], { schema: `${e.name}: schema`, examples: `${e.name}: examples` }),
  );
  if (problems.length > 0) throw new CliError(`${file} has invalid definitions (nothing was changed):\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`);
  return checked.data;
}

const apply = () =>
  new Command('apply')
    .description(
      'Make the event catalog match a file (YAML or JSON: a list of {name, description, schema, examples, deprecated}, or {eventTypes: [...]}). ' +
        'Creates and updates what differs and nothing else, so a second run changes nothing. Types in the catalog but not in the file are kept unless --prune.',
    )
    .argument('<file>', 'the catalog file')
    .option('--prune', 'also delete event types that are not in the file')
    .option('--dry-run', 'print what would change and change nothing')
    .addOption(json())
    .action(async (file, opts) => {
      const entries = readCatalogFile(file);
      const { client } = connect();
      const plan = planApply(await wholeCatalog(client), entries);
      const deleting = opts.prune ? plan.extra : [];
      if (!opts.dryRun) {
        for (const e of plan.create) await unwrap(client.POST('/v1/event-types', { body: e }));
        for (const u of plan.update) await unwrap(client.PATCH('/v1/event-types/{name}', { params: { path: { name: u.name } }, body: u.patch }));
        for (const name of deleting) await unwrap(client.DELETE('/v1/event-types/{name}', { params: { path: { name } } }));
      }
      const summary = { created: plan.create.map((e) => e.name), updated: plan.update.map((u) => ({ name: u.name, fields: Object.keys(u.patch) })), deleted: deleting, unchanged: plan.unchanged, kept: opts.prune ? [] : plan.extra, dryRun: Boolean(opts.dryRun) };
      if (opts.json) return printJson(summary);
      const verb = (done: string, would: string) => (opts.dryRun ? would : done);
      for (const n of summary.created) out(`${verb('created', 'would create')} ${n}`);
      for (const u of summary.updated) out(`${verb('updated', 'would update')} ${u.name} (${u.fields.join(', ')})`);
      for (const n of summary.deleted) out(`${verb('deleted', 'would delete')} ${n}`);
      for (const n of summary.kept) out(`kept ${n} (not in the file; --prune deletes it)`);
      const changes = summary.created.length + summary.updated.length + summary.deleted.length;
      out(
        changes === 0
          ? `nothing to change: ${summary.unchanged.length} event type${summary.unchanged.length === 1 ? '' : 's'} already match ${file}`
          : `${summary.created.length} created, ${summary.updated.length} updated, ${summary.deleted.length} deleted, ${summary.unchanged.length} unchanged${opts.dryRun ? ' (dry run: nothing was changed)' : ''}`,
      );
    });

const list = () =>
  new Command('list')
    .description('List the event catalog by name (GET /v1/event-types).')
    .option('--no-deprecated', 'leave deprecated types out')
    .addOption(json())
    .action(async (opts) => {
      const { client } = connect();
      const types = (await wholeCatalog(client)).filter((t) => opts.deprecated || !t.deprecated);
      if (opts.json) return printJson(types);
      if (types.length === 0) return out('the catalog is empty: `hookflow event-types apply <file>` fills it');
      printTable(
        ['NAME', 'SCHEMA', 'EXAMPLES', 'DEPRECATED', 'DESCRIPTION'],
        types.map((t) => [t.name, t.schema ? `${schemaFields(t.schema).length} fields` : 'none', t.examples.length, t.deprecated ? 'yes' : '', oneLine(t.description, 50)]),
      );
    });

const show = () =>
  new Command('show')
    .description('Show one event type: its fields, from its schema, and its examples (GET /v1/event-types/:name).')
    .argument('<name>', 'the event type, e.g. invoice.paid')
    .addOption(json())
    .action(async (name, opts) => {
      const { client } = connect();
      const t = await unwrap(client.GET('/v1/event-types/{name}', { params: { path: { name } } }));
      if (opts.json) return printJson(t);
      printFields([
        ['name', t.name],
        ['description', t.description],
        ['deprecated', t.deprecated ? 'yes' : 'no'],
        ['updated', when(t.updatedAt)],
      ]);
      out();
      if (!t.schema) out('no schema: any data is accepted');
      else printTable(['FIELD', 'TYPE', 'REQUIRED', 'DESCRIPTION'], t.fields.map((f) => [f.path, f.type, f.required ? 'yes' : '', oneLine(f.description, 60)]));
      t.examples.forEach((e, i) => {
        out();
        out(`example ${i + 1}:`);
        out(JSON.stringify(e, null, 2));
      });
    });

export const eventTypesCommand = () =>
  new Command('event-types')
    .summary('the event catalog: apply a file, list, show')
    .description('The event catalog: event types with JSON Schemas, validated at ingest and published at /v1/event-types/openapi.json.')
    .addCommand(apply())
    .addCommand(list())
    .addCommand(show());
