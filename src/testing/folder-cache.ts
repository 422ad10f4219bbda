// A folder app read once per run: scenarios of one suite request the same few documents over
// and over, and reading each from disk every time (realpath, open, stat, read, close) was most of
// a scenario's cost. Answers are the folder transport's own (same resolution, same refusals, same
// 404s), kept by URL without its query as the files are written; a template among them is
// rendered for each request (its parameters differ). Documents must not change while a run goes
// on; they don't.
import { folderTransport, renderAnswer } from '../webhook/folder.js';
import type { Transport, TransportResponse } from '../webhook/types.js';

export function cachedFolderTransport(root: string): Transport {
  const inner = folderTransport(root, { render: false });
  const answers = new Map<string, Promise<TransportResponse>>();
  return {
    send(req, signal) {
      const key = `${req.maxBytes} ${req.url.replace(/[?#].*$/s, '')}`;
      let answer = answers.get(key);
      if (!answer) {
        answer = inner.send({ ...req, discardBody: false }, new AbortController().signal);
        answers.set(key, answer);
      }
      signal.throwIfAborted();
      return answer.then((r) => ({ ...renderAnswer(req, r, { root }), headers: { ...r.headers }, ...(req.discardBody ? { body: '' } : {}) }));
    },
  };
}
