// Lint rules that protect the two things the type checker cannot:
// unawaited promises (lost errors) and non-deterministic imports in workflow code.
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

// For code that reads the API's JSON without typing every response.
const untypedJsonRules = Object.fromEntries(
  ['no-unsafe-member-access', 'no-unsafe-assignment', 'no-unsafe-call', 'no-unsafe-return', 'no-unsafe-argument', 'no-explicit-any'].map((r) => [
    `@typescript-eslint/${r}`,
    'off',
  ]),
);

export default tseslint.config(
  // src/client/schema.ts is generated from the OpenAPI document (npm run generate:client).
  { ignores: ['node_modules/**', 'dist/**', '.hookflow/**', 'bin/**', '.ci/**', 'eslint.config.mjs', '.dependency-cruiser.cjs', 'src/client/schema.ts'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      // The one plain-JavaScript module (a node:test reporter, loaded before TypeScript is) is linted too.
      parserOptions: { projectService: { allowDefaultProject: ['test/support/*.mjs'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Workflow code is replayed; it must not reach the outside world except through activities.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'Workflows must be deterministic: no Node built-ins.' })),
          patterns: [
            {
              // The contract (messages, status, retry maths, search-attribute keys) lives beside the workflows.
              group: ['../activities/*', '../activities', '../src/*'],
              allowTypeImports: true,
              message: 'Workflows import activities and services as types only.',
            },
          ],
        },
      ],
    },
  },
  {
    // SQL lives in src/db (the dev stack talks to its own embedded server); everyone else calls a repository.
    files: ['src/**/*.ts', 'activities/**/*.ts', 'workflows/**/*.ts'],
    ignores: ['src/db/**', 'src/dev/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        ...['Literal', 'TemplateElement'].map((node) => ({
          selector: `${node}[${node === 'Literal' ? 'value' : 'value.raw'}=/\\b(SELECT\\s[\\s\\S]+\\sFROM|INSERT INTO|UPDATE\\s+\\w+\\s+SET|DELETE FROM)\\b/]`,
          message: 'SQL belongs in src/db: add a repository function there.',
        })),
      ],
    },
  },
  {
    // Tests and the benchmark read JSON responses; typing every one would add noise, not safety.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: untypedJsonRules,
  },
  {
    // The portal's browser script reads the API's JSON the way the tests do (the API's own zod
    // schemas are the contract); the same rules are off for the same reason. Everything else applies.
    files: ['src/portal/web/**/*.js'],
    rules: untypedJsonRules,
  },
);
