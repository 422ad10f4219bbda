// Where the platforms are lenient, didml is too, and says what to write instead: a method in
// lower case works (a warning with a fix), a template placeholder is checked once rendered (a
// warning), an empty URL is the document itself (an info where it loops), and dialects that
// document more than TwiML (SignalWire's fax <Receive>, <Connect><AI>, rtmp: <Play>) get it.
import { describe, expect, it } from 'vitest';
import { lint, lintAndFix, type Diagnostic } from '../../src/index.js';

const show = (ds: Diagnostic[]) => ds.map((d) => `${d.severity} ${d.rule} ${d.line}:${d.column} ${d.message}`);
const problems = (xml: string, dialect: 'twiml' | 'cxml' | 'auto' = 'twiml') =>
  lint(xml, { dialect }).diagnostics.filter((d) => d.severity !== 'info');

describe('HTTP methods in another letter case', () => {
  const xml = '<Response><Dial><Client statusCallbackMethod="get">alice</Client></Dial><Redirect method="Post">/next</Redirect></Response>';

  it('are warnings that name the spelling to write, and fix to it', () => {
    const r = lint(xml, { dialect: 'twiml' });
    expect(show(r.diagnostics.filter((d) => d.severity !== 'info'))).toEqual([
      'warning attribute-value 1:47 <Client statusCallbackMethod="get">: write GET; statusCallbackMethod works in any letter case, but is documented as GET or POST',
      'warning attribute-value 1:91 <Redirect method="Post">: write POST; method works in any letter case, but is documented as GET or POST',
    ]);
    expect(lintAndFix(xml, { dialect: 'twiml' }).output).toBe(xml.replace('"get"', '"GET"').replace('"Post"', '"POST"'));
  });

  it('reach the runtime in the documented spelling', () => {
    const client = lint(xml, { dialect: 'twiml' }).projected?.children[0]?.children[0];
    expect(client?.attributes['statusCallbackMethod']).toBe('GET');
  });

  it('are still errors when they are no method at all', () => {
    expect(show(problems('<Response><Redirect method="PUT">/next</Redirect></Response>'))).toEqual([
      'error attribute-value 1:29 <Redirect method="PUT">: method must be GET or POST',
    ]);
  });
});

describe('template placeholders', () => {
  it('in a typed attribute are a warning that says what the value must become', () => {
    expect(show(problems('<Response><Dial timeout="${timeout}">+14155550100</Dial></Response>'))).toEqual([
      'warning attribute-value 1:26 <Dial timeout="${timeout}">: a template placeholder, checked only once rendered: timeout must be a whole number',
    ]);
    expect(problems('<Response><Pause length="{{ pause }}"/></Response>').map((d) => d.severity)).toEqual(['warning']);
  });

  it('between elements (Jinja tags) are a warning; plain stray text stays an error', () => {
    const jinja = '<Response>\n{% if greet %}<Say>Hi</Say>{% endif %}\n<Hangup/></Response>';
    expect(problems(jinja).map((d) => `${d.severity} ${d.rule}`)).toEqual(['warning element-text']);
    expect(problems(jinja)[0]?.message).toContain('"{% if greet %}{% endif %}" is template markup, checked only once rendered');
    expect(problems('<Response>oops<Hangup/></Response>').map((d) => `${d.severity} ${d.rule}`)).toEqual(['error element-text']);
  });
});

describe('empty URLs', () => {
  it('are the document itself: no error, an info where an action loops, a warning for a <Redirect> without its URL', () => {
    const r = lint('<Response><Gather action="" input="speech"><Say>Hi</Say></Gather><Redirect/></Response>', { dialect: 'twiml' });
    expect(show(r.diagnostics)).toEqual([
      "info action-loop 1:19 <Gather> has an empty action, so its result is sent to this same document's URL; set action to where the caller should go next",
      "warning requires 1:66 <Redirect> needs the URL of the next document inside it: without one Twilio requests this same document again, which loops unless a verb before it waits (as in Twilio's queue guide, where an empty <Redirect> dials the next caller)",
    ]);
  });

  it('mean silence as a conference waitUrl (Twilio docs), which draws nothing', () => {
    expect(lint('<Response><Dial><Conference waitUrl="">room</Conference></Dial></Response>', { dialect: 'twiml' }).diagnostics).toEqual([]);
  });
});

describe('comma-separated lists', () => {
  it('are an error with a fix to the space-separated list Twilio documents', () => {
    const xml = '<Response><Dial><Number statusCallbackEvent="ringing,completed">+14155550100</Number></Dial></Response>';
    const [d] = problems(xml);
    expect(d?.message).toBe(
      '<Number statusCallbackEvent="ringing,completed">: statusCallbackEvent must be a space-separated list of initiated, ringing, answered or completed, separated by spaces, not commas',
    );
    expect(d?.severity).toBe('error');
    expect(lintAndFix(xml, { dialect: 'twiml' }).output).toContain('statusCallbackEvent="ringing completed"');
  });
});

describe('what SignalWire documents beyond TwiML', () => {
  it('a fax <Receive> is cXML (and picks the dialect), not TwiML', () => {
    const fax = '<Response><Receive action="/fax/received" mediaType="image/tiff" pageSize="a4"/></Response>';
    expect(problems(fax, 'cxml')).toEqual([]);
    expect(lint(fax).dialect).toBe('cxml');
    expect(show(problems(fax, 'twiml'))[0]).toMatch(/unknown-element 1:12 <Receive> is not an element of Twilio TwiML/);
    expect(show(problems('<Response><Receive pageSize="tabloid"/></Response>', 'cxml'))).toEqual([
      'error attribute-value 1:30 <Receive pageSize="tabloid">: pageSize must be letter, legal or a4',
    ]);
  });

  it('<Connect><AI> with prompts, languages and SWAIG functions whose metadata is free-form', () => {
    const ai = `<Response><Connect><AI postPromptURL="https://example.com/post">
      <Prompt temperature="0.5">You are a bot.</Prompt><PostPrompt>Summarize.</PostPrompt>
      <Languages><Language code="fr-FR" name="French" voice="fr-FR-Neural2-B"/></Languages>
      <SWAIG><Defaults webHookURL="https://example.com/fn"><region>eu</region></Defaults>
        <Function name="get_weather" argument="city" purpose="weather"><Say>not a verb here</Say></Function></SWAIG>
    </AI></Connect></Response>`;
    expect(show(problems(ai, 'cxml'))).toEqual([]);
    expect(show(problems(ai.replace('temperature="0.5"', 'temperature="3"'), 'cxml'))).toEqual([
      'error attribute-value 2:28 <Prompt temperature="3">: temperature must be at most 2',
    ]);
    expect(show(problems(ai.replace('<Prompt ', '<Prompt for="x" '), 'cxml'))).toEqual([
      expect.stringMatching(/^warning unknown-attribute 2:15 <Prompt> has no attribute for in SignalWire cXML/),
    ]);
  });

  it('<Play> of an rtmp: stream in cXML; TwiML plays http(s) only', () => {
    const play = '<Response><Play>rtmp://example.com:1935/live</Play></Response>';
    expect(problems(play, 'cxml')).toEqual([]);
    expect(show(problems(play, 'twiml'))).toEqual([
      'error url 1:17 <Play> URL "rtmp://example.com:1935/live" uses rtmp:, not http: or https:',
    ]);
  });

  it('a conference <Stream> inside <Conference>', () => {
    const xml = '<Response><Dial><Conference>room<Stream name="s" url="wss://example.com/s"/></Conference></Dial></Response>';
    expect(problems(xml, 'cxml')).toEqual([]);
    expect(show(problems(xml, 'twiml'))[0]).toMatch(/^error nesting .*<Conference> cannot contain elements/);
  });
});
