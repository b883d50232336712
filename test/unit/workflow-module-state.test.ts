// The workflow bundle preloads every module under workflows/ once per V8 context (see
// workflowPreloadModules), so one module instance serves every workflow on the worker thread. State at
// module scope would then leak from one workflow into another: these checks keep it out.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import { workflowPreloadModules } from '../../src/temporal/bundle-workflows';
import { WORKFLOWS_PATH } from '../../src/server/temporal-worker';

const root = path.join(__dirname, '..', '..', 'workflows');
const files = (readdirSync(root, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => path.join(root, f));

/**
 * Top-level `let`/`var` declarations, and top-level `new Map/Set/WeakMap/WeakSet` (Object.freeze does
 * not freeze their contents) unless typed ReadonlySet/ReadonlyMap, which the compiler keeps unwritten.
 */
function moduleState(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  for (const statement of source.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    const list = statement.declarationList;
    const line = source.getLineAndCharacterOfPosition(statement.getStart()).line + 1;
    if (!(list.flags & ts.NodeFlags.Const)) found.push(`${path.relative(root, file)}:${line}: top-level let/var`);
    for (const d of list.declarations) {
      const init = d.initializer;
      const readonly = d.type !== undefined && /^Readonly(Set|Map)</.test(d.type.getText(source));
      if (init && !readonly && ts.isNewExpression(init) && /^(Map|Set|WeakMap|WeakSet)$/.test(init.expression.getText(source))) {
        found.push(`${path.relative(root, file)}:${line}: top-level ${init.expression.getText(source)}`);
      }
    }
  }
  return found;
}

void test('the workflow entry is among the preloaded modules (what the checks below protect)', () => {
  assert.ok(workflowPreloadModules(WORKFLOWS_PATH).includes(WORKFLOWS_PATH));
});

void test('no module under workflows/ keeps state at module scope', () => {
  assert.ok(files.length > 5, 'found the workflow modules');
  assert.deepEqual(files.flatMap(moduleState), []);
});

void test('the check sees a top-level let and a top-level Map', () => {
  const file = path.join(tmpdir(), `hookflow-wf-state-${process.pid}.ts`);
  writeFileSync(file, 'let n = 0;\nconst seen = new Map<string, number>();\nconst ok = 1;\nconst fixed: ReadonlySet<string> = new Set([\'a\']);\nexport function f() { let inner = 1; return inner + n + ok + seen.size + fixed.size; }\n');
  try {
    assert.equal(moduleState(file).length, 2);
  } finally {
    rmSync(file, { force: true });
  }
});
