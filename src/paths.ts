import { fileURLToPath } from 'node:url';

// src/ and dist/ sit side by side at the package root, so this resolves the same from both.
export const packageRoot = fileURLToPath(new URL('../', import.meta.url));
export const builtGrammarDir = fileURLToPath(new URL('../build/grammar/', import.meta.url));
