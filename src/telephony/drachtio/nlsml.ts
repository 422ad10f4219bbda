// What a FreeSWITCH recogniser heard, from the body of its DETECTED_SPEECH event: NLSML (RFC 6787
// §6.3.1 for MRCP recognisers through mod_unimrcp; mod_pocketsphinx writes the same shape):
//   <result><interpretation confidence="0.87"><input mode="speech">two tickets</input></interpretation></result>
// The first interpretation counts (they come best first). Its confidence is 0-1 in MRCPv2 and
// 0-100 in MRCPv1 and pocketsphinx's `score`; it is read onto 0-1. Newer modules send JSON
// instead: {"text": "agent", "confidence": 87.3} (FreeSWITCH's mod_test), or the best of
// {"alternatives": [{"transcript", "confidence"}]}; a body that is neither is the text itself.
import { SaxesParser } from 'saxes';

export interface Recognised {
  text: string;
  /** 0-1; 0 when the recogniser gave none. */
  confidence: number;
}

function toUnit(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) return undefined;
  return n > 1 ? Math.min(n / 100, 1) : n;
}

export function readRecognition(body: string): Recognised | undefined {
  const text = body.trim();
  if (!text) return undefined;
  if (text.startsWith('{')) return fromJson(text);
  if (!text.startsWith('<')) return { text, confidence: 0 };
  let depthInInput = 0;
  let inInterpretation = false;
  let done = false;
  let heard = '';
  let confidence: number | undefined;
  const parser = new SaxesParser({ xmlns: false });
  parser.on('opentag', (tag) => {
    if (done) return;
    const name = tag.name.replace(/^.*:/, '');
    const attr = (n: string) => (tag.attributes[n] as string | undefined);
    if (name === 'interpretation') {
      inInterpretation = true;
      confidence = toUnit(attr('confidence')) ?? toUnit(attr('score'));
    } else if (name === 'input' && inInterpretation) {
      depthInInput++;
      confidence ??= toUnit(attr('confidence'));
    } else if (depthInInput > 0) depthInInput++;
  });
  parser.on('text', (t) => {
    if (!done && depthInInput > 0) heard += t;
  });
  parser.on('closetag', (tag) => {
    if (done) return;
    const name = tag.name.replace(/^.*:/, '');
    if (depthInInput > 0) depthInInput--;
    if (name === 'interpretation') done = true;
  });
  try {
    parser.write(text).close();
  } catch {
    return undefined;
  }
  heard = heard.replace(/\s+/g, ' ').trim();
  return heard ? { text: heard, confidence: confidence ?? 0 } : undefined;
}

function fromJson(body: string): Recognised | undefined {
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch {
    return { text: body, confidence: 0 };
  }
  if (typeof data !== 'object' || data === null) return undefined;
  const d = data as { text?: unknown; transcript?: unknown; confidence?: unknown; alternatives?: unknown };
  const best = Array.isArray(d.alternatives) && typeof d.alternatives[0] === 'object' ? (d.alternatives[0] as typeof d) : d;
  const said = typeof best.transcript === 'string' ? best.transcript : typeof best.text === 'string' ? best.text : '';
  const heard = said.replace(/\s+/g, ' ').trim();
  if (!heard) return undefined;
  const c = typeof best.confidence === 'number' ? toUnit(String(best.confidence)) : undefined;
  return { text: heard, confidence: c ?? 0 };
}
