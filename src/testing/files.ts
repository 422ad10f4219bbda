// Scenario files: what a user typed (files, or folders searched for *.call.json).
import { basename } from 'node:path';
import { resolvePaths } from '../files.js';

export const SCENARIO_SUFFIX = '.call.json';

/** Scenario files for what a user typed: files as given, folders searched for *.call.json. */
export const findScenarios = (paths: readonly string[]): { files: string[]; problems: string[] } => resolvePaths(paths, SCENARIO_SUFFIX);

/** A scenario's default name: its file's, without .call.json. */
export const scenarioName = (file: string): string => basename(file).replace(/\.call\.json$/, '').replace(/\.json$/, '');
