import { z } from 'zod';
import { resourceName } from '../names.js';
import { procedure } from './define.js';
import { lazy } from '../lazy.js';

export const novafileIssue = lazy(() => z.object({
  file: z.string(),
  line: z.number().int(),
  column: z.number().int(),
  /** Dotted key path, e.g. "vm.win11.cpus". Empty for syntax errors. */
  path: z.string(),
  message: z.string(),
  fix: z.string().optional(),
}));
export type NovafileIssue = z.infer<typeof novafileIssue>;

export const novafileProcedures = {
  'novafile.validate': procedure({
    summary: 'Parse and validate a NovaFile; errors carry file:line:column and a fix',
    input: lazy(() => z
      .object({
        path: z.string().optional(),
        /** Validate this text instead of reading `path` (the path is still used in messages). */
        text: z.string().optional(),
        cwd: z.string().optional(),
      })
      .strict()
      .default({})),
    output: lazy(() => z.object({
      valid: z.boolean(),
      file: z.string(),
      project: z.string().optional(),
      counts: z.object({ vm: z.number(), container: z.number(), network: z.number() }),
      errors: z.array(novafileIssue),
      /** The normalized NovaFile with secrets redacted (only when valid and under 1 MiB; at most 1000 errors are listed). */
      novafile: z.unknown().optional(),
    })),
  }),
  'novafile.addVm': procedure({
    summary: 'Append a [vm.NAME] entry to the NovaFile (created if missing); refuses a name it already has or an entry that does not validate',
    input: lazy(() => z
      .object({
        name: resourceName,
        /** The entry as a NovaFile writes it (z.input of the vm schema, e.g. memory = "8Gi"), as vm.wizard renders it. */
        spec: z.record(z.string(), z.unknown()),
        /** The NovaFile (`-f PATH`); default: the one in `cwd`, or a new `cwd/NovaFile`. */
        path: z.string().optional(),
        cwd: z.string().optional(),
      })
      .strict()),
    output: lazy(() => z.object({
      file: z.string(),
      /** The file did not exist before. */
      created: z.boolean(),
      /** The entry as appended. */
      toml: z.string(),
    })),
  }),
};
