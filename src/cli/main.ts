#!/usr/bin/env node
/**
 * gmlayer command line.
 *
 *   gmlayer eval CASE.json [--impl reference|montecarlo|tfjs] [--samples N] [--seed S] [--antithetic] [--backend NAME]
 *
 * Reads a case (reference/case.ts; `-` reads standard input) and prints one JSON object:
 *   { "impl", "y": B×L, "grad": { "mu", "sigma", "U", "v", "x" } }
 * with the gradients of Σ upstream ⊙ y; montecarlo adds "stderr" (B×L), "gradStderr",
 * "samples", "seed" and "antithetic". Bad input: exit code 2 and one line on stderr.
 */
import { runCli } from './run.js';

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
