// A folder of XML files served as an app, so a call flow runs from fixtures with no server.
//
// URLs are plain `file:` URLs; the app's base URL is the folder's, with a trailing slash
// (`file:///abs/app/`, see `folderAppUrl`). A document's relative `action="menu"` then resolves,
// by ordinary URL rules (RFC 3986 §5.2), to `file:///abs/app/menu`, which this transport answers
// with `menu.xml`:
//
//   file:///abs/app/  and  file:///abs/app/voice   ->  app/voice.xml
//   file:///abs/app/menu                           ->  app/menu.xml
//   file:///abs/app/a/b                            ->  app/a/b.xml
//   file:///abs/app/sales/                         ->  app/sales/voice.xml
//   file:///abs/app/menu.xml                       ->  app/menu.xml
//
// A file is a template, as a TwiML Bin is (src/webhook/template.ts): one with a `{{` is rendered
// with the request's parameters (the query string and the POST body); one without is served as
// it is, whatever is asked. Nothing outside the folder is ever read: a URL that resolves outside
// it, `..` or a symbolic link included, is refused with DIDML_URL_FORBIDDEN; a missing file is a
// 404.
import { open, realpath } from 'node:fs/promises';
import { basename, join, relative, isAbsolute, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DidmlError } from '../errors.js';
import { renderTemplate, templateView } from './template.js';
import { decodeBytes } from '../parse/bytes.js';
import type { Transport, TransportRequest, TransportResponse } from './types.js';

/** The base URL of an app folder: `file:///abs/folder/`, plus an optional path inside it. */
export function folderAppUrl(folder: string, path = ''): string {
  const base = pathToFileURL(folder.endsWith(sep) || folder.endsWith('/') ? folder : folder + sep).href;
  return new URL(path.replace(/^\/+/, ''), base).href;
}

/**
 * The app's own URL space for a folder: `app://<name>/`, where the folder is the root, as a
 * web server's document root is. Documents written for a web app (`action="/menu"`, relative
 * or absolute paths) then work unchanged: `/menu` resolves to `app://<name>/menu` → menu.xml.
 * The host is only a label (the folder's name) that makes transcripts readable.
 */
export function appSpaceUrl(folder: string, path = ''): string {
  const label = basename(folder.replace(/[\\/]+$/, '')).toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'app';
  return new URL(path.replace(/^\/+/, ''), `app://${label}/`).href;
}

/**
 * The file a `file:` URL names inside `root`, or the reason it may not be served. Pure path
 * arithmetic; `folderTransport` also resolves symbolic links before reading.
 */
export function resolveAppFile(root: string, url: string): { file: string } | { error: DidmlError } {
  let u: URL;
  let path: string;
  try {
    u = new URL(url);
    if (u.protocol === 'app:') {
      // The URL parser has already removed dot segments; an encoded slash is never a separator.
      if (/%2f|%5c/i.test(u.pathname)) return { error: new DidmlError('DIDML_WEBHOOK_URL', `${url}: an encoded slash is not a path separator`) };
      path = join(root, ...u.pathname.split('/').filter(Boolean).map(decodeURIComponent));
    } else if (u.protocol === 'file:') {
      path = fileURLToPath(u); // refuses %2F in a segment and remote hosts
    } else {
      return { error: new DidmlError('DIDML_WEBHOOK_URL', `a folder app serves app: and file: URLs only, not ${u.protocol}`) };
    }
  } catch (err) {
    return { error: new DidmlError('DIDML_WEBHOOK_URL', `not a usable file URL (${(err as Error).message})`, { cause: err }) };
  }
  const inside = relative(root, path);
  if (inside.startsWith('..') || isAbsolute(inside)) {
    return { error: new DidmlError('DIDML_URL_FORBIDDEN', `${path} is outside the app folder ${root}`) };
  }
  const isDir = u.pathname.endsWith('/') || inside === '';
  const file = isDir ? join(path, 'voice.xml') : path.endsWith('.xml') ? path : `${path}.xml`;
  return { file };
}

/**
 * Serves the XML files of `root` (a path or a `file:` URL) as an app. `render: false` answers
 * the files as written, for a cache that renders each answer itself (`renderAnswer`).
 */
export function folderTransport(root: string | URL, options: { render?: boolean } = {}): Transport {
  const render = options.render ?? true;
  const rootPath = typeof root === 'string' && !root.startsWith('file:') ? root : fileURLToPath(root);
  let realRoot: Promise<string> | undefined;

  return {
    async send(req, signal): Promise<TransportResponse> {
      const target = resolveAppFile(rootPath, req.url);
      if ('error' in target) throw target.error;
      realRoot ??= realpath(rootPath).catch(() => rootPath);
      let real: string;
      try {
        real = await realpath(target.file);
      } catch (err) {
        return notFound(target.file, err);
      }
      const inside = relative(await realRoot, real);
      if (inside.startsWith('..') || isAbsolute(inside)) {
        throw new DidmlError('DIDML_URL_FORBIDDEN', `${target.file} links to ${real}, outside the app folder ${rootPath}`);
      }
      signal.throwIfAborted();
      let handle;
      try {
        handle = await open(real, 'r');
      } catch (err) {
        return notFound(target.file, err);
      }
      try {
        const { size } = await handle.stat();
        if (size > req.maxBytes) {
          throw new DidmlError('DIDML_WEBHOOK_TOO_LARGE', `the response is larger than the ${req.maxBytes}-byte limit: ${target.file} is ${size} bytes`);
        }
        // Read as bytes: the parser reports one its encoding does not have (decodeBytes).
        const { text: body, bad } = decodeBytes(await handle.readFile({ signal }));
        const answer: TransportResponse = { status: 200, headers: { 'content-type': 'application/xml; charset=utf-8' }, body, ...(bad ? { badByte: bad } : {}) };
        return render ? renderAnswer(req, answer, target.file) : answer;
      } catch (err) {
        if ((err as { code?: string }).code === 'EISDIR') return notFound(target.file, err);
        throw err;
      } finally {
        await handle.close();
      }
    },
  };
}

/**
 * A file's answer rendered for one request, when the file is a template; anything else (a 404,
 * a static document) as it is. `file` is the template's path (a folder path, or the folder's
 * `root` to resolve the URL in), for errors.
 */
export function renderAnswer(req: TransportRequest, answer: TransportResponse, file: string | { root: string }): TransportResponse {
  if (answer.status !== 200 || !answer.body.includes('{{')) return answer;
  const target = typeof file === 'string' ? { file } : resolveAppFile(file.root, req.url);
  const where = 'file' in target ? target.file : req.url;
  const body = renderTemplate(answer.body, templateView(req.url, req.body), where);
  if (body.length > req.maxBytes / 3 && Buffer.byteLength(body) > req.maxBytes) {
    throw new DidmlError('DIDML_WEBHOOK_TOO_LARGE', `the response is larger than the ${req.maxBytes}-byte limit: ${where} renders to ${Buffer.byteLength(body)} bytes`);
  }
  // The bad byte's replacement character moved with the rendering: the first one is it.
  const badByte = answer.badByte ? { ...answer.badByte, offset: Math.max(0, body.indexOf('\uFFFD')) } : undefined;
  return { ...answer, body, ...(badByte ? { badByte } : {}) };
}

function notFound(file: string, err: unknown): TransportResponse {
  const code = (err as { code?: string }).code;
  if (code === 'EACCES' || code === 'EPERM') {
    return { status: 403, headers: { 'content-type': 'text/plain' }, body: `cannot read ${file} (${code})` };
  }
  const why = code === 'EISDIR' ? 'is a folder, not a file' : 'does not exist';
  return { status: 404, headers: { 'content-type': 'text/plain' }, body: `${file} ${why}` };
}
