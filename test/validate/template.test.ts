// Lint knows Mustache templates (folder apps, TwiML Bins): placeholders where numbers and URLs go
// are no errors, section tags are not text, sections are not dead code, and a tag that cannot be
// read is an error at its place.
import { describe, expect, it } from 'vitest';
import { lint } from '../../src/validate/lint.js';
import { compileDocument } from '../../src/runtime/document.js';

const show = (xml: string, options = {}) =>
  lint(xml, { dialect: 'twiml', ...options }).diagnostics.map((d) => `${d.severity} ${d.rule} ${d.line}:${d.column} ${d.message}`);

describe('a template', () => {
  it('has placeholders where a number, a URL or a SIP URI goes, and no problem for it', () => {
    const xml = `<Response>
  <Gather action="{{Url}}" numDigits="1"><Say>Hello {{From}}</Say></Gather>
  <Dial callerId="{{#e164}}{{From}}{{/e164}}">{{To}}</Dial>
  <Dial><Number>{{#e164}}{{To}}{{/e164}}</Number><Sip>sip:{{User}}@pbx.example.com</Sip></Dial>
  <Redirect>{{Base}}/next</Redirect>
</Response>`;
    expect(show(xml)).toEqual([]);
  });

  it('has sections between elements, which are not text; a value there still is', () => {
    const xml = `<Response>
  {{#Dest}}<Say>Calling {{.}}</Say>{{/Dest}}
  {{! a comment }}
  <Dial>{{#Dest}}<Number>{{.}}</Number>{{/Dest}}</Dial>
</Response>`;
    expect(show(xml)).toEqual([]);
    expect(show('<Response>{{Greeting}}<Hangup/></Response>')).toEqual([
      expect.stringMatching(/^warning element-text 1:11 <Response> takes no text.*template markup, checked only once rendered$/),
    ]);
  });

  it('branches in sections: a verb after a <Redirect> in another section is reached', () => {
    const xml = `<Response>
  {{#Digits}}<Redirect>/menu/{{Digits}}</Redirect>{{/Digits}}
  {{^Digits}}<Say>We did not get that.</Say>{{/Digits}}
  <Redirect>/voice</Redirect>
</Response>`;
    expect(show(xml)).toEqual([]);
    // Within one section, dead code is still dead.
    expect(show('<Response>{{#a}}<Hangup/><Say>never</Say>{{/a}}</Response>')).toEqual([
      'warning no-unreachable 1:26 <Say> is never reached: <Hangup> ends the document (line 1)',
    ]);
    // And the same verbs in a document that is no template are dead code.
    expect(show('<Response><Redirect>/a</Redirect><Say>never</Say></Response>')).toHaveLength(1);
  });

  it.each([
    ['<Response>\n  {{#Digits}}<Say>x</Say>\n</Response>', 'error template 2:3 {{#Digits}} is never closed: end the section with {{/Digits}}'],
    ['<Response>{{#a}}<Say>x</Say>{{/b}}</Response>', 'error template 1:29 {{/b}} closes a section that is not open: the open one is {{#a}}; close it first with {{/a}}'],
    ['<Response><Say>x</Say>{{/a}}</Response>', 'error template 1:23 {{/a}} closes a section that was never opened: open it with {{#a}} (or remove the close)'],
    ['<Response><Say>{{From</Say></Response>', 'error template 1:16 a tag opened with {{ is never closed: end it with }}'],
    ['<Response><Say>{{> hello}}</Say></Response>', 'error template 1:16 {{> hello}} is a partial: templates here have none (nor do TwiML Bins); write the text in place, or redirect to another document'],
  ])('with a tag that cannot be read is an error at that tag: %s', (xml, expected) => {
    expect(show(xml)).toContain(expected);
  });

  it('is one by its {{, or when the caller says so; template: false checks it as plain XML', () => {
    const xml = '<Response>{{#a}}<Redirect>/x</Redirect>{{/a}}<Say>after</Say></Response>';
    expect(show(xml)).toEqual([]);
    expect(show(xml, { template: false }).map((d) => d.split(' ')[1])).toEqual(['element-text', 'no-unreachable']);
    expect(show('<Response><Say>plain</Say></Response>', { template: true })).toEqual([]);
  });

  it('is checked by the runtime only once rendered: a rendered document holding {{ is no template', () => {
    const doc = compileDocument('<Response><Say>You said {{#a}}</Say></Response>', 'twiml', 65536);
    expect('diagnostics' in doc && doc.diagnostics.map((d) => d.rule)).toEqual([]);
  });
});
