// Lint rules that keep the layers of DESIGN.md honest (`npm run lint`, run first by `npm test`).
// Each layer rule's message says what the layer may use instead; fix the import, don't silence it.
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import tseslint from 'typescript-eslint';

const ELECTRON = ['electron', 'electron/*', 'electron-store', '@electron/*'];
const NODE_BUILTINS = ['node:*', 'fs', 'fs/*', 'path', 'os', 'child_process', 'net', 'crypto', 'events', 'stream', 'util', 'url', 'http', 'https'];

/** A `no-restricted-imports` rule: each entry forbids import specifiers matching `group`, with `message`. */
const restrict = (...patterns) => ['error', { patterns }];
const noElectron = (layer) => ({
  group: ELECTRON,
  message: `${layer} runs under plain Node (CLI, nova serve) too: only src/main and src/preload may import electron.`,
});
const noFaces = (layer, faces) => ({
  group: faces.map((f) => `**/${f}/**`),
  message: `${layer} may not import from ${faces.map((f) => `src/${f}`).join(', ')} (layers in DESIGN.md: each imports only from the layers below it).`,
});

export default tseslint.config(
  {
    ignores: ['out/**', 'dist/**', 'node_modules/**', 'native/**', 'resources/**', '**/*.js', '**/*.mjs', '**/*.cjs', 'bench/results/**'],
  },
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin, 'import-x': importX },
    settings: {
      ...importX.flatConfigs.typescript.settings,
      'import-x/resolver': undefined,
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: 'tsconfig.json' })],
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A promise nobody awaits loses its error: await it, return it, or mark it `void` on purpose.
      '@typescript-eslint/no-floating-promises': 'error',
      // Value imports only (`import type` cycles are fine): a cycle means two files are one concern.
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  {
    files: ['src/shared/**/*.ts'],
    ignores: ['src/shared/**/*.test.ts'],
    rules: {
      'no-restricted-imports': restrict(
        { group: NODE_BUILTINS, message: 'src/shared runs in the renderer too: no node:* modules here (put host code in src/core).' },
        noElectron('src/shared'),
        { group: ['react', 'react-dom', 'react/*'], message: 'src/shared is UI-free: React belongs in src/renderer.' },
        noFaces('src/shared', ['core', 'cli', 'server', 'main', 'preload', 'renderer', 'launcher', 'test']),
      ),
    },
  },
  {
    files: ['src/core/**/*.ts'],
    ignores: ['src/core/**/*.test.ts'],
    rules: {
      'no-restricted-imports': restrict(noElectron('src/core'), noFaces('src/core', ['cli', 'server', 'main', 'preload', 'renderer', 'launcher', 'test'])),
    },
  },
  {
    files: ['src/core/**/*.test.ts'],
    rules: {
      'no-restricted-imports': restrict(noElectron('src/core'), noFaces('src/core (its tests too)', ['cli', 'server', 'main', 'preload', 'renderer', 'launcher'])),
    },
  },
  {
    files: ['src/cli/**/*.ts', 'src/server/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': restrict(noElectron('src/cli and src/server'), noFaces('src/cli and src/server', ['main', 'preload', 'renderer', 'launcher', 'test'])),
    },
  },
  {
    // The CLI stays thin (argv → call → print): one file per verb group, short functions.
    files: ['src/cli/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }],
      'max-lines': ['error', { max: 400, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    files: ['src/main/**/*.ts', 'src/launcher/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': restrict(noFaces('src/main and src/launcher', ['cli', 'server', 'preload', 'renderer', 'test'])),
    },
  },
  {
    files: ['src/preload/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict(noFaces('src/preload', ['core', 'cli', 'server', 'main', 'renderer', 'launcher', 'test'])),
    },
  },
  {
    files: ['src/renderer/**/*.ts', 'src/renderer/**/*.tsx'],
    ignores: ['**/*.test.ts', '**/*.test.tsx', 'src/renderer/src/test/**'],
    rules: {
      'no-restricted-imports': restrict(
        { group: NODE_BUILTINS, message: 'src/renderer runs in a browser page: no node:* modules (ask the engine through the NovaBridge).' },
        { group: ELECTRON, message: 'src/renderer talks to the engine only through the NovaBridge (window.nova), never electron.' },
        noFaces('src/renderer (it reaches the engine through the NovaBridge and src/shared/contract)', ['core', 'cli', 'server', 'main', 'preload', 'launcher', 'test']),
      ),
    },
  },
);
