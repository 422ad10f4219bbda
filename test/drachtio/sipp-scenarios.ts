// sipp scenarios (SIPp 3.6, Debian's sip-tester) for the opt-in suite against a real
// drachtio-server: sipp plays the caller (UAC, sending to drachtio-server's SIP address) and the
// far ends didml dials (UAS on 127.0.0.1). Each call fails sipp (exit code 1) when a message is
// not the one the scenario waits for; `check_it` regexps fail it when a header is wrong.
// https://sipp.sourceforge.net/doc/reference.html

const sdp = `v=0
o=sipp 53655765 2353687637 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0
a=rtpmap:0 PCMU/8000
`;

/** The caller's offer when it sends real audio: PCMA, what sipp's g711a.pcap holds. */
const sdpPcma = sdp.replace('RTP/AVP 0\na=rtpmap:0 PCMU/8000', 'RTP/AVP 8\na=rtpmap:8 PCMA/8000');

const scenario = (name: string, body: string) => `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="${name}">
${body}
</scenario>
`;

/** Escapes a value for an XML attribute. */
const attr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

// ---- the caller ----

/** The INVITE's branch, repeated by its CANCEL and by the ACK of a non-2xx (RFC 3261 §9.1, §17.1.1.3). */
const INVITE_BRANCH = 'z9hG4bK[pid]inv[call_number]';

function invite(from: string, headers: Record<string, string>, offer = sdp): string {
  const extra = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\n`)
    .join('');
  return `  <send retrans="500">
    <![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=${INVITE_BRANCH}
From: <sip:${from}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:${from}@[local_ip]:[local_port]>
Max-Forwards: 70
${extra}Content-Type: application/sdp
Content-Length: [len]

${offer}
    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>`;
}

/** The 200 (its body checked against `answer`, a regexp, when given), ACKed. */
const ackAnswered = (from: string, answer?: string) => `  <recv response="200" rrs="true"${
  answer
    ? `>
    <action>
      <ereg regexp="${attr(answer)}" search_in="body" check_it="true" assign_to="answer"/>
      <log message="answer ok: [$answer]"/>
    </action>
  </recv>`
    : '/>'
}
  <send>
    <![CDATA[
ACK [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:${from}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
[last_To:]
[routes]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

    ]]>
  </send>`;

const okToRequest = `  <send>
    <![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

    ]]>
  </send>`;

const byeFromDidml = `  <recv request="BYE"/>
${okToRequest}`;

/** A request the caller sends in the dialog the 200 made; every one but an ACK is retransmitted until answered. */
const inDialog = (from: string, method: string, cseq: number, body?: { type: string; text: string }) => `  <send${method === 'ACK' ? '' : ' retrans="500"'}>
    <![CDATA[
${method} [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:${from}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
[last_To:]
[routes]
Call-ID: [call_id]
CSeq: ${cseq} ${method}
Contact: <sip:${from}@[local_ip]:[local_port]>
Max-Forwards: 70
${body ? `Content-Type: ${body.type}\n` : ''}Content-Length: [len]
${body ? `\n${body.text}` : ''}
    ]]>
  </send>`;

/** Answered by didml, then hung up by it; with `earlyMedia`, a 183 with SDP must come first. */
export function callerAnswered(o: { from?: string; headers?: Record<string, string>; answer?: string; earlyMedia?: boolean } = {}): string {
  const from = o.from ?? '+14155550100';
  let start = invite(from, o.headers ?? {});
  if (o.earlyMedia) {
    start = start.replace(
      '<recv response="183" optional="true"/>',
      `<recv response="183">
    <action>
      <ereg regexp="m=audio" search_in="body" check_it="true" assign_to="early"/>
      <log message="early media: [$early]"/>
    </action>
  </recv>`,
    );
  }
  return scenario('caller answered, hung up by didml', `${start}\n${ackAnswered(from, o.answer)}\n${byeFromDidml}`);
}

/**
 * Answered (the 200's SDP checked against `answer`), then after `afterMs` presses `keys` as SIP
 * INFO (application/dtmf-relay), `betweenMs` apart, and waits for didml to hang up. With `audio`
 * it talks too; `keys` may then be empty.
 */
export function callerPresses(o: { keys: string; afterMs: number; betweenMs?: number; answer?: string; audio?: string; talkAfterMs?: number }): string {
  const from = '+14155550100';
  const presses = [...o.keys]
    .map(
      (key, i) => `  <pause milliseconds="${i === 0 ? o.afterMs : (o.betweenMs ?? 200)}"/>
${inDialog(from, 'INFO', i + 2, { type: 'application/dtmf-relay', text: `Signal=${key}\nDuration=160` })}
  <recv response="200"/>`,
    )
    .join('\n');
  // With `audio` (a pcap of PCMA RTP), sipp talks from the answer on (or `talkAfterMs` later; the
  // keys' `afterMs` then counts from there): run it with -mp <port>.
  const wait = o.talkAfterMs ? `  <pause milliseconds="${o.talkAfterMs}"/>\n` : '';
  const talk = o.audio ? `${wait}  <nop><action><exec play_pcap_audio="${attr(o.audio)}"/></action></nop>\n` : '';
  return scenario('caller presses keys by SIP INFO', `${invite(from, {}, o.audio ? sdpPcma : sdp)}\n${ackAnswered(from, o.answer)}\n${talk}${presses}\n${byeFromDidml}`);
}

/** The caller's offer with RFC 4733 telephone events (payload 101, as sipp's dtmf_2833_*.pcap). */
const sdpDtmf = sdp.replace('RTP/AVP 0\na=rtpmap:0 PCMU/8000', 'RTP/AVP 0 101\na=rtpmap:0 PCMU/8000\na=rtpmap:101 telephone-event/8000\na=fmtp:101 0-15');

/**
 * Answered, then after `afterMs` sends each capture in `pcaps` (RFC 4733 key events in RTP, e.g.
 * /usr/share/sip-tester/dtmf_2833_1.pcap) and waits for didml to hang up. Run with -mp <port>.
 */
export function callerPressesInRtp(o: { pcaps: string[]; afterMs: number; answer?: string }): string {
  const from = '+14155550100';
  // A capture plays in the background: the next one waits until it is over; after the last, didml may hang up at once.
  const presses = o.pcaps.map((p) => `  <nop><action><exec play_pcap_audio="${attr(p)}"/></action></nop>`).join('\n  <pause milliseconds="400"/>\n');
  return scenario('caller presses keys in RTP', `${invite(from, {}, sdpDtmf)}\n${ackAnswered(from, o.answer)}\n  <pause milliseconds="${o.afterMs}"/>\n${presses}\n${byeFromDidml}`);
}

/** Answered, stays `afterMs` (talking, with `audio`: a PCMA capture; run with -mp <port>), then hangs up itself (BYE in the dialog the 200 made). */
export function callerHangsUp(o: { afterMs: number; answer?: string; audio?: string }): string {
  const from = '+14155550100';
  const talk = o.audio ? `  <nop><action><exec play_pcap_audio="${attr(o.audio)}"/></action></nop>\n` : '';
  return scenario(
    'caller hangs up',
    `${invite(from, {}, o.audio ? sdpPcma : sdp)}
${ackAnswered(from, o.answer)}
${talk}  <pause milliseconds="${o.afterMs}"/>
${inDialog(from, 'BYE', 2)}
  <recv response="200"/>`,
  );
}

/** Answered, then after `afterMs` puts the call on hold (a re-INVITE with a=sendonly, RFC 3264 §8.4), then hangs up. */
export function callerHolds(o: { afterMs: number }): string {
  const from = '+14155550100';
  return scenario(
    'caller holds, then hangs up',
    `${invite(from, {})}
${ackAnswered(from)}
  <pause milliseconds="${o.afterMs}"/>
${inDialog(from, 'INVITE', 2, { type: 'application/sdp', text: `${sdp}a=sendonly` })}
  <recv response="100" optional="true"/>
  <recv response="200">
    <action>
      <ereg regexp="a=recvonly" search_in="body" check_it="true" assign_to="held"/>
      <log message="held: [$held]"/>
    </action>
  </recv>
${inDialog(from, 'ACK', 2)}
  <pause milliseconds="300"/>
${inDialog(from, 'BYE', 3)}
  <recv response="200"/>`,
  );
}

/** Refused with `status` (ACKed, RFC 3261 §17.1.1.3). */
export function callerRefused(status: number, o: { from?: string } = {}): string {
  const from = o.from ?? '+14155550100';
  return scenario(
    `caller refused with ${status}`,
    `${invite(from, {})}
  <recv response="${status}"/>
  <send>
    <![CDATA[
ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=${INVITE_BRANCH}
From: <sip:${from}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
[last_To:]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

    ]]>
  </send>`,
  );
}

/** Answered, then a REFER from didml with `referTo` in Refer-To and `header` on it; answered with `response` (202: NOTIFY sipfrag 200 follows). */
export function callerReferred(o: { referTo: string; header: [string, string]; response: 202 | 405; headers?: Record<string, string> }): string {
  const from = '+14155550100';
  const notify =
    o.response === 202
      ? `  <send retrans="500">
    <![CDATA[
NOTIFY [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:${from}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: [$referrer]
[routes]
Call-ID: [call_id]
CSeq: 2 NOTIFY
Event: refer
Subscription-State: terminated;reason=noresource
Contact: <sip:${from}@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Type: message/sipfrag;version=2.0
Content-Length: [len]

SIP/2.0 200 OK
    ]]>
  </send>
  <recv response="200"/>
`
      : '';
  return scenario(
    `caller referred (${o.response})`,
    `${invite(from, o.headers ?? {})}
${ackAnswered(from)}
  <recv request="REFER">
    <action>
      <ereg regexp="${attr(o.referTo)}" search_in="hdr" header="Refer-To:" check_it="true" assign_to="referto"/>
      <ereg regexp="${attr(o.header[1])}" search_in="hdr" header="${attr(o.header[0])}:" check_it="true" assign_to="custom"/>
      <ereg regexp=".*" search_in="hdr" header="From:" assign_to="referrer"/>
      <log message="REFER to [$referto] with [$custom] from [$referrer]"/>
    </action>
  </recv>
  <send>
    <![CDATA[
SIP/2.0 ${o.response} ${o.response === 202 ? 'Accepted' : 'Method Not Allowed'}
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

    ]]>
  </send>
${notify}${byeFromDidml}`,
  );
}

/** Gives up while it rings: CANCEL (200) and the INVITE's 487 (ACKed). */
export function callerCancels(): string {
  const from = '+14155550100';
  return scenario(
    'caller cancels',
    `${invite(from, {}).replace('<recv response="180" optional="true"/>', '<recv response="180"/>').replace('\n  <recv response="183" optional="true"/>', '')}
  <pause milliseconds="1500"/>
  <send>
    <![CDATA[
CANCEL sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=${INVITE_BRANCH}
From: <sip:${from}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 CANCEL
Max-Forwards: 70
Content-Length: 0

    ]]>
  </send>
  <recv response="200"/>
  <recv response="487"/>
  <send>
    <![CDATA[
ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=${INVITE_BRANCH}
From: <sip:${from}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
[last_To:]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

    ]]>
  </send>`,
  );
}

// ---- the far ends didml dials ----

/**
 * The INVITE, its From/To/Contact/CSeq kept for a BYE or a 487 (sipp refuses a variable that is set
 * and never used, so every capture is logged too).
 */
const captureInvite = (checks: string) => `  <recv request="INVITE">
    <action>
      <ereg regexp=".*" search_in="hdr" header="From:" assign_to="caller"/>
      <ereg regexp=".*" search_in="hdr" header="To:" assign_to="callee"/>
      <ereg regexp="&lt;(.*)&gt;" search_in="hdr" header="Contact:" assign_to="trash,contact"/>
      <ereg regexp="[0-9]+" search_in="hdr" header="CSeq:" assign_to="cseq"/>
${checks}
      <log message="INVITE from [$caller] to [$callee] contact [$contact] cseq [$cseq] [$trash]"/>
    </action>
  </recv>`;

/** A response to the last request; a 200 with SDP (to an INVITE) is retransmitted until the ACK. */
const respond = (status: string, withSdp = false, tag = true) => `  <send${withSdp ? ' retrans="500"' : ''}>
    <![CDATA[
SIP/2.0 ${status}
[last_Via:]
[last_From:]
[last_To:]${tag ? ';tag=[pid]SIPpTag01[call_number]' : ''}
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
${withSdp ? 'Content-Type: application/sdp\n' : ''}Content-Length: [len]
${withSdp ? `\n${sdp}` : ''}
    ]]>
  </send>`;

const hangUpAfter = (ms: number) => `  <recv request="ACK"/>
  <pause milliseconds="${ms}"/>
  <send retrans="500">
    <![CDATA[
BYE [$contact] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: [$callee];tag=[pid]SIPpTag01[call_number]
To: [$caller]
[last_Call-ID:]
CSeq: 2 BYE
Max-Forwards: 70
Content-Length: 0

    ]]>
  </send>
  <recv response="200"/>`;

/** What a far end checks of the INVITE it gets, as regexps: its Request-URI, headers, body (the SDP offer). */
export interface InviteChecks {
  requestUri?: string;
  headers?: [string, string][];
  body?: string;
}

function inviteChecks(o: InviteChecks): string {
  return [
    ...requestUriCheck(o.requestUri),
    ...(o.headers ?? []).flatMap(([h, re], i) => [
      `      <ereg regexp="${attr(re)}" search_in="hdr" header="${attr(h)}:" check_it="true" assign_to="h${i}"/>`,
      `      <log message="${attr(h)} ok: [$h${i}]"/>`,
    ]),
    ...(o.body ? [`      <ereg regexp="${attr(o.body)}" search_in="body" check_it="true" assign_to="offer"/>`, '      <log message="offer ok: [$offer]"/>'] : []),
  ].join('\n');
}

/** Answers (checking the INVITE), talks `talkMs`, hangs up. */
export function calleeAnswers(o: InviteChecks & { talkMs?: number } = {}): string {
  return scenario('callee answers and hangs up', `${captureInvite(inviteChecks(o))}\n${respond('180 Ringing')}\n${respond('200 OK', true)}\n${hangUpAfter(o.talkMs ?? 1000)}`);
}

/** Fails the scenario unless the message starts as `re` says (a regexp). */
function requestUriCheck(re: string | undefined): string[] {
  return re ? [`      <ereg regexp="${attr(re)}" search_in="msg" check_it="true" assign_to="ruri"/>`, '      <log message="Request-URI ok: [$ruri]"/>'] : [];
}

/** Answers; takes a re-INVITE (answering a=sendonly with a=recvonly), then didml's BYE. */
export function calleeHeld(): string {
  return scenario(
    'callee answers and is put on hold',
    `${captureInvite('')}
${respond('200 OK', true)}
  <recv request="ACK"/>
  <recv request="INVITE">
    <action>
      <ereg regexp="a=sendonly" search_in="body" check_it="true" assign_to="hold"/>
      <log message="hold: [$hold]"/>
    </action>
  </recv>
${respond('200 OK', true, false).replace(/(a=rtpmap:0 PCMU\/8000\n)/, '$1a=recvonly\n')}
  <recv request="ACK"/>
${byeFromDidml}`,
  );
}

/** Sends early media (183 with SDP), answers after `ringMs`, hangs up after `talkMs`. */
export function calleeEarlyMedia(o: { ringMs: number; talkMs: number }): string {
  // A provisional response is not retransmitted (sipp would wait on it for a PRACK).
  const early = respond('183 Session Progress', true).replace(' retrans="500"', '');
  return scenario('callee with early media', `${captureInvite('')}\n${early}\n  <pause milliseconds="${o.ringMs}"/>\n${respond('200 OK', true)}\n${hangUpAfter(o.talkMs)}`);
}

/** Answers (checking the INVITE) and stays on until didml hangs up (its BYE, answered 200). */
export function calleeAnswersUntilBye(o: InviteChecks = {}): string {
  return scenario(
    'callee answers until didml hangs up',
    `${captureInvite(inviteChecks(o))}\n${respond('180 Ringing')}\n${respond('200 OK', true)}\n  <recv request="ACK"/>\n${byeFromDidml}`,
  );
}

/** Challenges the INVITE (401), answers the one with the right credentials (verifyauth), refuses others with 403. */
export function calleeWithDigest(o: { username: string; password: string; realm: string; requestUri?: string }): string {
  return scenario(
    'callee with digest auth',
    `${captureInvite(requestUriCheck(o.requestUri).join('\n'))}
  <send>
    <![CDATA[
SIP/2.0 401 Unauthorized
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
WWW-Authenticate: Digest realm="${attr(o.realm)}", nonce="47ebe028cda119c35d4877b383027d28da013815", algorithm=MD5
Content-Length: 0

    ]]>
  </send>
  <recv request="ACK"/>
  <recv request="INVITE">
    <action>
      <ereg regexp="&lt;(.*)&gt;" search_in="hdr" header="Contact:" assign_to="trash,contact"/>
      <verifyauth assign_to="authvalid" username="${attr(o.username)}" password="${attr(o.password)}"/>
    </action>
  </recv>
  <nop hide="true" test="authvalid" next="good"/>
${respond('403 Forbidden')}
  <recv request="ACK" next="end"/>
  <label id="good"/>
${respond('200 OK', true)}
${hangUpAfter(500)}
  <label id="end"/>`,
  );
}

/** Refuses the INVITE with `status`. */
export function calleeRefuses(status: string): string {
  return scenario(`callee refuses ${status}`, `${captureInvite('')}\n${respond(status)}\n  <recv request="ACK"/>`);
}

/** Rings until didml CANCELs: 200 to the CANCEL, 487 to the INVITE. */
export function calleeRingsUntilCancelled(): string {
  return scenario(
    'callee rings until cancelled',
    `${captureInvite('')}
${respond('180 Ringing')}
  <recv request="CANCEL"/>
${respond('200 OK', false, false)}
  <send>
    <![CDATA[
SIP/2.0 487 Request Terminated
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
CSeq: [$cseq] INVITE
Content-Length: 0

    ]]>
  </send>
  <recv request="ACK"/>`,
  );
}

/**
 * Rings; when didml's CANCEL comes, answers it, then the INVITE with 200 all the same (a 200
 * that crossed the CANCEL, RFC 3261 §9.1: the CANCEL then has no effect). didml must ACK the 200
 * and hang up with a BYE at once.
 */
export function calleeAnswersAcrossCancel(): string {
  return scenario(
    'callee answers across the CANCEL',
    `${captureInvite('')}
${respond('180 Ringing')}
  <recv request="CANCEL"/>
${respond('200 OK', false, false)}
  <send>
    <![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
CSeq: [$cseq] INVITE
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Type: application/sdp
Content-Length: [len]

${sdp}
    ]]>
  </send>
  <recv request="ACK"/>
  <recv request="BYE"/>
${okToRequest}`,
  );
}

/** A registrar: 401, then verifyauth; 200 granting `expires` (403 for wrong credentials). */
export function registrar(o: { username: string; password: string; realm: string; expires: number }): string {
  return scenario(
    'registrar with digest auth',
    `  <recv request="REGISTER"/>
  <send>
    <![CDATA[
SIP/2.0 401 Unauthorized
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
WWW-Authenticate: Digest realm="${attr(o.realm)}", nonce="5e2f1a9c0b7d", algorithm=MD5
Content-Length: 0

    ]]>
  </send>
  <recv request="REGISTER">
    <action>
      <ereg regexp=".*" search_in="hdr" header="Contact:" assign_to="contact"/>
      <verifyauth assign_to="authvalid" username="${attr(o.username)}" password="${attr(o.password)}"/>
    </action>
  </recv>
  <nop hide="true" test="authvalid" next="good"/>
${respond('403 Forbidden')}
  <nop next="end"/>
  <label id="good"/>
  <send>
    <![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: [$contact];expires=${o.expires}
Content-Length: 0

    ]]>
  </send>
  <label id="end"/>`,
  );
}
