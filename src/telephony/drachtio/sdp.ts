// SDP the backend writes itself (RFC 4566, offer/answer RFC 3264). Without a media server there is
// nothing to send media from, yet a <Refer> needs an answered call: the caller then gets an
// answer that accepts its streams as inactive (§6: an answer keeps every m= line of the offer,
// in order; a=inactive, RFC 3264 §6.1), so no media flows until the far end takes the call.

/** An answer to `offer` with every stream inactive (audio keeps its first codec, others are refused with port 0). */
export function inactiveAnswer(offer: string, sessionId = Date.now()): string {
  const lines = offer.split(/\r?\n/);
  const out = ['v=0', `o=didml ${sessionId} ${sessionId} IN IP4 0.0.0.0`, 's=didml', 'c=IN IP4 0.0.0.0', 't=0 0'];
  let section: string[] | undefined;
  let rtpmaps: string[] = [];
  const flush = () => {
    if (!section) return;
    const [, media = 'audio', proto = 'RTP/AVP', fmt = '0'] = /^m=(\S+) \S+ (\S+) (\S+)/.exec(section[0]!) ?? [];
    if (media === 'audio') {
      out.push(`m=audio 9 ${proto} ${fmt}`);
      const rtpmap = rtpmaps.find((l) => l.startsWith(`a=rtpmap:${fmt} `));
      if (rtpmap) out.push(rtpmap);
      out.push('a=inactive');
    } else {
      out.push(`m=${media} 0 ${proto} ${fmt}`);
    }
  };
  for (const line of lines) {
    if (line.startsWith('m=')) {
      flush();
      section = [line];
      rtpmaps = [];
    } else if (section && line.startsWith('a=rtpmap:')) {
      rtpmaps.push(line);
    }
  }
  flush();
  if (!section) out.push('m=audio 9 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', 'a=inactive');
  return out.join('\r\n') + '\r\n';
}

/** Whether a SIP body is an SDP offer (`v=0` first). */
export function isSdp(body: string | undefined): body is string {
  return typeof body === 'string' && /^\s*v=0/.test(body);
}
