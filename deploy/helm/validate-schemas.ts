// Checks rendered Kubernetes manifests (multi-document YAML on stdin) against the Kubernetes API's
// OpenAPI schemas, offline, with the `kubernetes-models` packages: required fields, types, enums and
// formats, for the core kinds and KEDA's. (They accept unknown fields; deploy/helm/kube-strict
// catches those for the core kinds.) Exits non-zero if any object fails or none was checked.
import { parseAllDocuments } from 'yaml';

interface Manifest {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string };
}
type Model = new (data: Manifest) => { validate(): void };

// apiVersion → the package path that holds its models, one module per kind. The packages are ESM
// only, hence the dynamic import.
const packageOf = (apiVersion: string): string =>
  apiVersion.startsWith('keda.sh/') ? `@kubernetes-models/keda/${apiVersion}` : `kubernetes-models/${apiVersion}`;

async function modelFor(apiVersion: string, kind: string): Promise<Model | undefined> {
  try {
    const mod = (await import(`${packageOf(apiVersion)}/${kind}`)) as Record<string, unknown>;
    const model = mod[kind];
    return typeof model === 'function' ? (model as Model) : undefined;
  } catch {
    return undefined;
  }
}

async function main(): Promise<number> {
  let input = '';
  for await (const chunk of process.stdin) input += String(chunk);
  let checked = 0;
  let failed = 0;
  for (const doc of parseAllDocuments(input)) {
    if (doc.errors.length > 0) {
      console.error(`FAIL: not valid YAML: ${doc.errors.map((e) => e.message).join('; ')}`);
      failed += 1;
      continue;
    }
    const object = doc.toJS() as Manifest | null;
    if (object === null || object === undefined) continue; // a template that rendered nothing
    const id = `${object.apiVersion} ${object.kind}/${object.metadata?.name ?? '(no name)'}`;
    const Model = object.apiVersion && object.kind ? await modelFor(object.apiVersion, object.kind) : undefined;
    if (!Model) {
      console.error(`FAIL: ${id}: no schema for this apiVersion and kind`);
      failed += 1;
      continue;
    }
    try {
      new Model(object).validate();
      console.log(`ok    ${id}`);
      checked += 1;
    } catch (err) {
      console.error(`FAIL: ${id}: ${(err as Error).message}`);
      failed += 1;
    }
  }
  console.log(`kubernetes-models: ${checked} objects valid, ${failed} failed`);
  return failed > 0 || checked === 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(2);
  },
);
