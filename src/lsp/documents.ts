// The documents the client has open, each with the lint result of its current text (computed
// once per version, on demand: diagnostics, hover, completion and code actions share it).
import { TextDocument, type TextDocumentContentChangeEvent } from 'vscode-languageserver-textdocument';
import { lint, type LintResult } from '../validate/lint.js';
import type { LintOptionsFor } from './settings.js';

interface Entry {
  doc: TextDocument;
  result?: { version: number; options: string; value: LintResult };
}

export class Documents {
  private readonly open = new Map<string, Entry>();

  constructor(private readonly lintOptionsFor: LintOptionsFor) {}

  openDocument(uri: string, languageId: string, version: number, text: string): TextDocument {
    const doc = TextDocument.create(uri, languageId, version, text);
    this.open.set(uri, { doc });
    return doc;
  }

  /** Applies changes in order (ranged or whole-text); undefined when the document is not open. */
  change(uri: string, version: number, changes: TextDocumentContentChangeEvent[]): TextDocument | undefined {
    const entry = this.open.get(uri);
    if (!entry) return undefined;
    entry.doc = TextDocument.update(entry.doc, changes, version);
    return entry.doc;
  }

  close(uri: string): boolean {
    return this.open.delete(uri);
  }

  get(uri: string): TextDocument | undefined {
    return this.open.get(uri)?.doc;
  }

  uris(): string[] {
    return [...this.open.keys()];
  }

  /** The lint result of the document's current text, with the options it has now. */
  lintResult(uri: string): { doc: TextDocument; result: LintResult } | undefined {
    const entry = this.open.get(uri);
    if (!entry) return undefined;
    const options = this.lintOptionsFor(uri);
    const key = JSON.stringify(options);
    if (!entry.result || entry.result.version !== entry.doc.version || entry.result.options !== key) {
      entry.result = { version: entry.doc.version, options: key, value: lint(entry.doc.getText(), options) };
    }
    return { doc: entry.doc, result: entry.result.value };
  }
}
