// `didml lsp` driven over stdio by a real LSP client, message by message as an editor sends them.
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { CodeAction, CompletionItem, CompletionList, Diagnostic, Hover, MarkupContent, TextEdit } from 'vscode-languageserver-protocol';
import { lint } from '../../src/validate/lint.js';
import { formatDocument } from '../../src/format/fmt.js';
import { loadGrammar } from '../../src/grammar/index.js';
import { initialize, open, repo, startClient, stop, type Client } from './client.js';

const DFS = readFileSync(join(repo, 'examples/didforsale-forward/voice.xml'), 'utf8');
const version = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }).version;

let client: Client;
let n = 0;
/** A fresh URI per test: documents stay open on the one server. */
const uri = () => `file:///work/app/doc-${++n}.xml`;

/** Where `needle` (its `nth` occurrence) is in `text`, as an LSP position: 0-based line, UTF-16 character. */
function positionOf(text: string, needle: string, nth = 0, delta = 0) {
  let at = -1;
  for (let i = 0; i <= nth; i++) at = text.indexOf(needle, at + 1);
  if (at < 0) throw new Error(`${needle} not in the text`);
  at += delta;
  const before = text.slice(0, at);
  const line = before.split(/\r\n|\r|\n/).length - 1;
  const lineStart = Math.max(before.lastIndexOf('\n'), before.lastIndexOf('\r')) + 1;
  return { line, character: at - lineStart };
}

const request = <R>(method: string, params: unknown) => client.connection.sendRequest(method, params) as Promise<R>;
const labels = (r: CompletionItem[] | CompletionList | null) => (Array.isArray(r) ? r : (r?.items ?? [])).map((i) => i.label);
const items = (r: CompletionItem[] | CompletionList | null) => (Array.isArray(r) ? r : (r?.items ?? []));

async function protocolError(p: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await p;
  } catch (e) {
    return e as { code: number; message: string };
  }
  throw new Error('the request succeeded');
}

beforeAll(() => {
  client = startClient();
});

afterAll(async () => {
  if (client.child.exitCode === null) {
    client.child.kill();
    await client.exited;
  }
});

describe('didml lsp: the protocol', () => {
  it('initializes with what it offers', async () => {
    const r = await initialize(client);
    expect(r.serverInfo).toEqual({ name: 'didml', version });
    expect(r.capabilities).toMatchObject({
      textDocumentSync: { openClose: true, change: 2 },
      hoverProvider: true,
      documentFormattingProvider: true,
      codeActionProvider: { codeActionKinds: ['quickfix', 'source.fixAll.didml'] },
    });
    expect(r.capabilities.completionProvider?.triggerCharacters).toContain('<');
  });

  it('publishes the same diagnostics as didml lint on open, positions in UTF-16 from 0', async () => {
    const u = uri();
    const published = await open(client, u, DFS);
    const expected = lint(DFS).diagnostics;
    expect(published.version).toBe(1);
    expect(published.diagnostics.map((d) => d.message)).toEqual(expected.map((d) => d.message));
    const mismatch = published.diagnostics.find((d) => String(d.code).startsWith('xml/mismatched-close-tag')) as Diagnostic;
    // `</Say>` on the fourth line of the document.
    expect(mismatch.range).toEqual({ start: positionOf(DFS, '</Say>'), end: positionOf(DFS, '</Say>', 0, '</Say>'.length) });
    expect(mismatch.source).toBe('didml');
    expect(mismatch.code).toBe('xml/mismatched-close-tag (12100)');
    expect(mismatch.codeDescription?.href).toBe('https://www.twilio.com/docs/api/errors/12100');
    expect(mismatch.severity).toBe(expected.find((d) => d.rule === 'xml/mismatched-close-tag')?.severity === 'error' ? 1 : 2);
  });

  it('relints on each incremental change and publishes for that version', async () => {
    const u = uri();
    await open(client, u, DFS);
    const next = client.diagnostics(u, 2);
    const at = positionOf(DFS, '</Say>');
    await client.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri: u, version: 2 },
      contentChanges: [{ range: { start: at, end: { line: at.line, character: at.character + 6 } }, text: '</sip>' }],
    });
    const published = await next;
    expect(published.diagnostics.map((d) => d.code)).not.toContain('xml/mismatched-close-tag (12100)');
    expect(published.diagnostics.map((d) => d.message)).toEqual(lint(DFS.replace('</Say>', '</sip>')).diagnostics.map((d) => d.message));
    // A whole-text change as well.
    const third = client.diagnostics(u, 3);
    await client.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri: u, version: 3 },
      contentChanges: [{ text: '<Response><Hangup/><Say>never</Say></Response>' }],
    });
    expect((await third).diagnostics.map((d) => d.code)).toEqual(['no-unreachable']);
  });

  it('counts positions in UTF-16 code units on lines with accents and emoji, CRLF line ends', async () => {
    const u = uri();
    const text = '<Response>\r\n  <Say>Café 😀 ☎</Say><Gather input="keypad"/>\r\n  <Say>é</Say><Pause length="x"/>\r\n</Response>\r\n';
    const published = await open(client, u, text);
    const input = published.diagnostics.find((d) => /input/.test(d.message)) as Diagnostic;
    const pause = published.diagnostics.find((d) => /length/.test(d.message)) as Diagnostic;
    // "  <Say>Café 😀 ☎</Say><Gather input="": the emoji is two UTF-16 units, so keypad starts at 37.
    expect(input.range.start).toEqual({ line: 1, character: 37 });
    expect(input.range.start).toEqual(positionOf(text, 'keypad'));
    expect(pause.range.start).toEqual(positionOf(text, 'x"/>'));
    // Hover at a position past the emoji lands on the attribute.
    const h = await request<Hover>('textDocument/hover', { textDocument: { uri: u }, position: positionOf(text, 'input', 0, 2) });
    expect((h.contents as MarkupContent).value).toContain('`input` on `<Gather>`');
    expect(h.range).toEqual({ start: positionOf(text, 'input'), end: positionOf(text, 'input', 0, 5) });
    // A fix's edit lands where it should after the emoji, on the second line of a CRLF document.
    const u2 = uri();
    const broken = '<Response>\r\n<Say>😀😀 naïve</Play>\r\n</Response>';
    await open(client, u2, broken);
    const actions = await request<CodeAction[]>('textDocument/codeAction', {
      textDocument: { uri: u2 },
      range: { start: positionOf(broken, '</Play>'), end: positionOf(broken, '</Play>') },
      context: { diagnostics: [] },
    });
    const fix = actions.find((a) => a.isPreferred) as CodeAction;
    expect(fix.diagnostics?.[0]?.range.start).toEqual({ line: 1, character: 15 });
    const fixed = TextDocument.applyEdits(TextDocument.create(u2, 'xml', 1, broken), fix.edit?.changes?.[u2] as TextEdit[]);
    expect(fixed).toBe('<Response>\r\n<Say>😀😀 naïve</Say>\r\n</Response>');
  });

  it('clears a document\'s diagnostics when it closes', async () => {
    const u = uri();
    await open(client, u, DFS);
    const cleared = client.diagnostics(u);
    await client.connection.sendNotification('textDocument/didClose', { textDocument: { uri: u } });
    expect((await cleared).diagnostics).toEqual([]);
    const e = await protocolError(request('textDocument/hover', { textDocument: { uri: u }, position: { line: 0, character: 0 } }));
    expect(e.code).toBe(-32602);
  });
});

describe('didml lsp: quick fixes', () => {
  it('offers each diagnostic\'s fix as a preferred quick fix whose edit is the linter\'s', async () => {
    const u = uri();
    await open(client, u, DFS);
    const at = positionOf(DFS, '</Say>', 0, 2);
    const actions = await request<CodeAction[]>('textDocument/codeAction', {
      textDocument: { uri: u },
      range: { start: at, end: at },
      context: { diagnostics: [] },
    });
    const fix = actions.find((a) => a.kind === 'quickfix' && a.isPreferred) as CodeAction;
    const expected = lint(DFS).diagnostics.find((d) => d.rule === 'xml/mismatched-close-tag');
    expect(fix.title).toBe(expected?.fix?.description);
    const edits = fix.edit?.changes?.[u] as TextEdit[];
    const applied = TextDocument.applyEdits(TextDocument.create(u, 'xml', 1, DFS), edits);
    expect(applied).toBe(DFS.replace('</Say>', '</sip>'));
    expect(fix.diagnostics?.[0]?.code).toBe('xml/mismatched-close-tag (12100)');
  });

  it('offers suggestions as quick fixes that are not preferred', async () => {
    const u = uri();
    const text = '<Response><Gather timeot="5"/></Response>';
    const published = await open(client, u, text);
    const expected = lint(text).diagnostics.find((d) => d.suggestions?.length);
    expect(expected).toBeDefined();
    const d = published.diagnostics.find((x) => x.message === expected?.message) as Diagnostic;
    const actions = await request<CodeAction[]>('textDocument/codeAction', { textDocument: { uri: u }, range: d.range, context: { diagnostics: [d] } });
    const suggestion = actions.find((a) => a.title === expected?.suggestions?.[0]?.description) as CodeAction;
    expect(suggestion.isPreferred).toBeFalsy();
    const applied = TextDocument.applyEdits(TextDocument.create(u, 'xml', 1, text), suggestion.edit?.changes?.[u] as TextEdit[]);
    expect(applied).toBe('<Response><Gather timeout="5"/></Response>');
  });

  it('fixes everything fixable in one source action, as didml lint --fix does', async () => {
    const u = uri();
    const text = '<Response><Say>Hi</Play><Gather method=post finishOnKey="#"/></Response>';
    await open(client, u, text);
    const actions = await request<CodeAction[]>('textDocument/codeAction', {
      textDocument: { uri: u },
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
      context: { diagnostics: [], only: ['source.fixAll'] },
    });
    expect(actions.map((a) => a.kind)).toEqual(['source.fixAll.didml']);
    const fixed = TextDocument.applyEdits(TextDocument.create(u, 'xml', 1, text), actions[0]?.edit?.changes?.[u] as TextEdit[]);
    expect(fixed).toBe('<Response><Say>Hi</Say><Gather method="POST" finishOnKey="#"/></Response>');
    expect(lint(fixed, { dialect: 'twiml' }).diagnostics.filter((d) => d.fix)).toEqual([]);
  });
});

describe('didml lsp: hover', () => {
  const text = '<Response>\n  <Gather input="dtmf" method="POST" timeout="5">\n    <Say>Press 1</Say>\n  </Gather>\n</Response>\n';
  const twiml = loadGrammar('twiml');
  let u: string;
  beforeAll(async () => {
    u = uri();
    await open(client, u, text);
  });
  const hoverAt = async (needle: string, nth = 0, delta = 1) =>
    (await request<Hover | null>('textDocument/hover', { textDocument: { uri: u }, position: positionOf(text, needle, nth, delta) }));

  it('describes an element from the grammar: description, children, source', async () => {
    const h = (await hoverAt('Gather')) as Hover;
    const value = (h.contents as MarkupContent).value;
    expect((h.contents as MarkupContent).kind).toBe('markdown');
    expect(value).toContain(twiml.elements['Gather']?.description as string);
    expect(value).toContain('May contain: `<Say>`, `<Play>`, `<Pause>`');
    expect(value).toContain(`Source: ${twiml.elements['Gather']?.source}`);
    // The end tag too.
    const close = (await hoverAt('Gather', 1)) as Hover;
    expect((close.contents as MarkupContent).value).toBe(value);
  });

  it('describes an attribute: allowed values, default, description', async () => {
    const method = ((await hoverAt('method')) as Hover).contents as MarkupContent;
    expect(method.value).toContain('Allowed values: `GET`, `POST` (any letter case)');
    expect(method.value).toContain('Default: `POST`');
    const timeout = ((await hoverAt('"5"', 0, 1)) as Hover).contents as MarkupContent;
    expect(timeout.value).toContain(twiml.elements['Gather']?.attributes['timeout']?.description as string);
    expect(timeout.value).toContain('Type: integer, at least 0');
    expect(timeout.value).toContain('Default: `5`');
    const input = ((await hoverAt('input')) as Hover).contents as MarkupContent;
    expect(input.value).toContain('One or more of `dtmf`, `speech`, separated by spaces');
  });

  it('says on the root which dialect the document is linted as, and why', async () => {
    const u2 = uri();
    await open(client, u2, DFS);
    const h = (await request<Hover>('textDocument/hover', { textDocument: { uri: u2 }, position: positionOf(DFS, 'Response', 0, 1) })).contents as MarkupContent;
    expect(h.value).toContain(`Linted as DIDforSale DIDML: ${lint(DFS).dialectReason?.replace(/[<>]/g, '\\$&')}`);
    const twimlRoot = ((await hoverAt('Response')) as Hover).contents as MarkupContent;
    expect(twimlRoot.value).toContain('`<Response>` · root element of Twilio TwiML (voice)\n\nLinted as Twilio TwiML (voice): no element or spelling of another dialect');
  });

  it('is empty on text, and says so for a name the dialect does not have', async () => {
    expect(await hoverAt('Press')).toBeNull();
    const u2 = uri();
    await open(client, u2, '<Response><Gather colour="red"/><Blink/></Response>');
    const attr = (await request<Hover>('textDocument/hover', { textDocument: { uri: u2 }, position: { line: 0, character: 20 } })).contents as MarkupContent;
    expect(attr.value).toBe('`colour` is not an attribute of `<Gather>` in Twilio TwiML (voice)');
    const el = (await request<Hover>('textDocument/hover', { textDocument: { uri: u2 }, position: { line: 0, character: 35 } })).contents as MarkupContent;
    expect(el.value).toContain('`<Blink>` is not an element of');
  });
});

describe('didml lsp: completion', () => {
  async function completeAt(text: string, cursor = '|') {
    const u = uri();
    const at = text.indexOf(cursor);
    const source = text.slice(0, at) + text.slice(at + cursor.length);
    await open(client, u, source);
    const position = TextDocument.create(u, 'xml', 1, source).positionAt(at);
    const r = await request<CompletionItem[] | CompletionList | null>('textDocument/completion', { textDocument: { uri: u }, position });
    return { r, source, u };
  }
  const twiml = loadGrammar('twiml');

  it('offers the elements the parent allows after <', async () => {
    const { r } = await completeAt('<Response><Gather><|</Gather></Response>');
    expect(labels(r)).toEqual(twiml.elements['Gather']?.children.map((id) => twiml.elements[id]?.tag));
    const { r: top } = await completeAt('<Response>\n  <Di|\n</Response>');
    expect(labels(top)).toContain('Dial');
    expect(labels(top)).not.toContain('Number');
    const dial = items(top).find((i) => i.label === 'Dial');
    expect(dial?.textEdit).toMatchObject({ newText: 'Dial', range: { start: { line: 1, character: 3 }, end: { line: 1, character: 5 } } });
  });

  it('offers whole elements between elements, and the root in an empty document', async () => {
    const { r } = await completeAt('<Response>\n  |\n</Response>');
    const say = items(r).find((i) => i.label === '<Say>');
    expect(say?.insertText).toBe('<Say>$0</Say>');
    expect(items(r).find((i) => i.label === '<Pause>')?.insertText).toBe('<Pause/>');
    const { r: empty } = await completeAt('|');
    expect(labels(empty)).toEqual(['<Response>']);
    const { r: first } = await completeAt('|<Response/>');
    expect(labels(first)).toEqual(['<Response>']);
    // Not amid the words of a <Say>.
    const { r: words } = await completeAt('<Response><Say>Hello wor|</Say></Response>');
    expect(labels(words)).toEqual([]);
  });

  it('offers the attributes not yet set, before and after the cursor', async () => {
    const { r } = await completeAt('<Response><Gather input="dtmf" | timeout="3"></Gather></Response>');
    const names = labels(r);
    expect(names).toContain('action');
    expect(names).toContain('numDigits');
    expect(names).not.toContain('input');
    expect(names).not.toContain('timeout');
    expect(names.length).toBe(Object.keys(twiml.elements['Gather']?.attributes ?? {}).length - 2);
    expect(items(r).find((i) => i.label === 'action')?.textEdit).toMatchObject({ newText: 'action="$1"' });
    const { r: partial } = await completeAt('<Response><Dial tim|/></Response>');
    expect(items(partial).find((i) => i.label === 'timeout')?.textEdit).toMatchObject({
      newText: 'timeout="$1"',
      range: { start: { line: 0, character: 16 }, end: { line: 0, character: 19 } },
    });
  });

  it('offers enum values, list values and booleans inside a value', async () => {
    const { r } = await completeAt('<Response><Gather method="|"/></Response>');
    expect(labels(r)).toEqual(['GET', 'POST']);
    const { r: list } = await completeAt('<Response><Gather input="dtmf sp|"/></Response>');
    expect(labels(list)).toEqual(['speech']);
    expect(items(list)[0]?.textEdit).toMatchObject({ newText: 'speech', range: { start: { line: 0, character: 30 }, end: { line: 0, character: 32 } } });
    const { r: bool } = await completeAt('<Response><Gather actionOnEmptyResult=|/></Response>');
    expect(items(bool).map((i) => i.textEdit && 'newText' in i.textEdit ? i.textEdit.newText : '')).toEqual(['"true"', '"false"']);
  });

  it('offers nothing inside a comment or CDATA, and a list\'s words once', async () => {
    expect(labels((await completeAt('<Response><!-- <| --></Response>')).r)).toEqual([]);
    expect(labels((await completeAt('<Response><Say><![CDATA[ <| ]]></Say></Response>')).r)).toEqual([]);
    // After the comment, elements again.
    expect(labels((await completeAt('<Response><!-- a --><|</Response>')).r)).toContain('Say');
    const { r } = await completeAt('<Response><Record recordingStatusCallbackEvent="completed |"/></Response>');
    expect(labels(r)).toEqual(['in-progress', 'absent']);
  });

  it('counts an attribute written by a dialect\'s alias as set', async () => {
    const { r } = await completeAt('<Response><dial timout="10" |><sip>sip:a@b.example</sip></dial></Response>');
    expect(labels(r)).not.toContain('timeout');
    expect(labels(r)).toContain('action');
  });

  it('follows DIDML\'s lower-case habit and its own elements', async () => {
    const { r } = await completeAt('<Response>\n<dial>\n<|\n</dial>\n</Response>');
    const didml = loadGrammar('didml');
    const dialChildren = (didml.elements['Dial']?.children ?? []).map((id) => didml.elements[id]?.tag.toLowerCase());
    expect(labels(r)).toEqual([...new Set(dialChildren)]);
    expect(labels(r)).toContain('sip');
  });

  it('closes the open element after </', async () => {
    const { r } = await completeAt('<Response><Say>Hi</|');
    expect(items(r).map((i) => i.textEdit && 'newText' in i.textEdit ? i.textEdit.newText : '')).toEqual(['/Say>']);
  });
});

describe('didml lsp: formatting', () => {
  it('formats as didml fmt does, in one edit', async () => {
    const u = uri();
    const text = '<Response><Gather input="dtmf"   numDigits=\'1\'><Say>Press 1</Say></Gather>\n\n<Hangup></Hangup></Response>';
    await open(client, u, text);
    const edits = await request<TextEdit[]>('textDocument/formatting', { textDocument: { uri: u }, options: { tabSize: 4, insertSpaces: true } });
    const formatted = TextDocument.applyEdits(TextDocument.create(u, 'xml', 1, text), edits);
    expect(formatted).toBe(formatDocument(lint(text).document).output);
    expect(formatted).toContain('\n  <Gather input="dtmf" numDigits="1">\n    <Say>Press 1</Say>');
    await client.log(/canonical layout/);
    // Formatted already: nothing to change.
    const again = uri();
    await open(client, again, formatted);
    expect(await request<TextEdit[]>('textDocument/formatting', { textDocument: { uri: again }, options: { tabSize: 2, insertSpaces: true } })).toEqual([]);
  });

  it('refuses a document it cannot format without guessing, saying why', async () => {
    const u = uri();
    await open(client, u, '<Response><Say>Hi</');
    const e = await protocolError(request('textDocument/formatting', { textDocument: { uri: u }, options: { tabSize: 2, insertSpaces: true } }));
    expect(e.code).toBe(-32803);
    expect(e.message).toMatch(/^didml fmt: not formatted: line 1: /);
  });
});

describe('didml lsp: bad requests get protocol errors, never a crash', () => {
  it('answers an unknown method with MethodNotFound', async () => {
    const e = await protocolError(request('didml/nonsense', {}));
    expect(e.code).toBe(-32601);
  });

  it('answers bad params with InvalidParams naming the field', async () => {
    const missing = await protocolError(request('textDocument/hover', {}));
    expect(missing).toMatchObject({ code: -32602, message: 'textDocument: must be an object' });
    const u = uri();
    await open(client, u, DFS);
    const negative = await protocolError(request('textDocument/hover', { textDocument: { uri: u }, position: { line: -1, character: 0 } }));
    expect(negative).toMatchObject({ code: -32602, message: 'position.line: must be a whole number, 0 or more' });
    const range = await protocolError(request('textDocument/codeAction', { textDocument: { uri: u }, range: { start: { line: 0 } }, context: {} }));
    expect(range).toMatchObject({ code: -32602, message: 'range.start.character: must be a whole number, 0 or more' });
    const only = await protocolError(request('textDocument/codeAction', { textDocument: { uri: u }, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, context: { only: 'quickfix' } }));
    expect(only.code).toBe(-32602);
  });

  it('answers a request about a document never opened with InvalidParams', async () => {
    for (const method of ['textDocument/hover', 'textDocument/completion', 'textDocument/formatting', 'textDocument/codeAction']) {
      const e = await protocolError(
        request(method, { textDocument: { uri: 'file:///never/opened.xml' }, position: { line: 0, character: 0 }, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, context: { diagnostics: [] }, options: {} }),
      );
      expect(e).toMatchObject({ code: -32602, message: 'textDocument.uri: file:///never/opened.xml is not open (send textDocument/didOpen first)' });
    }
  });

  it('logs a notification it cannot use and goes on', async () => {
    await client.connection.sendNotification('textDocument/didChange', { textDocument: { uri: 'file:///never/opened.xml', version: 2 }, contentChanges: [{ text: 'x' }] });
    const log = await client.log(/didChange: file:\/\/\/never\/opened\.xml is not open/);
    expect(log.type).toBe(1);
    await client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri: 'file:///bad.xml', version: 1, text: 42 } });
    await client.log(/didOpen: textDocument\.text: must be a string/);
    const u = uri();
    await open(client, u, DFS);
    await client.connection.sendNotification('textDocument/didChange', { textDocument: { uri: u, version: 2 }, contentChanges: [{ range: { start: { line: 0 } }, text: 'x' }] });
    await client.log(/contentChanges\[0\]\.range\.start\.character: must be a whole number/);
    expect(client.child.exitCode).toBeNull();
  });

  it('lints huge and binary text without falling over', async () => {
    const huge = uri();
    const big = '<Response>' + '<Say>hello</Say>'.repeat(200_000) + '</Response>';
    const published = await open(client, huge, big);
    expect(published.diagnostics.map((d) => d.message)).toEqual(lint(big).diagnostics.map((d) => d.message));
    expect(published.diagnostics[0]?.code).toMatch(/too-large/);
    const h = await request<Hover | null>('textDocument/hover', { textDocument: { uri: huge }, position: { line: 0, character: 12 } });
    expect(h).toBeNull();
    const binary = uri();
    const bytes = '\u0000\u0001<Resp\uFFFE\uD800onse>\u0000\u00ff\u001b[0m</Response>\uDFFF';
    const bin = await open(client, binary, bytes);
    expect(bin.diagnostics.length).toBeGreaterThan(0);
    expect(bin.diagnostics.map((d) => d.message)).toEqual(lint(bytes).diagnostics.map((d) => d.message));
    await request('textDocument/completion', { textDocument: { uri: binary }, position: { line: 0, character: 5 } });
    await request('textDocument/formatting', { textDocument: { uri: binary }, options: { tabSize: 2, insertSpaces: true } }).catch(() => undefined);
    expect(client.child.exitCode).toBeNull();
    expect(client.stderr()).toBe('');
  });
});

describe('didml lsp: settings', () => {
  it('relints open documents when the dialect setting changes, and refuses a bad setting by name', async () => {
    const u = uri();
    // <Forward> is DIDML's own: auto picks DIDML.
    const text = '<Response><Say>Hi</Say><Forward>+14155550100</Forward></Response>';
    const before = await open(client, u, text);
    expect(before.diagnostics.map((d) => d.code)).toEqual([]);
    const relinted = client.diagnostics(u);
    await client.connection.sendNotification('workspace/didChangeConfiguration', { settings: { didml: { dialect: 'twiml' } } });
    const after = await relinted;
    expect(after.diagnostics.map((d) => d.message)).toEqual(lint(text, { dialect: 'twiml' }).diagnostics.map((d) => d.message));
    expect(after.diagnostics.map((d) => String(d.code))).toContainEqual(expect.stringMatching(/^unknown-element/));
    await client.connection.sendNotification('workspace/didChangeConfiguration', { settings: { didml: { dialect: 'klingon' } } });
    await client.log(/settings\.didml\.dialect: must be one of auto, twiml, didml/);
    expect(client.messages.at(-1)).toMatchObject({ type: 1, message: expect.stringMatching(/^didml: settings\.didml\.dialect: must be one of/) });
    // Without settings, back to the defaults.
    const back = client.diagnostics(u);
    await client.connection.sendNotification('workspace/didChangeConfiguration', { settings: { didml: null } });
    expect((await back).diagnostics).toEqual([]);
  });
});

describe('didml lsp: lifetime', () => {
  it('refuses bad initializationOptions by name', async () => {
    const other = startClient();
    const e = await protocolError(initialize(other, { dialect: 'twiml', strictt: true }));
    expect(e).toMatchObject({ code: -32602, message: 'initializationOptions.strictt: not a didml setting (known: dialect, strict, lenient, maxBytes)' });
    other.child.kill();
    await other.exited;
  });

  it('keeps initializationOptions under a settings change that does not name them (Neovim sends {} at start)', async () => {
    const other = startClient();
    await initialize(other, { dialect: 'twiml' });
    const text = '<Response><say>Hi</say></Response>';
    const first = await open(other, 'file:///b.xml', text);
    expect(first.diagnostics.map((d) => d.code)).toContain('tag-case (12100)');
    const again = other.diagnostics('file:///b.xml');
    await other.connection.sendNotification('workspace/didChangeConfiguration', { settings: {} });
    expect((await again).diagnostics.map((d) => d.code)).toContain('tag-case (12100)');
    const asDidml = other.diagnostics('file:///b.xml');
    await other.connection.sendNotification('workspace/didChangeConfiguration', { settings: { didml: { dialect: 'didml' } } });
    expect((await asDidml).diagnostics.map((d) => d.code)).not.toContain('tag-case (12100)');
    expect(await stop(other)).toBe(0);
  });

  it('follows the dialect on malformed XML unless strict or lenient says otherwise', async () => {
    const other = startClient();
    await initialize(other);
    const broken = '<Response><Say>unclosed</Response>';
    const recovery = (p: { diagnostics: Diagnostic[] }) => p.diagnostics.find((d) => String(d.code).startsWith('xml/'))?.severity;
    // TwiML's platform refuses it (12100): an error.
    expect(recovery(await open(other, 'file:///t.xml', broken))).toBe(1);
    const lenient = other.diagnostics('file:///t.xml');
    await other.connection.sendNotification('workspace/didChangeConfiguration', { settings: { didml: { lenient: true } } });
    expect(recovery(await lenient)).toBe(2);
    await other.connection.sendNotification('workspace/didChangeConfiguration', { settings: { didml: { lenient: true, strict: true } } });
    await other.log(/settings\.didml: strict and lenient cannot both be true/);
    expect(await stop(other)).toBe(0);
  });

  it('takes its defaults from the command line, and exits 0 after shutdown and exit', async () => {
    const other = startClient(['--dialect', 'didml']);
    await initialize(other);
    const published = await open(other, 'file:///a.xml', '<Response><say>Hi</say></Response>');
    // In DIDML lower case is right; TwiML would say tag-case.
    expect(published.diagnostics.map((d) => d.code)).not.toContain('tag-case (12100)');
    expect(await stop(other)).toBe(0);
    expect(other.stderr()).toBe('');
  });

  it('refuses a bad flag with exit code 2, naming it', () => {
    const run = (...args: string[]) => spawnSync(process.execPath, [join(repo, 'bin/didml.js'), 'lsp', ...args], { encoding: 'utf8', input: '' });
    const r = run('--dialect', 'klingon');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("option '--dialect <name>' argument 'klingon' is invalid. must be one of auto, twiml");
    expect(r.stdout).toBe('');
    // Another transport is not offered.
    const socket = run('--socket=5000');
    expect(socket.status).toBe(2);
    expect(socket.stderr).toContain("unknown option '--socket=5000'");
  });

  it('takes the --clientProcessId vscode-languageclient adds, and exits once that process is gone', async () => {
    const other = startClient([`--clientProcessId=${process.pid}`]);
    await initialize(other);
    expect((await open(other, 'file:///c.xml', DFS)).diagnostics.length).toBeGreaterThan(0);
    expect(await stop(other)).toBe(0);
    // An editor that died: the server does not linger (it looks every few seconds).
    const gone = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    const orphan = startClient([`--clientProcessId=${gone.stdout.trim()}`]);
    expect(await orphan.exited).toBe(1);
  });

  it('gives a client without markdown or snippets plain text and plain insertions', async () => {
    const other = startClient();
    await initialize(other, undefined, {});
    const text = '<Response>\n  \n  <Gather ></Gather>\n</Response>';
    await open(other, 'file:///plain.xml', text);
    const ask = <R>(method: string, position: { line: number; character: number }) =>
      other.connection.sendRequest(method, { textDocument: { uri: 'file:///plain.xml' }, position }) as Promise<R>;
    const h = await ask<Hover>('textDocument/hover', { line: 2, character: 4 });
    expect(h.contents).toMatchObject({ kind: 'plaintext' });
    expect((h.contents as MarkupContent).value.startsWith('<Gather> · verb of Twilio TwiML (voice)\n\n')).toBe(true);
    const between = items(await ask<CompletionItem[]>('textDocument/completion', { line: 1, character: 2 }));
    expect(between.find((i) => i.label === '<Say>')).toMatchObject({ insertText: '<Say></Say>', insertTextFormat: 1 });
    const attrs = items(await ask<CompletionItem[]>('textDocument/completion', { line: 2, character: 10 }));
    expect(attrs.find((i) => i.label === 'action')?.textEdit).toMatchObject({ newText: 'action=""' });
    expect(await stop(other)).toBe(0);
  });

  it('exits 1 on exit without shutdown, as the protocol says', async () => {
    const other = startClient();
    await initialize(other);
    await other.connection.sendNotification('exit');
    expect(await other.exited).toBe(1);
  });
});
