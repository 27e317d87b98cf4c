import { z } from 'zod';
import { procedure } from './define.js';

export const novafileIssue = z.object({
  file: z.string(),
  line: z.number().int(),
  column: z.number().int(),
  /** Dotted key path, e.g. "vm.win11.cpus". Empty for syntax errors. */
  path: z.string(),
  message: z.string(),
  fix: z.string().optional(),
});
export type NovafileIssue = z.infer<typeof novafileIssue>;

export const novafileProcedures = {
  'novafile.validate': procedure({
    summary: 'Parse and validate a NovaFile; errors carry file:line:column and a fix',
    input: z
      .object({
        path: z.string().optional(),
        /** Validate this text instead of reading `path` (the path is still used in messages). */
        text: z.string().optional(),
        cwd: z.string().optional(),
      })
      .strict()
      .default({}),
    output: z.object({
      valid: z.boolean(),
      file: z.string(),
      project: z.string().optional(),
      counts: z.object({ vm: z.number(), container: z.number(), network: z.number() }),
      errors: z.array(novafileIssue),
      /** The normalized NovaFile with secrets redacted (only when valid and under 1 MiB; at most 1000 errors are listed). */
      novafile: z.unknown().optional(),
    }),
  }),
};
